"""Offered slots avoid the expert's real meetings: the office-hours `BusyTimes` port backed by
Graph `getSchedule` (real msgraph-sdk client against the fake Graph), cached briefly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.graph.client import GraphClient, GraphConfig, build_client
from adapters.graph.freebusy import GraphBusyTimes
from adapters.ics import IcalendarInvitations
from app.settings import Settings
from app.web import create_app
from core.clock import FixedClock
from core.officehours.errors import SlotUnavailable
from core.officehours.model import Interval
from core.officehours.service import OfficeHoursService
from core.services import Services
from tests.fakes.fake_graph import FakeGraph, StaticToken

JONAS = "jonas@acme.example"
# Tuesday 2026-03-24: Berlin is UTC+1, so 09:00-12:00 Berlin office hours are 08:00-11:00 UTC
TUESDAY = datetime(2026, 3, 24, 0, 0, tzinfo=UTC)


def item(status: str, start: str, end: str, zone: str = "UTC") -> dict[str, Any]:
    return {
        "status": status,
        "start": {"dateTime": start, "timeZone": zone},
        "end": {"dateTime": end, "timeZone": zone},
    }


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        fake.busy[JONAS] = [
            item("busy", "2026-03-24T08:30:00.0000000", "2026-03-24T09:15:00.0000000"),
            item("free", "2026-03-24T10:00:00.0000000", "2026-03-24T10:30:00.0000000"),
            # an out-of-office block given in the expert's own zone
            item("oof", "2026-03-24T11:30:00", "2026-03-24T12:00:00", "Europe/Berlin"),
            item("tentative", "2026-03-25T08:00:00", "2026-03-25T08:30:00"),
        ]
        yield fake


@pytest.fixture
async def client(graph: FakeGraph) -> AsyncIterator[GraphClient]:
    c = build_client(GraphConfig("t", "c", base_url=graph.base_url), credential=StaticToken())
    yield c
    await c.close()


async def test_busy_free_and_out_of_office_items_become_utc_busy_intervals(
    services: Services, org: Any, graph: FakeGraph, client: GraphClient
) -> None:
    jonas = await services.people.add_person(org.id, "Jonas Becker", JONAS, "Europe/Berlin")
    busy = GraphBusyTimes(client, services.uow)
    found = await busy.busy(org.id, [jonas.id], TUESDAY, TUESDAY + timedelta(days=1))
    assert found[jonas.id] == [
        Interval(
            datetime(2026, 3, 24, 8, 30, tzinfo=UTC), datetime(2026, 3, 24, 9, 15, tzinfo=UTC)
        ),
        Interval(
            datetime(2026, 3, 24, 10, 30, tzinfo=UTC), datetime(2026, 3, 24, 11, 0, tzinfo=UTC)
        ),
    ]
    assert graph.rejected == []


async def test_the_schedule_is_cached_briefly_and_an_outage_offers_slots_without_it(
    services: Services, org: Any, graph: FakeGraph, client: GraphClient
) -> None:
    jonas = await services.people.add_person(org.id, "Jonas Becker", JONAS, "Europe/Berlin")
    busy = GraphBusyTimes(client, services.uow, ttl_seconds=60)
    window = (TUESDAY, TUESDAY + timedelta(days=2))
    first = await busy.busy(org.id, [jonas.id], *window)
    requests = graph.http_requests
    assert await busy.busy(org.id, [jonas.id], *window) == first
    assert graph.http_requests == requests
    outage = GraphBusyTimes(client, services.uow)
    graph.fail_next(1, 503, "")
    assert await outage.busy(org.id, [jonas.id], *window) == {}


async def test_offered_office_hours_slots_avoid_the_expert_s_real_meetings(
    services: Services, org: Any, clock: FixedClock, client: GraphClient
) -> None:
    jonas = await services.people.add_person(org.id, "Jonas Becker", JONAS, "Europe/Berlin")
    office_hours = OfficeHoursService(
        services.uow, clock, GraphBusyTimes(client, services.uow), IcalendarInvitations()
    )
    spec = {
        "title": "Kubernetes clinic",
        "rules": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
        "slot_minutes": 30,
        "interval_minutes": 30,
        "horizon_days": 21,
    }
    t = await office_hours.create_type(org.id, jonas.id, spec)
    slots = await office_hours.slots(org.id, t.id, TUESDAY, TUESDAY + timedelta(days=1))
    starts = sorted(s.start_utc.strftime("%H:%M") for s in slots if s.seats_left > 0)
    # 08:00-11:00 UTC in half hours, minus the 08:30-09:15 meeting and the 10:30 out-of-office
    assert starts == ["08:00", "09:30", "10:00"]


async def wired_api(
    aiohttp_client: Any, settings: Settings, services: Services, org: Any, busy: GraphBusyTimes
) -> tuple[Any, Services]:
    """The JSON API with office hours reading the fake Graph's calendars."""
    office_hours = OfficeHoursService(services.uow, services.clock, busy, IcalendarInvitations())
    wired = replace(services, office_hours=office_hours)
    _, secret = await wired.people.create_api_key(org.id, "tests")
    api = await aiohttp_client(create_app(settings, wired))
    api.session.headers["Authorization"] = f"Bearer {secret}"
    return api, wired


