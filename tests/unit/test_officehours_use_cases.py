"""Booking rules over an in-memory unit of work: seats, waitlist order, approval, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from core.clock import FixedClock
from core.ids import new_id
from core.officehours.errors import InvalidTransition, NotASlot, SlotFull
from core.officehours.service import OfficeHoursService
from core.outbox import OutboxTopic
from core.people.model import Person
from tests.unit.officehours_fakes import FakeUnitOfWork, NoBusy, Store, TextInvitations

ORG = uuid4()
NOW = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
TUESDAY_TEN = datetime(2026, 3, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def service(store: Store) -> OfficeHoursService:
    return OfficeHoursService(
        lambda: FakeUnitOfWork(store), FixedClock(NOW), NoBusy(), TextInvitations()
    )


def person(store: Store, name: str) -> Person:
    p = Person(new_id(), ORG, name, f"{name.lower()}@acme.example", "UTC")
    store.people[p.id] = p
    return p


async def hours(service: OfficeHoursService, store: Store, **spec: Any) -> Any:
    host = person(store, "Host")
    return await service.create_type(
        ORG,
        host.id,
        {
            "title": "Clinic",
            "rules": [{"weekday": "tue", "start": "10:00", "end": "11:00"}],
            **spec,
        },
    )


async def test_the_waitlist_is_served_first_come_first_served(
    service: OfficeHoursService, store: Store
) -> None:
    t = await hours(service, store, capacity=1)
    ann, bob, cat = person(store, "Ann"), person(store, "Bob"), person(store, "Cat")
    seat = (await service.book(ORG, t.id, ann.id, TUESDAY_TEN)).booking
    second = (await service.book(ORG, t.id, bob.id, TUESDAY_TEN)).booking
    third = (await service.book(ORG, t.id, cat.id, TUESDAY_TEN)).booking
    assert [second.waitlist_position, third.waitlist_position] == [1, 2]
    await service.cancel(ORG, seat.id, "ill")
    assert (await service.get_booking(ORG, second.id)).status == "confirmed"
    assert (await service.get_booking(ORG, third.id)).status == "waitlisted"
    promoted = [m for m in store.outbox if m.payload.get("template") == "waitlist_promoted"]
    assert [m.payload["person_id"] for m in promoted] == [str(bob.id)]


async def test_refusing_the_waitlist_leaves_nothing_behind(
    service: OfficeHoursService, store: Store
) -> None:
    t = await hours(service, store, capacity=1)
    ann, bob = person(store, "Ann"), person(store, "Bob")
    await service.book(ORG, t.id, ann.id, TUESDAY_TEN)
    before = (len(store.bookings), len(store.outbox))
    with pytest.raises(SlotFull):
        await service.book(ORG, t.id, bob.id, TUESDAY_TEN, join_waitlist=False)
    assert (len(store.bookings), len(store.outbox)) == before


async def test_a_pending_booking_gets_its_calendar_event_only_when_approved(
    service: OfficeHoursService, store: Store
) -> None:
    t = await hours(service, store, requires_approval=True)
    ann = person(store, "Ann")
    pending = (await service.book(ORG, t.id, ann.id, TUESDAY_TEN)).booking
    assert pending.status == "pending"
    assert not [m for m in store.outbox if m.kind == OutboxTopic.CALENDAR_UPSERT]
    await service.approve(ORG, pending.id)
    assert [m.kind for m in store.outbox if m.kind.startswith("calendar")] == [
        OutboxTopic.CALENDAR_UPSERT
    ]
    assert (await service.invitation(ORG, pending.id)).startswith(b"REQUEST")


async def test_the_same_key_twice_is_one_booking(service: OfficeHoursService, store: Store) -> None:
    t = await hours(service, store, capacity=3)
    ann = person(store, "Ann")
    first = await service.book(ORG, t.id, ann.id, TUESDAY_TEN, idempotency_key="k")
    again = await service.book(ORG, t.id, ann.id, TUESDAY_TEN, idempotency_key="k")
    assert again.replayed and again.booking.id == first.booking.id
    assert len(store.bookings) == 1


async def test_an_audience_place_takes_no_seat_and_frees_none_when_given_up(
    service: OfficeHoursService, store: Store
) -> None:
    t = await hours(service, store, capacity=1)
    ann, bob, cat = person(store, "Ann"), person(store, "Bob"), person(store, "Cat")
    watching = (await service.book(ORG, t.id, bob.id, TUESDAY_TEN, audience=True)).booking
    assert (watching.status, watching.audience) == ("confirmed", True)
    again = (await service.book(ORG, t.id, bob.id, TUESDAY_TEN, audience=True)).booking
    assert again.id == watching.id and len(store.bookings) == 1
    # the one seat is still free, and the next person waits as usual
    assert (await service.book(ORG, t.id, ann.id, TUESDAY_TEN)).booking.status == "confirmed"
    waiting = (await service.book(ORG, t.id, cat.id, TUESDAY_TEN)).booking
    assert waiting.status == "waitlisted"
    with pytest.raises(InvalidTransition, match="audience place is not moved"):
        await service.reschedule(ORG, watching.id, TUESDAY_TEN.replace(day=31))
    # giving the audience place up frees no seat: Cat still waits, nobody is told
    told = len([m for m in store.outbox if m.kind == OutboxTopic.NOTIFY])
    left = await service.leave_audience(ORG, t.id, bob.id, TUESDAY_TEN)
    assert left is not None and left.status == "cancelled"
    assert (await service.get_booking(ORG, waiting.id)).status == "waitlisted"
    assert len([m for m in store.outbox if m.kind == OutboxTopic.NOTIFY]) == told
    assert store.outbox[-1].kind == OutboxTopic.CALENDAR_CANCEL  # his one-seat event
    assert await service.leave_audience(ORG, t.id, bob.id, TUESDAY_TEN) is None
    with pytest.raises(NotASlot):
        await service.leave_audience(ORG, t.id, bob.id, TUESDAY_TEN.replace(minute=10))
    # a presenter asking to watch keeps their seat: still one place
    seat = (await service.book(ORG, t.id, ann.id, TUESDAY_TEN, audience=True)).booking
    assert (seat.audience, seat.status) == (False, "confirmed")
