"""Delivery rules without I/O: retry timing, the handler registry, calendar payloads and the
calendar handler over the in-memory calendar."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from core.calendar import Attendee, CalendarDelivery, CalendarEventSpec
from core.delivery import (
    HandlerRegistry,
    PermanentError,
    Result,
    RetryPolicy,
    SkippedError,
    TransientError,
)
from core.outbox import OutboxMessage, OutboxTopic
from tests.fakes.calendar import FakeCalendar

NOW = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)


def test_backoff_doubles_with_each_attempt_within_the_jitter_band_and_stops_at_the_cap() -> None:
    policy = RetryPolicy(base=timedelta(seconds=10), cap=timedelta(minutes=5), jitter=0.5)
    rng = random.Random(4)
    for attempts, full in [(1, 10), (2, 20), (3, 40), (4, 80), (10, 300)]:
        for _ in range(50):
            delay = policy.delay(attempts, rng=rng).total_seconds()
            assert full * 0.5 <= delay <= full


def test_a_retry_after_hint_is_honoured_never_earlier_and_only_slightly_later() -> None:
    policy = RetryPolicy(base=timedelta(seconds=1))
    rng = random.Random(9)
    delays = [policy.delay(1, retry_after=30, rng=rng).total_seconds() for _ in range(100)]
    assert min(delays) >= 30 and max(delays) <= 33
    assert len(set(delays)) > 1  # spread so retries do not stampede


def test_rows_are_dead_lettered_after_the_attempt_budget() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert not policy.exhausted(2)
    assert policy.exhausted(3)


def test_a_batch_handler_is_limited_to_graph_s_twenty_requests() -> None:
    registry = HandlerRegistry()

    async def many(messages: object) -> list[Result]:
        return []

    with pytest.raises(ValueError):
        registry.register_batch(OutboxTopic.CALENDAR_UPSERT, many, max_batch=21)  # type: ignore[arg-type]
    registry.register_batch(OutboxTopic.CALENDAR_UPSERT, many, max_batch=20)  # type: ignore[arg-type]
    assert OutboxTopic.CALENDAR_UPSERT in registry
    assert registry.kinds() == [OutboxTopic.CALENDAR_UPSERT]


def office_hours_payload(**overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "booking_id": "b-1",
        "organizer": {"person_id": "p-1", "name": "Jonas Becker", "email": "jonas@acme.example"},
        "attendees": [{"person_id": "p-2", "name": "Mei Lin", "email": "mei@acme.example"}],
        "start_utc": "2026-03-29T00:30:00+00:00",
        "end_utc": "2026-03-29T01:00:00+00:00",
        "time_zone": "Europe/Berlin",
        "subject": "Office hours with Jonas",
        "body": "Kubernetes networking",
        "location": "Microsoft Teams meeting",
        "is_online_meeting": True,
    }
    payload.update(overrides)
    return payload


def test_office_hours_payloads_are_read_as_calendar_events() -> None:
    spec = CalendarEventSpec.from_payload(office_hours_payload())
    assert spec.organizer_email == "jonas@acme.example"
    assert spec.attendees == (Attendee("mei@acme.example", "Mei Lin"),)
    assert spec.start == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert spec.online and spec.time_zone == "Europe/Berlin"
    assert CalendarEventSpec.from_payload(spec.to_payload()) == spec


@pytest.mark.parametrize(
    "broken",
    [
        {"start_utc": "2026-03-29T00:30:00"},  # no zone
        {"end_utc": "2026-03-29T00:00:00+00:00"},  # ends before it starts
        {"organizer": {"name": "nobody"}},
        {"start_utc": "tomorrow"},
    ],
)
def test_a_malformed_calendar_payload_is_a_permanent_failure(broken: dict[str, object]) -> None:
    with pytest.raises(PermanentError):
        CalendarEventSpec.from_payload(office_hours_payload(**broken))


def row(kind: str, payload: dict[str, object], aggregate: str = "b-1") -> OutboxMessage:
    return OutboxMessage(uuid4(), uuid4(), kind, "booking", aggregate, dict(payload), NOW)


class Lookup:
    """The event id earlier deliveries recorded, per aggregate (the outbox does this for real)."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    async def __call__(self, aggregate_type: str, aggregate_id: str) -> str | None:
        return self.known.get(aggregate_id)


