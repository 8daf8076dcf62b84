"""A group session keeps one Outlook event: the same office-hours story delivered by the real
worker to the in-memory fake calendar and, through the real msgraph-sdk, to the fake Graph."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from app.delivery import (
    calendar_event_id,
    delivery_registry,
    link_recorder,
    session_attendees,
)
from app.settings import Settings
from app.worker import Worker, WorkerConfig
from core.calendar import CalendarDelivery
from core.clock import FixedClock
from core.delivery import HandlerRegistry, RetryPolicy, TransientError
from core.outbox import OutboxTopic
from core.services import Services
from tests.fakes.calendar import FakeCalendar
from tests.fakes.fake_graph import FakeGraph, StaticToken

HOST = "jonas@acme.example"
START = datetime(2026, 3, 24, 8, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Berlin
POLICY = RetryPolicy(max_attempts=12, base=timedelta(seconds=5), cap=timedelta(minutes=2))


@dataclass
class Calendar:
    """What a test sees of the host's calendar, whichever calendar is behind it."""

    worker: Worker
    #: live (not cancelled) events: id → sorted attendee addresses
    live: Callable[[], dict[str, list[str]]]
    comment: Callable[[str], str]
    #: make the next n calendar calls fail with a transient error
    fail: Callable[[int], None]
    requests: Callable[[], int]


@pytest.fixture(params=["fake", "graph"])
async def calendar(request: pytest.FixtureRequest, services: Services) -> AsyncIterator[Calendar]:
    config = WorkerConfig(policy=POLICY)
    if request.param == "fake":
        fake = FakeCalendar()
        calls = {"n": 0}
        inner = fake.apply

        async def counted(ops: Any) -> Any:
            calls["n"] += len(ops)
            return await inner(ops)

        fake.apply = counted  # type: ignore[method-assign]
        delivery = CalendarDelivery(
            fake,
            calendar_event_id(services),
            [link_recorder(services)],
            current_attendees=session_attendees(services),
        )
        registry = HandlerRegistry()
        registry.register_batch(OutboxTopic.CALENDAR_UPSERT, delivery.deliver_many)
        registry.register_batch(OutboxTopic.CALENDAR_CANCEL, delivery.deliver_many)
        yield Calendar(
            Worker(services.uow, registry, services.clock, config, rng=random.Random(1)),
            lambda: {
                e.id: sorted(a.email for a in e.spec.attendees)
                for e in fake.live()
                if e.organizer == HOST
            },
            lambda eid: fake.events[eid].comment,
            lambda n: fake.failures.extend(TransientError("graph 503") for _ in range(n)),
            lambda: calls["n"],
        )
        return
    async with FakeGraph() as graph:
        settings = Settings(database_url="sqlite://:memory:", graph_base_url=graph.base_url)
        async with delivery_registry(settings, services, graph_credential=StaticToken()) as reg:
            yield Calendar(
                Worker(services.uow, reg, services.clock, config, rng=random.Random(1)),
                lambda: {
                    e["id"]: sorted(a["emailAddress"]["address"] for a in e["attendees"])
                    for e in graph.live_events(HOST)
                },
                lambda eid: str(graph.events[eid].get("cancelComment", "")),
                lambda n: graph.fail_next(n, 503),
                lambda: graph.http_requests,
            )
        assert graph.rejected == [], graph.rejected


async def settle(cal: Calendar, services: Services, clock: FixedClock) -> None:
    """Deliver until every calendar row is done (notices have no handler here)."""
    statuses: Counter[str] = Counter()
    for _ in range(40):
        await cal.worker.drain()
        async with services.uow() as uow:
            rows = await uow.outbox.list(limit=10_000)
        statuses = Counter(r.status for r in rows if r.kind.startswith("calendar."))
        if set(statuses) <= {"done"}:
            return
        clock.advance(timedelta(minutes=3))
    raise AssertionError(f"calendar rows did not settle: {statuses}")


@dataclass
class Session:
    org_id: UUID
    type_id: UUID
    people: dict[str, UUID]


async def group_session(services: Services, org: Any, capacity: int = 3) -> Session:
    host = await services.people.add_person(org.id, "Jonas Becker", HOST, "Europe/Berlin")
    people = {"host": host.id}
    for name in ("ana", "ben", "cai", "dev", "eli"):
        person = await services.people.add_person(
            org.id, name.title(), f"{name}@acme.example", "Europe/Berlin"
        )
        people[name] = person.id
    spec = {
        "title": "Kubernetes clinic",
        "rules": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
        "slot_minutes": 60,
        "interval_minutes": 60,
        "capacity": capacity,
        "horizon_days": 21,
    }
    t = await services.office_hours.create_type(org.id, host.id, spec)
    return Session(org.id, t.id, people)


async def book(services: Services, s: Session, who: str) -> UUID:
    result = await services.office_hours.book(s.org_id, s.type_id, s.people[who], START)
    return result.booking.id


def emails(*names: str) -> list[str]:
    return sorted(f"{n}@acme.example" for n in names)