CLINIC = {
    "title": "Kubernetes clinic",
    "rules": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
    "slot_minutes": 30,
    "interval_minutes": 30,
    "horizon_days": 21,
}


async def test_booking_rechecks_the_calendar_and_refuses_a_slot_a_new_meeting_took(
    aiohttp_client: Any,
    settings: Settings,
    services: Services,
    org: Any,
    graph: FakeGraph,
    client: GraphClient,
) -> None:
    jonas = await services.people.add_person(org.id, "Jonas Becker", JONAS, "Europe/Berlin")
    mei = await services.people.add_person(org.id, "Mei Lin", "mei@acme.example", "Asia/Singapore")
    busy = GraphBusyTimes(client, services.uow, ttl_seconds=600)
    api, wired = await wired_api(aiohttp_client, settings, services, org, busy)
    t = await wired.office_hours.create_type(org.id, jonas.id, CLINIC)
    day = {"from": "2026-03-24T00:00:00Z", "to": "2026-03-25T00:00:00Z", "free_only": "true"}
    shown = await (await api.get(f"/api/v1/office-hours/{t.id}/slots", params=day)).json()
    assert "2026-03-24T09:30:00+00:00" in [s["start"] for s in shown["items"]]
    # the booking's own window is in the cache too, as free: only a fresh look can see the meeting
    slot = datetime(2026, 3, 24, 9, 30, tzinfo=UTC)
    await busy.busy(org.id, [jonas.id], slot, slot + timedelta(minutes=30))
    graph.busy[JONAS].append(item("busy", "2026-03-24T09:30:00", "2026-03-24T10:00:00"))
    requests = graph.http_requests

    body = {"office_hours_id": str(t.id), "person_id": str(mei.id), "start": slot.isoformat()}
    refused = await api.post("/api/v1/bookings", json=body)
    assert refused.status == 409, await refused.text()
    error = (await refused.json())["error"]
    assert error["code"] == "slot_unavailable" and "meeting in their calendar" in error["message"]
    assert graph.http_requests == requests + 1  # asked Graph again despite the cache
    assert await wired.office_hours.bookings_for_person(org.id, mei.id) == []

    body["start"] = "2026-03-24T10:00:00+00:00"
    booked = await api.post("/api/v1/bookings", json=body)
    assert booked.status == 201, await booked.text()
    assert graph.rejected == []


