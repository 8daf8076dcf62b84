"""One contract, two calendars: the in-memory fake used by unit tests and the Graph adapter
(real msgraph-sdk) against the local fake Graph server must behave the same."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.graph.calendar import GraphCalendar
from adapters.graph.client import GraphConfig, build_client
from core.calendar import Attendee, CalendarEventSpec, CancelEvent, EventRef, UpsertEvent
from core.delivery import PermanentError, SkippedError
from tests.fakes.calendar import FakeCalendar
from tests.fakes.fake_graph import FakeGraph, StaticToken

SME = "jonas.becker@acme.example"
START = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)


def spec(*attendees: str, minutes: int = 30) -> CalendarEventSpec:
    return CalendarEventSpec(
        organizer_email=SME,
        subject="Office hours: Kubernetes networking",
        start=START,
        end=START + timedelta(minutes=minutes),
        attendees=tuple(Attendee(a, a.split("@")[0].title()) for a in attendees),
        body="Bring your cluster's network policy.",
        time_zone="Europe/Berlin",
    )


@dataclass
class Harness:
    calendar: Any
    live: Any
    attendees: Any


@pytest.fixture(params=["fake", "graph"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    if request.param == "fake":
        fake = FakeCalendar()
        yield Harness(
            fake,
            lambda: len(fake.live()),
            lambda eid: sorted(a.email for a in fake.events[eid].spec.attendees),
        )
        return
    async with FakeGraph() as graph:
        client = build_client(
            GraphConfig("tenant", "client", base_url=graph.base_url), credential=StaticToken()
        )
        try:
            yield Harness(
                GraphCalendar(client),
                lambda: len(graph.live_events(SME)),
                lambda eid: sorted(
                    a["emailAddress"]["address"] for a in graph.events[eid]["attendees"]
                ),
            )
        finally:
            await client.close()
        assert graph.rejected == [], graph.rejected


async def test_a_create_returns_the_event_and_its_teams_join_link(harness: Harness) -> None:
    (ref,) = await harness.calendar.apply([UpsertEvent("tx-1", spec("mei.lin@acme.example"))])
    assert isinstance(ref, EventRef) and ref.event_id and ref.join_url.startswith("https://")
    assert harness.live() == 1
    assert harness.attendees(ref.event_id) == ["mei.lin@acme.example"]


async def test_a_repeated_create_with_the_same_transaction_id_makes_no_second_event(
    harness: Harness,
) -> None:
    first, again = await harness.calendar.apply(
        [UpsertEvent("tx-1", spec("mei.lin@acme.example"))]
    ) + await harness.calendar.apply([UpsertEvent("tx-1", spec("mei.lin@acme.example"))])
    assert isinstance(first, EventRef) and isinstance(again, EventRef)
    assert again.event_id == first.event_id
    assert harness.live() == 1


async def test_an_update_keeps_one_event_and_changes_its_attendees(harness: Harness) -> None:
    (ref,) = await harness.calendar.apply([UpsertEvent("tx-1", spec("mei.lin@acme.example"))])
    assert isinstance(ref, EventRef)
    (updated,) = await harness.calendar.apply(
        [
            UpsertEvent(
                "tx-2", spec("mei.lin@acme.example", "ravi.shankar@acme.example"), ref.event_id
            )
        ]
    )
    assert isinstance(updated, EventRef) and updated.event_id == ref.event_id
    assert harness.live() == 1
    assert harness.attendees(ref.event_id) == ["mei.lin@acme.example", "ravi.shankar@acme.example"]


async def test_a_cancel_removes_the_event_and_cancelling_a_missing_one_is_skipped(
    harness: Harness,
) -> None:
    (ref,) = await harness.calendar.apply([UpsertEvent("tx-1", spec("mei.lin@acme.example"))])
    assert isinstance(ref, EventRef)
    (cancelled,) = await harness.calendar.apply([CancelEvent(SME, ref.event_id, "SME is ill")])
    assert isinstance(cancelled, EventRef)
    assert harness.live() == 0
    (missing,) = await harness.calendar.apply([CancelEvent(SME, "AAMk-unknown", "again")])
    assert isinstance(missing, SkippedError)


async def test_updating_an_event_that_does_not_exist_is_a_permanent_failure(
    harness: Harness,
) -> None:
    (answer,) = await harness.calendar.apply(
        [UpsertEvent("tx-1", spec("mei.lin@acme.example"), "AAMk-unknown")]
    )
    assert isinstance(answer, PermanentError)


async def test_several_operations_are_answered_one_by_one_in_order(harness: Harness) -> None:
    ops = [UpsertEvent(f"tx-{i}", spec(f"learner{i}@acme.example")) for i in range(25)]
    answers = await harness.calendar.apply(ops)
    assert all(isinstance(a, EventRef) for a in answers)
    assert len({a.event_id for a in answers if isinstance(a, EventRef)}) == 25
    assert harness.live() == 25
    first = answers[3]
    assert isinstance(first, EventRef)
    assert harness.attendees(first.event_id) == ["learner3@acme.example"]


async def test_the_sdk_leaves_retries_to_the_worker_and_passes_retry_after_on() -> None:
    from core.delivery import TransientError

    async with FakeGraph() as graph:
        client = build_client(
            GraphConfig("tenant", "client", base_url=graph.base_url), credential=StaticToken()
        )
        try:
            graph.fail_next(1, 429, "9")
            (answer,) = await GraphCalendar(client).apply(
                [UpsertEvent("tx-1", spec("a@acme.example"))]
            )
        finally:
            await client.close()
    assert isinstance(answer, TransientError) and answer.retry_after == 9
    assert graph.http_requests == 1  # no hidden SDK retry holding a worker slot
    assert graph.events == {}
