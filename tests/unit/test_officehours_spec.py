"""Publishing office hours from JSON: every field parsed, every mistake named, nothing half-applied."""

from __future__ import annotations

from datetime import date, time
from typing import Any
from uuid import uuid4

import pytest

from core.errors import PeerlearnError
from core.officehours.model import END_OF_DAY, OfficeHoursType, rule_json
from core.officehours.service import apply_spec


def blank() -> OfficeHoursType:
    return OfficeHoursType(
        id=uuid4(),
        organisation_id=uuid4(),
        host_id=uuid4(),
        title="",
        time_zone="Europe/Berlin",
        rules=(),
    )


def test_a_full_spec_becomes_a_type() -> None:
    t = apply_spec(
        blank(),
        {
            "title": "  Kubernetes   clinic ",
            "topics": ["kubernetes", "helm", "kubernetes"],
            "rules": [
                {"weekday": "mon", "start": "09:00", "end": "12:00"},
                {"weekday": 6, "start": "22:00", "end": "24:00"},
            ],
            "overrides": [{"date": "2026-04-03", "windows": []}],
            "blackouts": [{"from": "2026-04-06", "to": "2026-04-10", "reason": "Easter"}],
            "questions": [{"key": "goal", "label": "Your goal?", "required": True}],
            "location": {"kind": "room", "text": "Room Spree"},
            "capacity": 4,
            "max_per_week": None,
            "requires_approval": True,
        },
    )
    assert t.title == "Kubernetes clinic"
    assert t.topics == ("kubernetes", "helm")
    assert t.rules[1].window.end == END_OF_DAY
    assert rule_json(t.rules[1]) == {"weekday": "sun", "start": "22:00", "end": "24:00"}
    assert t.windows_on(date(2026, 4, 3)) == ()
    assert t.windows_on(date(2026, 4, 8)) == ()
    assert t.windows_on(date(2026, 3, 30))[0].start == time(9)
    assert t.location.describe() == "Room Spree"
    assert t.capacity == 4 and t.requires_approval


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"rules": "mon 9-12"}, "invalid_input"),
        ({"capacity": "4"}, "invalid_input"),
        ({"capacity": True}, "invalid_input"),
        ({"requires_approval": "yes"}, "invalid_input"),
        ({"rules": [{"weekday": "mon", "start": "25:00", "end": "26:00"}]}, "invalid_schedule"),
        (
            {"rules": [{"weekday": "mon", "start": "09:00+02:00", "end": "10:00"}]},
            "invalid_schedule",
        ),
        ({"overrides": [{"date": "2026-02-30", "windows": []}]}, "invalid_schedule"),
        (
            {
                "overrides": [
                    {"date": "2026-04-03", "windows": [{"start": "09:00", "end": "10:00"}]},
                    {"date": "2026-04-03", "windows": []},
                ]
            },
            "overlapping_rules",
        ),
        ({"blackouts": [{"from": "2026-04-10", "to": "2026-04-06"}]}, "invalid_schedule"),
        ({"questions": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}, "invalid_input"),
        ({"location": {"kind": "carrier pigeon"}}, "invalid_input"),
        ({"time_zone": "Europe/Atlantis"}, "unknown_time_zone"),
        ({"title": ""}, "invalid_input"),
        ({"flavour": "vanilla"}, "invalid_input"),
    ],
)
def test_each_mistake_is_named(spec: dict[str, Any], code: str) -> None:
    base: dict[str, Any] = {
        "title": "Office hours",
        "rules": [{"weekday": "tue", "start": "09:00", "end": "10:00"}],
    }
    with pytest.raises(PeerlearnError) as err:
        apply_spec(blank(), {**base, **spec})
    assert err.value.code == code
