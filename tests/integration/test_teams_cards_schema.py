"""Every card the bot can send is a valid Adaptive Card 1.5 (Teams' `msteams` extension
allowed), and hostile user text cannot inject markdown, links or template functions."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from bot import cards, notices

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "adaptive-card-1.5.0.json"
HOSTILE = "**Boss** [click](https://evil.example) {{DATE(2026-01-01T00:00:00Z)}} <at>x</at>\n- item"


@cache
def validator() -> Draft6Validator:
    schema = json.loads(SCHEMA.read_text())
    schema = copy.deepcopy(schema)
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = {"type": "object"}
    return Draft6Validator(schema)


def problems(card: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(card)]


def texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("data", "choices"):
                # action data goes back to the bot; choice titles are shown as plain text
                continue
            if key in ("text", "value", "title") and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from texts(item)


PERSON = {"name": HOSTILE, "email": "jonas@contoso.example", "time_zone": "Europe/Berlin"}
BOOKING = {
    "title": HOSTILE,
    "start_utc": "2026-03-29T09:00:00+00:00",
    "other_person": {"name": HOSTILE, "email": "x@contoso.example"},
    "reason": HOSTILE,
}
BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "welcome": lambda: cards.welcome_card(HOSTILE, HOSTILE),
    "team welcome": lambda: cards.team_welcome_card(HOSTILE),
    "help": lambda: cards.help_card([("who is Jonas", HOSTILE)]),
    "profile": lambda: cards.profile_card(HOSTILE, HOSTILE, "Europe/Berlin", "de-DE"),
    "colleagues": lambda: cards.colleagues_card(HOSTILE, [PERSON, {**PERSON, "email": None}]),
    "no colleagues": lambda: cards.colleagues_card(HOSTILE, []),
    "person": lambda: cards.person_card(PERSON),
    "info": lambda: cards.info_card(HOSTILE, HOSTILE),
    "notice without template": lambda: notices.render({"title": HOSTILE, "text": HOSTILE}),
    "show and tell agenda": lambda: notices.render(
        {
            "kind": "show_and_tell_agenda",
            "community": HOSTILE,
            "community_id": "6f1c2a9e-2d4b-4c8e-9a51-0b7d3e5f8c21",
            "start": "2026-03-26T15:00:00+00:00",
            "demos": [{"person_id": "p", "title": HOSTILE}],
            "attending": 3,
        },
        "America/New_York",
    ),
    "experts": lambda: cards.experts_card(
        HOSTILE,
        [
            {
                **PERSON,
                "person_id": "1",
                "reasons": [HOSTILE, "answered 4"],
                "next_free": "Tue 24 Mar, 10:00",
            },
            {**PERSON, "person_id": "2", "email": None, "reasons": [], "next_free": None},
        ],
    ),
    "no experts": lambda: cards.experts_card(HOSTILE, []),
    "slots": lambda: cards.slots_card(
        HOSTILE,
        [
            {
                "type_id": "t",
                "title": HOSTILE,
                "start": "2026-03-24T09:00:00+00:00",
                "label": "Tue 24 Mar, 10:00",
            }
        ],
        "Europe/Berlin",
    ),
    "no slots": lambda: cards.slots_card(HOSTILE, [], "Europe/Berlin"),
    **{
        f"booking {status}": (
            lambda status=status: cards.booking_card(
                {
                    "id": "b",
                    "title": HOSTILE,
                    "host": HOSTILE,
                    "when": "Tue 24 Mar, 10:00",
                    "status": status,
                }
            )
        )
        for status in ("confirmed", "pending", "waitlisted", "cancelled", "declined")
    },
    "bookings": lambda: cards.bookings_card(
        [
            {
                "id": "b",
                "title": HOSTILE,
                "host": HOSTILE,
                "when": "Tue 24 Mar, 10:00",
                "status": "confirmed",
            }
        ],
        "Asia/Kolkata",
    ),
    "no bookings": lambda: cards.bookings_card([], "UTC"),
    "reuse": lambda: cards.reuse_card(
        "q",
        HOSTILE,
        [
            {"title": HOSTILE, "answer": HOSTILE},
            {"title": HOSTILE, "url": "https://wiki.example/x"},
        ],
    ),
    "nothing to reuse": lambda: cards.reuse_card("q", HOSTILE, []),
    "communities": lambda: cards.communities_card(
        [
            {"id": "c", "name": HOSTILE, "purpose": HOSTILE, "members": 3, "status": "active"},
            {"id": "d", "name": HOSTILE, "purpose": "", "members": 0, "status": None},
            {"id": "e", "name": HOSTILE, "purpose": "", "members": 9, "status": "pending"},
        ]
    ),
    "no communities": lambda: cards.communities_card([]),
    "rate": lambda: cards.rate_card(
        {"id": "b", "title": HOSTILE, "host": HOSTILE, "when": "Tue 24 Mar, 10:00"}
    ),
    "reschedule slots": lambda: cards.slots_card(
        HOSTILE,
        [
            {
                "type_id": "t",
                "title": HOSTILE,
                "start": "2026-03-24T09:00:00+00:00",
                "label": "Tue 24 Mar, 10:00",
            }
        ],
        "Europe/Berlin",
        verb="booking.reschedule",
        extra={"booking_id": "b"},
    ),
    "share form": lambda: cards.share_form_card([{"id": "c", "name": HOSTILE}], "tip"),
    "library": lambda: cards.library_card(
        HOSTILE, [{"title": HOSTILE, "kind": "tip", "text": HOSTILE}]
    ),
    "empty library": lambda: cards.library_card(HOSTILE, []),
    "skills": lambda: cards.skills_card({HOSTILE: 4, "Kubernetes": 5}),
    "no skills": lambda: cards.skills_card({}),
    "load": lambda: cards.load_card(3, 5, 2.5, 4.0),
    "office hours": lambda: cards.office_hours_card(
        [
            {
                "id": "t",
                "title": HOSTILE,
                "paused": False,
                "rules": "Tue 09:00–11:00",
                "time_zone": "Europe/Berlin",
            },
            {"id": "u", "title": HOSTILE, "paused": True, "rules": "", "time_zone": "Asia/Kolkata"},
        ]
    ),
    "no office hours": lambda: cards.office_hours_card([]),
    "slots with a full one": lambda: cards.slots_card(
        HOSTILE,
        [
            {
                "type_id": "t",
                "title": HOSTILE,
                "start": "2026-03-24T09:00:00+00:00",
                "label": "Tue 24 Mar, 10:00",
                "full": True,
            }
        ],
        "Europe/Berlin",
    ),
    "booking with a Teams meeting": lambda: cards.booking_card(
        {
            "id": "b",
            "title": HOSTILE,
            "host": HOSTILE,
            "when": "Tue 24 Mar, 10:00",
            "status": "confirmed",
            "join_url": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0",
        }
    ),
    "bookings with a Teams meeting": lambda: cards.bookings_card(
        [
            {
                "id": "b",
                "title": HOSTILE,
                "host": HOSTILE,
                "when": "Tue 24 Mar, 10:00",
                "status": "confirmed",
                "join_url": "https://teams.microsoft.com/l/meetup-join/x",
            }
        ],
        "UTC",
    ),
    **{
        f"waitlist place {position}": (
            lambda position=position: cards.waitlist_card(
                {
                    "id": "b",
                    "title": HOSTILE,
                    "host": HOSTILE,
                    "when": HOSTILE,
                    "position": position,
                }
            )
        )
        for position in (1, 2, 3, 11, 22, None)
    },
    "seat offered": lambda: notices.render(
        {
            "template": "waitlist_promoted",
            "fields": {**BOOKING, "booking_id": "b", "status": "confirmed"},
        },
        "Asia/Kolkata",
    ),
    "seat offered awaiting approval": lambda: notices.render(
        {
            "template": "waitlist_promoted",
            "fields": {**BOOKING, "booking_id": "b", "status": "pending"},
        },
        "UTC",
    ),
    "my requests": lambda: cards.requests_card(
        [
            {
                "offer_id": "o",
                "question_id": "q",
                "title": HOSTILE,
                "status": "offered",
                "due": HOSTILE,
            },
            {
                "offer_id": "p",
                "question_id": "r",
                "title": HOSTILE,
                "status": "accepted",
                "due": None,
            },
        ]
    ),
    "no requests": lambda: cards.requests_card([]),
    **{
        f"request {status}": (
            lambda status=status: cards.request_card(
                {
                    "offer_id": "o",
                    "question_id": "q",
                    "title": HOSTILE,
                    "body": HOSTILE,
                    "status": status,
                    "due": HOSTILE,
                    "asker": HOSTILE,
                }
            )
        )
        for status in ("offered", "accepted")
    },
    "answer in the thread": lambda: cards.thread_answer_card(HOSTILE, HOSTILE, HOSTILE),
    "offer with a question to answer": lambda: notices.render(
        {
            "template": "expertise.question_offered",
            "offer_id": "o",
            "question_id": "q",
            "title": HOSTILE,
            "due_at": "2026-03-24T09:00:00+00:00",
            "reasons": [HOSTILE],
        },
        "Asia/Kolkata",
    ),
    "offer": lambda: notices.render(
        {
            "template": "expertise.question_offered",
            "offer_id": "o",
            "title": HOSTILE,
            "due_at": "2026-03-24T09:00:00+00:00",
            "reasons": [HOSTILE],
        },
        "Asia/Kolkata",
    ),
    **{
        f"notice {t}": (
            lambda t=t: notices.render({"template": t, "fields": BOOKING}, "Asia/Kolkata")
        )
        for t in notices._BOOKING_TITLES
    },
    **{
        f"notice {t}": (
            lambda t=t: notices.render(
                {
                    "template": t,
                    "title": HOSTILE,
                    "due_at": "2026-03-24T09:00:00+00:00",
                    "reasons": [HOSTILE],
                },
                "America/New_York",
            )
        )
        for t in notices._EXPERTISE
    },
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_card_is_valid_adaptive_card_1_5(name: str) -> None:
    card = BUILDERS[name]()
    assert card["version"] == "1.5"
    assert problems(card) == []


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_user_text_cannot_format_link_or_template(name: str) -> None:
    for value in texts(BUILDERS[name]()):
        assert "](" not in value.replace("\\](", "")
        assert "{{" not in value
        assert "**Boss**" not in value


def test_buttons_are_universal_actions_with_a_submit_fallback() -> None:
    card = cards.welcome_card("Amara", "Northwind")
    for action in card["actions"]:
        assert action["type"] == "Action.Execute"
        assert action["fallback"]["type"] == "Action.Submit"
        assert action["fallback"]["data"]["verb"] == action["verb"]


def test_times_in_notices_are_in_the_readers_zone_across_dst() -> None:
    fields = {"title": "Clinic", "start_utc": "2026-03-29T09:00:00+00:00"}
    berlin = notices.render({"template": "booking_confirmed", "fields": fields}, "Europe/Berlin")
    lord_howe = notices.render(
        {"template": "booking_confirmed", "fields": fields}, "Australia/Lord_Howe"
    )
    assert berlin["body"][1]["facts"][0]["value"] == "Sun 29 Mar, 11:00 (Europe/Berlin)"
    # markdown-escaped in the card (`Lord\\_Howe`), shown as Lord_Howe
    shown = lord_howe["body"][1]["facts"][0]["value"].replace("\\", "")
    assert shown == "Sun 29 Mar, 20:00 (Australia/Lord_Howe)"


def test_a_show_and_tell_agenda_lists_the_demos_in_local_time() -> None:
    card = notices.render(
        {
            "kind": "show_and_tell_agenda",
            "community": "Platform guild",
            "start": "2026-03-26T15:00:00+00:00",
            "demos": [{"person_id": "p", "title": "Helm diff in CI"}],
        },
        "America/New_York",
    )
    assert card["body"][0]["text"] == "Show and tell in Platform guild"
    facts = {f["title"]: f["value"].replace("\\", "") for f in card["body"][2]["facts"]}
    assert facts == {"When": "Thu 26 Mar, 11:00 (America/New_York)", "Demo 1": "Helm diff in CI"}
