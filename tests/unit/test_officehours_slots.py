"""Slot rules as pure functions: DST weeks in four zones, buffers, busy time, limits, validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from core.errors import UnknownTimeZone
from core.officehours.errors import InvalidSchedule, OverlappingRules
from core.officehours.model import (
    Blackout,
    DateOverride,
    Interval,
    OfficeHoursType,
    WeeklyRule,
    Window,
    parse_time,
    validate,
)
from core.officehours.slots import Occupancy, compute_slots, is_slot_start, naive_slots

NOW = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
EMPTY = Occupancy(taken={})


def w(start: str, end: str) -> Window:
    return Window(parse_time(start, "start"), parse_time(end, "end"))


def office_hours(zone: str, weekly: list[tuple[int, str, str]], **kw: object) -> OfficeHoursType:
    t = OfficeHoursType(
        id=uuid4(),
        organisation_id=uuid4(),
        host_id=uuid4(),
        title="Ask me about Kubernetes",
        time_zone=zone,
        rules=tuple(WeeklyRule(d, w(a, b)) for d, a, b in weekly),
        min_notice_minutes=0,
        horizon_days=365,
    )
    for key, value in kw.items():
        setattr(t, key, value)
    validate(t)
    return t


def local_starts(t: OfficeHoursType, day: date) -> list[str]:
    tz = ZoneInfo(t.time_zone)
    start = datetime.combine(day, time(0), tz).astimezone(UTC) - timedelta(hours=3)
    slots = compute_slots(t, start, start + timedelta(hours=30), NOW, EMPTY)
    return [
        s.start_utc.astimezone(tz).strftime("%H:%M")
        for s in slots
        if s.start_utc.astimezone(tz).date() == day
    ]


def test_berlin_office_hours_keep_their_local_time_across_the_spring_change() -> None:
    t = office_hours("Europe/Berlin", [(0, "09:00", "10:00"), (1, "09:00", "10:00")])
    slots = compute_slots(
        t, datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), NOW, EMPTY
    )
    utc_hours = [(s.start_utc.date().isoformat(), s.start_utc.strftime("%H:%M")) for s in slots]
    assert utc_hours == [
        ("2026-03-23", "08:00"),
        ("2026-03-23", "08:30"),
        ("2026-03-24", "08:00"),
        ("2026-03-24", "08:30"),
        ("2026-03-30", "07:00"),
        ("2026-03-30", "07:30"),
        ("2026-03-31", "07:00"),
        ("2026-03-31", "07:30"),
    ]


def test_no_slot_starts_at_a_time_that_does_not_exist_in_berlin() -> None:
    t = office_hours("Europe/Berlin", [(6, "01:00", "04:00")])
    assert local_starts(t, date(2026, 3, 29)) == ["01:00", "01:30", "03:00", "03:30"]


def test_the_repeated_hour_in_berlin_is_offered_once() -> None:
    t = office_hours("Europe/Berlin", [(6, "01:00", "04:00")])
    starts = local_starts(t, date(2026, 10, 25))
    assert starts == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]


def test_new_york_slots_move_one_hour_in_utc_when_daylight_time_begins() -> None:
    t = office_hours("America/New_York", [(0, "09:00", "09:30")])
    slots = compute_slots(
        t, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC), NOW, EMPTY
    )
    assert [s.start_utc for s in slots] == [
        datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 13, 0, tzinfo=UTC),
    ]


def test_lord_howe_half_hour_shifts_are_respected_both_ways() -> None:
    t = office_hours("Australia/Lord_Howe", [(6, "01:00", "04:00")])
    # 5 April 2026: 02:00 becomes 01:30 again; wall times 01:30–02:00 happen twice
    autumn = local_starts(t, date(2026, 4, 5))
    assert autumn == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    # 4 October 2026: 02:00 jumps to 02:30; 02:00 does not exist
    spring = local_starts(t, date(2026, 10, 4))
    assert spring == ["01:00", "01:30", "02:30", "03:00", "03:30"]
    before = compute_slots(
        t,
        datetime(2026, 3, 28, tzinfo=UTC),
        datetime(2026, 3, 30, tzinfo=UTC),
        NOW,
        EMPTY,
        limit=1,
    )[0]
    after = compute_slots(
        t,
        datetime(2026, 4, 11, tzinfo=UTC),
        datetime(2026, 4, 13, tzinfo=UTC),
        NOW,
        EMPTY,
        limit=1,
    )[0]
    assert before.start_utc.astimezone(ZoneInfo("Australia/Lord_Howe")).utcoffset() == timedelta(
        hours=11
    )
    assert after.start_utc.astimezone(ZoneInfo("Australia/Lord_Howe")).utcoffset() == timedelta(
        hours=10, minutes=30
    )


def test_kolkata_half_hour_offset_maps_nine_to_three_thirty_utc() -> None:
    t = office_hours("Asia/Kolkata", [(2, "09:00", "10:00")])
    slots = compute_slots(
        t, datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC), NOW, EMPTY
    )
    assert [s.start_utc for s in slots] == [
        datetime(2026, 3, 25, 3, 30, tzinfo=UTC),
        datetime(2026, 3, 25, 4, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    "zone",
    ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"],
)
def test_fast_slots_match_the_minute_by_minute_reference_through_dst(zone: str) -> None:
    t = office_hours(
        zone,
        [
            (0, "09:00", "12:00"),
            (2, "13:15", "17:00"),
            (6, "00:30", "04:00"),
            (6, "22:00", "24:00"),
        ],
        slot_minutes=45,
        interval_minutes=20,
        buffer_after_minutes=10,
    )
    busy = [
        Interval(datetime(2026, 3, 30, 9, 0, tzinfo=UTC), datetime(2026, 3, 30, 10, 0, tzinfo=UTC))
    ]
    occupancy = Occupancy(taken={}, busy=busy)
    for start in (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 9, 25, tzinfo=UTC)):
        end = start + timedelta(days=36)
        fast = compute_slots(t, start, end, NOW, occupancy)
        slow = naive_slots(t, start, end, NOW, occupancy)
        assert fast == slow
        assert len(fast) > 50


def test_busy_time_and_buffers_hide_neighbouring_slots() -> None:
    t = office_hours("UTC", [(0, "09:00", "11:00")], buffer_after_minutes=15)
    day = datetime(2026, 3, 23, tzinfo=UTC)
    busy = Occupancy(
        taken={},
        busy=[Interval(day.replace(hour=9, minute=40), day.replace(hour=9, minute=50))],
    )
    starts = [
        s.start_utc.strftime("%H:%M")
        for s in compute_slots(t, day, day + timedelta(days=1), NOW, busy)
    ]
    # 09:00 ends 09:30 + 15 min buffer = 09:45 > 09:40; 09:30 overlaps; 10:00 starts after 09:50
    assert starts == ["10:00", "10:30"]


def test_a_group_session_stays_bookable_until_full_and_then_shows_as_full() -> None:
    t = office_hours("UTC", [(0, "09:00", "10:00")], capacity=3)
    day = datetime(2026, 3, 23, tzinfo=UTC)
    nine = day.replace(hour=9)
    occupancy = Occupancy(
        taken={nine: 3},
        busy=[Interval(nine, nine + timedelta(minutes=30), (t.id, nine))],
    )
    free = compute_slots(t, day, day + timedelta(days=1), NOW, occupancy)
    assert [s.start_utc.hour * 60 + s.start_utc.minute for s in free] == [9 * 60 + 30]
    every = compute_slots(t, day, day + timedelta(days=1), NOW, occupancy, include_full=True)
    assert [(s.start_utc, s.seats_left) for s in every][:2] == [
        (nine, 0),
        (nine + timedelta(minutes=30), 3),
    ]


def test_per_day_limit_leaves_only_already_booked_sessions() -> None:
    t = office_hours("UTC", [(0, "09:00", "12:00")], capacity=2, max_per_day=1)
    day = datetime(2026, 3, 23, tzinfo=UTC)
    ten = day.replace(hour=10)
    occupancy = Occupancy(
        taken={ten: 1},
        busy=[Interval(ten, ten + timedelta(minutes=30), (t.id, ten))],
        day_counts={date(2026, 3, 23): 1},
    )
    slots = compute_slots(t, day, day + timedelta(days=1), NOW, occupancy)
    assert [(s.start_utc, s.seats_left) for s in slots] == [(ten, 1)]


def test_minimum_notice_and_horizon_bound_the_slots() -> None:
    t = office_hours("UTC", [(d, "09:00", "10:00") for d in range(7)])
    t.min_notice_minutes = 24 * 60
    t.horizon_days = 3
    now = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
    slots = compute_slots(t, now, now + timedelta(days=30), now, EMPTY)
    assert [s.start_utc.day for s in slots] == [24, 24, 25, 25, 26]


def test_overrides_replace_a_day_and_blackouts_remove_days() -> None:
    t = office_hours(
        "UTC",
        [(d, "09:00", "10:00") for d in range(5)],
        overrides=(DateOverride(date(2026, 3, 24), (w("14:00", "15:00"),)),),
        blackouts=(Blackout(date(2026, 3, 25), date(2026, 3, 26), "conference"),),
    )
    day = datetime(2026, 3, 23, tzinfo=UTC)
    slots = compute_slots(t, day, day + timedelta(days=5), NOW, EMPTY)
    assert [(s.start_utc.day, s.start_utc.hour) for s in slots] == [
        (23, 9),
        (23, 9),
        (24, 14),
        (24, 14),
        (27, 9),
        (27, 9),
    ]
    assert is_slot_start(t, datetime(2026, 3, 24, 14, 30, tzinfo=UTC))
    assert not is_slot_start(t, datetime(2026, 3, 24, 9, 0, tzinfo=UTC))


def test_paused_office_hours_offer_nothing() -> None:
    t = office_hours("UTC", [(0, "09:00", "10:00")], paused=True)
    day = datetime(2026, 3, 23, tzinfo=UTC)
    assert compute_slots(t, day, day + timedelta(days=7), NOW, EMPTY) == []


def test_overlapping_rules_are_refused_with_their_own_code() -> None:
    with pytest.raises(OverlappingRules) as err:
        office_hours("UTC", [(0, "09:00", "11:00"), (0, "10:30", "12:00")])
    assert err.value.code == "overlapping_rules"
    # touching windows are fine
    office_hours("UTC", [(0, "09:00", "10:30"), (0, "10:30", "12:00")])


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, UnknownTimeZone),
        ({"capacity": 0}, InvalidSchedule),
        ({"slot_minutes": 2}, InvalidSchedule),
        ({"horizon_days": 0}, InvalidSchedule),
        ({"rules": ()}, InvalidSchedule),
    ],
)
def test_nonsense_settings_are_refused(change: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        office_hours("UTC", [(0, "09:00", "10:00")], **change)


def test_a_window_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidSchedule):
        w("10:00", "09:00")


def test_a_window_until_midnight_offers_its_last_slot() -> None:
    t = office_hours("Asia/Kolkata", [(0, "23:00", "24:00")])
    assert local_starts(t, date(2026, 3, 23)) == ["23:00", "23:30"]
    t = office_hours("Europe/Berlin", [(5, "23:00", "24:00")])  # the night before the change
    assert local_starts(t, date(2026, 3, 28)) == ["23:00", "23:30"]