async def test_a_group_session_s_own_event_does_not_block_its_next_seat(
    services: Services, org: Any, clock: FixedClock, graph: FakeGraph, client: GraphClient
) -> None:
    jonas = await services.people.add_person(org.id, "Jonas Becker", JONAS, "Europe/Berlin")
    office_hours = OfficeHoursService(
        services.uow, clock, GraphBusyTimes(client, services.uow), IcalendarInvitations()
    )
    t = await office_hours.create_type(org.id, jonas.id, {**CLINIC, "capacity": 3})
    slot = datetime(2026, 3, 24, 9, 30, tzinfo=UTC)
    learners = [
        await services.people.add_person(org.id, n, f"{n}@acme.example", "UTC")
        for n in ("ana", "ben")
    ]
    first = await office_hours.book(org.id, t.id, learners[0].id, slot)
    assert first.booking.status == "confirmed"
    # the worker has put the session's event in Outlook: getSchedule now shows it as busy
    graph.busy[JONAS].append(item("busy", "2026-03-24T09:30:00", "2026-03-24T10:00:00"))
    second = await office_hours.book(org.id, t.id, learners[1].id, slot)
    assert second.booking.status == "confirmed"


async def test_a_slow_calendar_does_not_hold_a_booking(
    services: Services, org: Any, graph: FakeGraph, client: GraphClient
) -> None:
    jonas = await services.people.add_person(org.id, "Jonas Becker", JONAS, "Europe/Berlin")
    busy = GraphBusyTimes(client, services.uow, timeout_seconds=0.2)
    graph.faults.script.append(("slow", 2.0))
    started = asyncio.get_running_loop().time()
    found = await busy.busy(org.id, [jonas.id], TUESDAY, TUESDAY + timedelta(days=1), fresh=True)
    assert found == {}  # no busy time known: booking goes on
    assert asyncio.get_running_loop().time() - started < 1.5


async def _when_graph_asked(graph: FakeGraph, before: int) -> None:
    while graph.http_requests == before:
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("meeting", [False, True], ids=["free", "new-meeting"])
async def test_a_slow_calendar_holds_no_transaction_while_a_booking_waits_for_it(
    services: Services,
    org: Any,
    clock: FixedClock,
    graph: FakeGraph,
    client: GraphClient,
    meeting: bool,
) -> None:
    """The host's calendar is asked before the booking's transaction opens: while Graph takes
    its time, other requests write (on SQLite a held transaction would hold the one
    connection), and Graph's answer still decides the booking."""
    jonas = await services.people.add_person(org.id, "Jonas Becker", JONAS, "Europe/Berlin")
    mei = await services.people.add_person(org.id, "Mei Lin", "mei@acme.example", "UTC")
    office_hours = OfficeHoursService(
        services.uow,
        clock,
        GraphBusyTimes(client, services.uow, timeout_seconds=5.0),
        IcalendarInvitations(),
    )
    t = await office_hours.create_type(org.id, jonas.id, CLINIC)
    slot = datetime(2026, 3, 24, 9, 30, tzinfo=UTC)
    if meeting:
        graph.busy[JONAS].append(item("busy", "2026-03-24T09:30:00", "2026-03-24T10:00:00"))
    graph.faults.script.append(("slow", 1.5))
    before = graph.http_requests
    booking = asyncio.create_task(office_hours.book(org.id, t.id, mei.id, slot))
    await asyncio.wait_for(_when_graph_asked(graph, before), 5)

    # Graph is still thinking: another request writes and reads without waiting for it
    started = asyncio.get_running_loop().time()
    ana = await asyncio.wait_for(
        services.people.add_person(org.id, "Ana Silva", "ana@acme.example", "UTC"), 0.75
    )
    other = await asyncio.wait_for(office_hours.bookings_for_person(org.id, ana.id), 0.75)
    assert other == [] and asyncio.get_running_loop().time() - started < 0.75
    assert not booking.done()

    if meeting:
        with pytest.raises(SlotUnavailable, match="meeting in their calendar"):
            await booking
        assert await office_hours.bookings_for_person(org.id, mei.id) == []
    else:
        assert (await booking).booking.status == "confirmed"