async def test_one_event_follows_bookings_cancellations_and_the_waitlist(
    calendar: Calendar, services: Services, org: Any, clock: FixedClock
) -> None:
    s = await group_session(services, org)
    oh = services.office_hours
    ana = await book(services, s, "ana")
    await settle(calendar, services, clock)
    ((event_id, attendees),) = calendar.live().items()
    assert attendees == emails("ana")
    first = await oh.get_booking(s.org_id, ana)
    assert first.calendar_event_id == event_id and first.join_url.startswith("https://")

    ben, cai = await book(services, s, "ben"), await book(services, s, "cai")
    dev = await book(services, s, "dev")  # the session is full: dev waits
    assert (await oh.get_booking(s.org_id, dev)).status == "waitlisted"
    await settle(calendar, services, clock)
    assert calendar.live() == {event_id: emails("ana", "ben", "cai")}
    for b in (ana, ben, cai):
        booking = await oh.get_booking(s.org_id, b)
        assert (booking.calendar_event_id, booking.join_url) == (event_id, first.join_url)
    assert (await oh.get_booking(s.org_id, dev)).join_url == ""

    await oh.cancel(s.org_id, ana, "conflict")  # dev is promoted into the freed seat
    await settle(calendar, services, clock)
    assert calendar.live() == {event_id: emails("ben", "cai", "dev")}
    assert (await oh.get_booking(s.org_id, ana)).join_url == ""
    assert (await oh.get_booking(s.org_id, dev)).join_url == first.join_url
    ics = (await oh.invitation(s.org_id, dev)).decode().replace("\r\n ", "")
    assert first.join_url in ics and "URL:" in ics

    # the expert cancels everyone: the one event is cancelled with the last reason
    for b in (ben, cai, dev):
        await oh.cancel(s.org_id, b, "expert is ill", by=s.people["host"])
    await settle(calendar, services, clock)
    assert calendar.live() == {}
    assert calendar.comment(event_id) == "expert is ill"
    for b in (ana, ben, cai, dev):
        assert (await oh.get_booking(s.org_id, b)).join_url == ""

    # booked again later: a new event, not a patch of the cancelled one
    eli = await book(services, s, "eli")
    await settle(calendar, services, clock)
    ((again, attendees),) = calendar.live().items()
    assert again != event_id and attendees == emails("eli")
    assert (await oh.get_booking(s.org_id, eli)).calendar_event_id == again


async def test_attendee_updates_never_overtake_a_create_that_is_still_failing(
    calendar: Calendar, services: Services, org: Any, clock: FixedClock
) -> None:
    s = await group_session(services, org, capacity=4)
    calendar.fail(3)  # Graph is down for the first three calls
    for who in ("ana", "ben", "cai"):
        await book(services, s, who)
    await settle(calendar, services, clock)
    ((_, attendees),) = calendar.live().items()
    assert attendees == emails("ana", "ben", "cai")


async def test_one_to_one_bookings_still_get_an_event_each(
    calendar: Calendar, services: Services, org: Any, clock: FixedClock
) -> None:
    s = await group_session(services, org, capacity=1)
    await book(services, s, "ana")
    later = START + timedelta(hours=1)
    await services.office_hours.book(s.org_id, s.type_id, s.people["ben"], later)
    await settle(calendar, services, clock)
    assert sorted(calendar.live().values()) == [emails("ana"), emails("ben")]


async def test_a_session_emptied_before_the_worker_ran_never_reaches_the_calendar(
    calendar: Calendar, services: Services, org: Any, clock: FixedClock
) -> None:
    s = await group_session(services, org)
    ana, ben = await book(services, s, "ana"), await book(services, s, "ben")
    for b in (ana, ben):
        await services.office_hours.cancel(s.org_id, b, "plans changed")
    before = calendar.requests()
    await settle(calendar, services, clock)
    assert calendar.live() == {}
    assert calendar.requests() == before  # nothing to create, nothing to cancel


async def test_the_expert_calls_off_the_session_and_its_one_event_is_cancelled_once(
    calendar: Calendar, api: Any, services: Services, org: Any, clock: FixedClock
) -> None:
    s = await group_session(services, org, capacity=2)
    for who in ("ana", "ben", "cai"):  # cai waits
        await book(services, s, who)
    await settle(calendar, services, clock)
    ((event_id, _),) = calendar.live().items()
    before = calendar.requests()

    url = f"/api/v1/office-hours/{s.type_id}/sessions/cancel"
    resp = await api.post(url, json={"start": START.isoformat(), "reason": "expert is ill"})
    assert resp.status == 200, await resp.text()
    items = (await resp.json())["items"]
    assert len(items) == 3 and {b["status"] for b in items} == {"cancelled"}
    await settle(calendar, services, clock)
    assert calendar.live() == {}
    assert calendar.comment(event_id) == "expert is ill"
    assert calendar.requests() == before + 1  # one cancel, no attendee shuffling first
    assert (await services.outbox.counts())["dead"] == 0
    again = await api.post(url, json={"start": "2026-03-24T08:07:00Z"})
    assert again.status == 400  # not one of the slots
