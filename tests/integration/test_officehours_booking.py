"""Office-hours use cases on the real database (SQLite, or PostgreSQL with
PEERLEARN_TEST_DATABASE_URL): seats, waitlists, idempotency, outbox rows and the booking race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar

from core.clock import FixedClock
from core.errors import PeerlearnError
from core.officehours.errors import (
    AlreadyBooked,
    IdempotencyKeyReused,
    InvalidTransition,
    OfficeHoursNotFound,
    RatingNotAllowed,
    SlotFull,
)
from core.officehours.model import Booking
from core.outbox import OutboxTopic
from core.services import Services

# the fixtures' clock: Monday 2026-03-23 08:00 UTC; Tuesday 09:00 Berlin is 08:00 UTC
TUESDAY_NINE = datetime(2026, 3, 24, 8, 0, tzinfo=UTC)

SPEC: dict[str, Any] = {
    "title": "Kubernetes clinic",
    "description": "Bring your failing deployment.",
    "topics": ["kubernetes", "helm"],
    "rules": [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)],
    "slot_minutes": 30,
    "interval_minutes": 30,
    "min_notice_minutes": 60,
    "horizon_days": 21,
    "questions": [{"key": "goal", "label": "What do you want to solve?", "required": True}],
}


async def people(services: Services, org: Any, n: int) -> list[Any]:
    return [
        await services.people.add_person(org.id, f"Learner {i}", f"learner{i}@acme.example")
        for i in range(n)
    ]


async def host_with_hours(services: Services, org: Any, **changes: Any) -> tuple[Any, Any]:
    host = await services.people.add_person(
        org.id, "Jonas Becker", "jonas@acme.example", "Europe/Berlin"
    )
    t = await services.office_hours.create_type(org.id, host.id, {**SPEC, **changes})
    return host, t


async def book(services: Services, org: Any, t: Any, person: Any, **kw: Any) -> Booking:
    result = await services.office_hours.book(
        org.id, t.id, person.id, kw.pop("start", TUESDAY_NINE), answers={"goal": "x"}, **kw
    )
    return result.booking


async def outbox(services: Services) -> list[Any]:
    async with services.uow() as uow:
        return list(await uow.outbox.list(limit=1000))


async def test_a_type_round_trips_through_storage_with_all_its_rules(
    services: Services, org: Any
) -> None:
    _, t = await host_with_hours(
        services,
        org,
        overrides=[{"date": "2026-03-27", "windows": [{"start": "14:00", "end": "15:30"}]}],
        blackouts=[{"from": "2026-04-06", "to": "2026-04-10", "reason": "Easter"}],
        location={"kind": "room", "text": "Berlin office, room Spree"},
        max_per_day=3,
        max_per_week=8,
        buffer_before_minutes=5,
        buffer_after_minutes=10,
        requires_approval=True,
    )
    again = await services.office_hours.get_type(org.id, t.id)
    assert again == t
    assert again.time_zone == "Europe/Berlin"
    listed = await services.office_hours.list_types(org.id, host_id=t.host_id)
    assert [x.id for x in listed] == [t.id]


async def test_booking_confirms_a_seat_and_writes_calendar_and_notices(
    services: Services, org: Any
) -> None:
    host, t = await host_with_hours(services, org)
    (learner,) = await people(services, org, 1)
    booking = await book(services, org, t, learner)
    assert booking.status == "confirmed"
    rows = await outbox(services)
    kinds = sorted(m.kind for m in rows)
    assert kinds == sorted([OutboxTopic.CALENDAR_UPSERT, OutboxTopic.NOTIFY, OutboxTopic.NOTIFY])
    event = next(m for m in rows if m.kind == OutboxTopic.CALENDAR_UPSERT).payload
    assert event["organizer"]["email"] == "jonas@acme.example"
    assert [a["email"] for a in event["attendees"]] == ["learner0@acme.example"]
    assert event["start_utc"] == "2026-03-24T08:00:00+00:00"
    assert event["end_utc"] == "2026-03-24T08:30:00+00:00"
    assert event["is_online_meeting"] is True
    assert "What do you want to solve?" in event["body"]
    notices = {
        m.payload["person_id"]: m.payload["template"] for m in rows if m.kind == "notify.person"
    }
    assert notices == {str(learner.id): "booking_confirmed", str(host.id): "booking_received"}
    cal = Calendar.from_ical(await services.office_hours.invitation(org.id, booking.id))
    assert cal["method"] == "REQUEST"
    (event_ics,) = cal.walk("VEVENT")
    assert event_ics.decoded("dtstart") == TUESDAY_NINE
    assert event_ics["uid"] == f"{booking.id}@peerlearn"
    assert str(event_ics["attendee"]) == "mailto:learner0@acme.example"
    assert str(event_ics["organizer"]) == "mailto:jonas@acme.example"


@pytest.mark.parametrize("join_waitlist", [True, False])
async def test_sixty_people_racing_for_three_seats_get_exactly_three(
    services: Services, org: Any, join_waitlist: bool
) -> None:
    _, t = await host_with_hours(services, org, capacity=3)
    learners = await people(services, org, 60)
    results = await asyncio.gather(
        *(
            services.office_hours.book(
                org.id,
                t.id,
                p.id,
                TUESDAY_NINE,
                answers={"goal": "x"},
                join_waitlist=join_waitlist,
            )
            for p in learners
        ),
        return_exceptions=True,
    )
    confirmed = [
        r for r in results if not isinstance(r, BaseException) and r.booking.status == "confirmed"
    ]
    waitlisted = [
        r for r in results if not isinstance(r, BaseException) and r.booking.status == "waitlisted"
    ]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(confirmed) == 3
    if join_waitlist:
        assert len(waitlisted) == 57 and not refused
        positions = sorted(r.booking.waitlist_position for r in waitlisted)
        assert positions == list(range(1, 58))
    else:
        assert not waitlisted and len(refused) == 57
        assert all(isinstance(e, SlotFull) for e in refused)
    slots = await services.office_hours.slots(
        org.id, t.id, TUESDAY_NINE, TUESDAY_NINE + timedelta(minutes=1)
    )
    assert [(s.start_utc, s.seats_left) for s in slots] == [(TUESDAY_NINE, 0)]


async def test_a_retried_request_with_the_same_key_books_once(services: Services, org: Any) -> None:
    _, t = await host_with_hours(services, org, capacity=5)
    (learner,) = await people(services, org, 1)
    results = await asyncio.gather(
        *(
            services.office_hours.book(
                org.id,
                t.id,
                learner.id,
                TUESDAY_NINE,
                answers={"goal": "x"},
                idempotency_key="retry-1",
            )
            for _ in range(10)
        )
    )
    assert len({r.booking.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    slots = await services.office_hours.slots(
        org.id, t.id, TUESDAY_NINE, TUESDAY_NINE + timedelta(minutes=1)
    )
    assert slots[0].seats_left == 4
    with pytest.raises(IdempotencyKeyReused):
        await services.office_hours.book(
            org.id,
            t.id,
            learner.id,
            TUESDAY_NINE + timedelta(minutes=30),
            idempotency_key="retry-1",
        )
    with pytest.raises(AlreadyBooked):
        await book(services, org, t, learner)


@pytest.mark.parametrize("capacity", [1, 5])
async def test_one_person_booking_one_slot_many_times_at_once_gets_one_place(
    services: Services, org: Any, capacity: int
) -> None:
    """Without an idempotency key (a double click, two devices): one place, whether the slot has
    room for all of them (one seat, not several) or one seat (not a seat and a waitlist place);
    the others are told they already have a booking."""
    _, t = await host_with_hours(services, org, capacity=capacity)
    learner, other = await people(services, org, 2)
    # the slot's session row exists already (a first insert of it would make the others wait)
    await services.office_hours.cancel(org.id, (await book(services, org, t, other)).id)
    results = await asyncio.gather(
        *(book(services, org, t, learner) for _ in range(10)), return_exceptions=True
    )
    placed = [r for r in results if isinstance(r, Booking)]
    assert [b.status for b in placed] == ["confirmed"]
    assert all(isinstance(r, AlreadyBooked) for r in results if not isinstance(r, Booking))
    assert [b.id for b in await services.office_hours.bookings_for_person(org.id, learner.id)] == [
        placed[0].id
    ]
    slots = await services.office_hours.slots(
        org.id, t.id, TUESDAY_NINE, TUESDAY_NINE + timedelta(minutes=1)
    )
    assert slots[0].seats_left == capacity - 1
    assert await services.office_hours.waitlist(org.id, t.id, TUESDAY_NINE) == []


async def test_cancelling_gives_the_seat_to_the_first_in_line_who_is_told_and_can_release_it(
    services: Services, org: Any
) -> None:
    _, t = await host_with_hours(services, org, capacity=1)
    first, second, third = await people(services, org, 3)
    seat = await book(services, org, t, first)
    queued = await book(services, org, t, second)
    last = await book(services, org, t, third)
    assert (queued.status, queued.waitlist_position) == ("waitlisted", 1)
    assert (last.status, last.waitlist_position) == ("waitlisted", 2)

    cancelled = await services.office_hours.cancel(org.id, seat.id, "sick today", by=first.id)
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "sick today"
    promoted = await services.office_hours.get_booking(org.id, queued.id)
    assert promoted.status == "confirmed" and promoted.promoted_at is not None
    rows = await outbox(services)
    told = [m for m in rows if m.payload.get("template") == "waitlist_promoted"]
    assert [m.payload["person_id"] for m in told] == [str(second.id)]
    assert any(
        m.kind == OutboxTopic.CALENDAR_CANCEL and m.aggregate_id == str(seat.id) for m in rows
    )

    await services.office_hours.release(org.id, queued.id)
    now_third = await services.office_hours.get_booking(org.id, last.id)
    assert now_third.status == "confirmed"
    with pytest.raises(InvalidTransition):
        await services.office_hours.release(org.id, seat.id)
    with pytest.raises(InvalidTransition):
        await services.office_hours.cancel(org.id, seat.id)


async def test_approval_holds_the_seat_until_the_expert_decides(
    services: Services, org: Any
) -> None:
    _, t = await host_with_hours(services, org, capacity=1, requires_approval=True)
    a, b = await people(services, org, 2)
    pending = await book(services, org, t, a)
    waiting = await book(services, org, t, b)
    assert (pending.status, waiting.status) == ("pending", "waitlisted")
    declined = await services.office_hours.decline(org.id, pending.id, "out of scope")
    assert declined.status == "declined"
    moved_up = await services.office_hours.get_booking(org.id, waiting.id)
    assert moved_up.status == "pending"
    approved = await services.office_hours.approve(org.id, waiting.id)
    assert approved.status == "confirmed"
    with pytest.raises(InvalidTransition):
        await services.office_hours.approve(org.id, waiting.id)
    upserts = [m for m in await outbox(services) if m.kind == OutboxTopic.CALENDAR_UPSERT]
    assert [m.aggregate_id for m in upserts] == [str(waiting.id)]


async def test_rescheduling_moves_the_seat_and_frees_the_old_one_for_the_waitlist(
    services: Services, org: Any
) -> None:
    _, t = await host_with_hours(services, org, capacity=1)
    a, b = await people(services, org, 2)
    seat = await book(services, org, t, a)
    queued = await book(services, org, t, b)
    later = TUESDAY_NINE + timedelta(hours=1)
    moved = await services.office_hours.reschedule(org.id, seat.id, later)
    assert moved.start_utc == later and moved.sequence == 1
    assert (await services.office_hours.get_booking(org.id, queued.id)).status == "confirmed"
    with pytest.raises(SlotFull):
        await services.office_hours.reschedule(org.id, moved.id, TUESDAY_NINE)
    assert (await services.office_hours.get_booking(org.id, moved.id)).start_utc == later


async def test_attendance_reaches_the_lms_and_attendees_rate_after_the_session(
    services: Services, org: Any, clock: FixedClock
) -> None:
    _, t = await host_with_hours(services, org)
    (learner,) = await people(services, org, 1)
    booking = await book(services, org, t, learner)
    with pytest.raises(InvalidTransition):
        await services.office_hours.mark_attendance(org.id, booking.id, True)
    clock.set(TUESDAY_NINE + timedelta(minutes=10))
    with pytest.raises(RatingNotAllowed):
        await services.office_hours.rate(org.id, booking.id, 5)
    await services.office_hours.mark_attendance(org.id, booking.id, True)
    score = [m for m in await outbox(services) if m.kind == OutboxTopic.LMS_SCORE]
    assert [(m.payload["person_id"], m.payload["score_given"]) for m in score] == [
        (str(learner.id), 1.0)
    ]
    clock.set(TUESDAY_NINE + timedelta(minutes=45))
    rated = await services.office_hours.rate(org.id, booking.id, 4, "Fixed my Helm chart")
    assert (rated.rating, rated.rating_comment) == (4, "Fixed my Helm chart")
    with pytest.raises(PeerlearnError):
        await services.office_hours.rate(org.id, booking.id, 6)


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (datetime(2026, 3, 23, 7, 0, tzinfo=UTC), "slot_in_past"),
        (datetime(2026, 3, 23, 8, 30, tzinfo=UTC), "slot_inside_minimum_notice"),
        (datetime(2026, 4, 28, 8, 0, tzinfo=UTC), "slot_beyond_horizon"),
        (datetime(2026, 3, 24, 8, 10, tzinfo=UTC), "not_a_slot"),
        (datetime(2026, 3, 28, 9, 0, tzinfo=UTC), "not_a_slot"),
    ],
)
async def test_bad_times_are_refused_with_their_own_code_and_store_nothing(
    services: Services, org: Any, start: datetime, code: str
) -> None:
    _, t = await host_with_hours(services, org)
    (learner,) = await people(services, org, 1)
    with pytest.raises(PeerlearnError) as err:
        await book(services, org, t, learner, start=start)
    assert err.value.code == code
    assert await services.office_hours.bookings_for_person(org.id, learner.id) == []
    assert await outbox(services) == []


async def test_a_missing_required_answer_is_refused(services: Services, org: Any) -> None:
    _, t = await host_with_hours(services, org)
    (learner,) = await people(services, org, 1)
    with pytest.raises(PeerlearnError) as err:
        await services.office_hours.book(org.id, t.id, learner.id, TUESDAY_NINE)
    assert err.value.code == "missing_answer"


async def test_another_organisations_office_hours_do_not_exist_for_us(
    services: Services, org: Any
) -> None:
    _, t = await host_with_hours(services, org)
    other = await services.people.create_organisation("globex", "Globex")
    stranger = await services.people.add_person(other.id, "Hank", "hank@globex.example")
    with pytest.raises(OfficeHoursNotFound):
        await services.office_hours.book(other.id, t.id, stranger.id, TUESDAY_NINE)
    with pytest.raises(OfficeHoursNotFound):
        await services.office_hours.slots(
            other.id, t.id, TUESDAY_NINE, TUESDAY_NINE + timedelta(days=1)
        )


async def test_matching_reads_next_free_slot_and_weekly_load(services: Services, org: Any) -> None:
    host, t = await host_with_hours(services, org)
    (learner,) = await people(services, org, 1)
    idle = await services.people.add_person(org.id, "No Hours", "none@acme.example")
    await book(services, org, t, learner)
    nxt = await services.office_hours.next_free_slots(
        org.id, [host.id, idle.id], datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    )
    # Monday 09:00 Berlin is inside the 60-minute notice; Tuesday 09:00 is taken
    assert nxt == {host.id: datetime(2026, 3, 23, 9, 0, tzinfo=UTC)}
    load = await services.office_hours.load_hours(
        org.id, [host.id, idle.id], datetime(2026, 3, 23, tzinfo=UTC)
    )
    assert load == {host.id: 0.5, idle.id: 0.0}


async def test_a_paused_type_takes_no_bookings_until_resumed(services: Services, org: Any) -> None:
    _, t = await host_with_hours(services, org)
    (learner,) = await people(services, org, 1)
    await services.office_hours.set_paused(org.id, t.id, True)
    with pytest.raises(PeerlearnError) as err:
        await book(services, org, t, learner)
    assert err.value.code == "office_hours_paused"
    await services.office_hours.set_paused(org.id, t.id, False)
    assert (await book(services, org, t, learner)).status == "confirmed"


async def test_two_bookings_swapping_slots_at_once_both_move(services: Services, org: Any) -> None:
    _, t = await host_with_hours(services, org, capacity=2)
    a, b = await people(services, org, 2)
    later = TUESDAY_NINE + timedelta(minutes=30)
    first = await book(services, org, t, a)
    second = await book(services, org, t, b, start=later)
    moved = await asyncio.gather(
        services.office_hours.reschedule(org.id, first.id, later),
        services.office_hours.reschedule(org.id, second.id, TUESDAY_NINE),
    )
    assert [m.start_utc for m in moved] == [later, TUESDAY_NINE]
    slots = await services.office_hours.slots(
        org.id, t.id, TUESDAY_NINE, later + timedelta(minutes=1)
    )
    assert [s.seats_left for s in slots] == [1, 1]


async def test_a_daily_limit_holds_when_many_book_different_slots_at_once(
    services: Services, org: Any
) -> None:
    _, t = await host_with_hours(services, org, max_per_day=2, max_per_week=3)
    learners = await people(services, org, 12)
    starts = [TUESDAY_NINE + timedelta(minutes=30 * (i % 6)) for i in range(12)]
    results = await asyncio.gather(
        *(
            services.office_hours.book(org.id, t.id, p.id, s, answers={"goal": "x"})
            for p, s in zip(learners, starts, strict=True)
        ),
        return_exceptions=True,
    )
    booked = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len({r.booking.start_utc for r in booked}) == 2
    assert {getattr(e, "code", repr(e)) for e in refused} <= {"booking_limit_reached"}
    # a cancelled session frees its place in the day's limit; the week allows one more
    first = booked[0].booking
    others = [r.booking for r in booked if r.booking.start_utc == first.start_utc]
    for b in others:
        await services.office_hours.cancel(org.id, b.id, "moved on")
    wednesday = TUESDAY_NINE + timedelta(days=1)
    again = await book(services, org, t, learners[11], start=wednesday)
    assert again.status == "confirmed"
    replacement = await book(services, org, t, learners[10], start=first.start_utc)
    assert replacement.status == "confirmed"
    with pytest.raises(PeerlearnError) as err:
        await book(services, org, t, learners[9], start=wednesday + timedelta(minutes=30))
    assert err.value.code == "booking_limit_reached"