async def test_create_then_reschedule_then_cancel_touch_one_event() -> None:
    calendar, lookup = FakeCalendar(), Lookup()
    delivery = CalendarDelivery(calendar, lookup)
    created = await delivery.deliver(row(OutboxTopic.CALENDAR_UPSERT, office_hours_payload()))
    lookup.known["b-1"] = created["event_id"]
    moved = office_hours_payload(
        start_utc="2026-03-30T07:00:00+00:00", end_utc="2026-03-30T07:30:00+00:00"
    )
    updated = await delivery.deliver(row(OutboxTopic.CALENDAR_UPSERT, moved))
    assert updated["event_id"] == created["event_id"]
    (event,) = calendar.live()
    assert event.spec.start == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    cancelled = await delivery.deliver(
        row(OutboxTopic.CALENDAR_CANCEL, office_hours_payload(reason="expert is ill"))
    )
    assert cancelled == {"event_id": created["event_id"], "cancelled": True}
    assert calendar.live() == [] and calendar.events[created["event_id"]].comment == "expert is ill"


async def test_cancelling_a_booking_whose_event_was_never_created_has_nothing_to_do() -> None:
    delivery = CalendarDelivery(FakeCalendar(), Lookup())
    with pytest.raises(SkippedError):
        await delivery.deliver(row(OutboxTopic.CALENDAR_CANCEL, office_hours_payload()))


async def test_a_batch_answers_each_row_even_when_some_are_malformed_or_throttled() -> None:
    calendar = FakeCalendar(failures=[TransientError("429", retry_after=2)])
    recorded: list[str] = []

    async def record(message: OutboxMessage, ref: object) -> None:
        recorded.append(message.aggregate_id)

    delivery = CalendarDelivery(calendar, Lookup(), recorders=[record])
    rows = [
        row(OutboxTopic.CALENDAR_UPSERT, office_hours_payload(), "b-1"),
        row(OutboxTopic.CALENDAR_UPSERT, office_hours_payload(start_utc="soon"), "b-2"),
        row(OutboxTopic.CALENDAR_UPSERT, office_hours_payload(), "b-3"),
    ]
    outcomes = await delivery.deliver_many(rows)
    assert isinstance(outcomes[0], TransientError) and outcomes[0].retry_after == 2
    assert isinstance(outcomes[1], PermanentError)
    assert isinstance(outcomes[2], dict) and outcomes[2]["join_url"]
    assert recorded == ["b-3"]


async def test_a_group_session_s_attendees_are_the_seat_holders_when_the_row_is_delivered() -> None:
    calendar, lookup = FakeCalendar(), Lookup()
    seated = [Attendee("ana@acme.example", "Ana")]

    async def attendees(org_id: object, aggregate_type: str, aggregate_id: str) -> list[Attendee]:
        assert aggregate_type == "booking" and aggregate_id == "b-1"
        return list(seated)

    delivery = CalendarDelivery(calendar, lookup, current_attendees=attendees)
    group = office_hours_payload(attendees_from="aggregate")
    created = await delivery.deliver(row(OutboxTopic.CALENDAR_UPSERT, group))
    lookup.known["b-1"] = created["event_id"]
    seated.append(Attendee("ben@acme.example", "Ben"))  # booked before the next row went out
    await delivery.deliver(row(OutboxTopic.CALENDAR_UPSERT, group))
    (event,) = calendar.live()
    assert [a.email for a in event.spec.attendees] == ["ana@acme.example", "ben@acme.example"]


async def test_a_group_session_emptied_before_its_event_was_made_makes_none() -> None:
    async def nobody(org_id: object, aggregate_type: str, aggregate_id: str) -> list[Attendee]:
        return []

    calendar = FakeCalendar()
    delivery = CalendarDelivery(calendar, Lookup(), current_attendees=nobody)
    group = office_hours_payload(attendees_from="aggregate")
    with pytest.raises(SkippedError):
        await delivery.deliver(row(OutboxTopic.CALENDAR_UPSERT, group))
    assert calendar.events == {}
    with pytest.raises(PermanentError):  # a group row needs the lookup wired in
        await CalendarDelivery(calendar, Lookup()).deliver(row(OutboxTopic.CALENDAR_UPSERT, group))
