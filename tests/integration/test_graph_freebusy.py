"""Offered slots avoid the expert's real meetings: the office-hours `BusyTimes` port backed by
Graph `getSchedule` (real msgraph-sdk client against the fake Graph), cached briefly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.graph.client import GraphClient, GraphConfig, build_client
from adapters.graph.freebusy import GraphBusyTimes
from adapters.ics import IcalendarInvitations
from core.clock import FixedClock
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
