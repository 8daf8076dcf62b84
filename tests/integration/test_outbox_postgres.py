"""PostgreSQL-only behaviour of the outbox: row locks skipped, several workers at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from tortoise import Tortoise

from adapters.db import lifecycle
from app.bootstrap import build_services
from app.settings import Settings
from app.worker import DrainStats, Worker
from core.clock import FixedClock
from core.outbox import OutboxTopic
from core.services import Services
from tests.fakes.fake_graph import FakeGraph, Faults
from tests.integration.test_graph_delivery import booking_spec, graph_worker, write

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_services(postgres_url: str, clock: FixedClock) -> AsyncIterator[Services]:
    await lifecycle.connect(postgres_url)
    try:
        yield build_services(Settings(database_url=postgres_url), clock=clock)
    finally:
        await Tortoise.close_connections()


async def test_a_row_locked_by_another_worker_is_skipped_not_waited_for(
    pg_services: Services, postgres_url: str, clock: FixedClock
) -> None:
    org = await pg_services.people.create_organisation("acme", "Acme", ["tenant-acme"])
    first = await write(pg_services, org.id, OutboxTopic.NOTIFY, "b1", {})
    second = await write(pg_services, org.id, OutboxTopic.NOTIFY, "b2", {})
    other = await asyncpg.connect("postgresql://" + postgres_url.split("://", 1)[1])
    try:
        async with other.transaction():
            await other.execute("SELECT id FROM outbox WHERE id = $1 FOR UPDATE", first.id)
            async with pg_services.uow() as uow:
                claimed = await asyncio.wait_for(
                    uow.outbox.claim_due(clock.now(), clock.now() + timedelta(minutes=1), 10), 5
                )
                await uow.commit()
    finally:
        await other.close()
    assert [m.id for m in claimed] == [second.id]


async def test_two_workers_at_once_share_the_rows_and_never_deliver_one_twice(
    pg_services: Services, clock: FixedClock
) -> None:
    org = await pg_services.people.create_organisation("acme", "Acme", ["tenant-acme"])
    bookings = [f"b{i:03d}" for i in range(150)]
    for i, b in enumerate(bookings):
        spec = booking_spec(b, f"learner{i}@acme.example", hour=8 + i % 9)
        await write(pg_services, org.id, OutboxTopic.CALENDAR_UPSERT, b, spec.to_payload())
        if i % 5 == 0:
            payload = {**spec.to_payload(), "reason": "moved to a workshop"}
            await write(pg_services, org.id, OutboxTopic.CALENDAR_CANCEL, b, payload)
    total = 150 + 30
    faults = Faults(latency=0.02, throttle_rate=0.05, unavailable_rate=0.02, retry_after="1")
    async with FakeGraph(faults) as graph:
        # leases outlast the test's fast-forwarded clock: no row changes hands mid-delivery
        lease = timedelta(hours=1)
        async with (
            graph_worker(pg_services, graph, batch_size=40, concurrency=2, lease=lease) as one,
            graph_worker(pg_services, graph, batch_size=40, concurrency=2, lease=lease) as two,
        ):
            claims: dict[str, DrainStats] = {"one": DrainStats(), "two": DrainStats()}

            async def run(name: str, w: Worker) -> None:
                for _ in range(60):
                    claims[name].add(await w.drain())
                    counts = await pg_services.outbox.counts()
                    if counts["pending"] == 0 and counts["in_flight"] == 0:
                        return
                    await asyncio.sleep(0.01)
                    clock.advance(timedelta(seconds=20))

            await asyncio.gather(run("one", one), run("two", two))
    assert claims["one"].claimed > 0 and claims["two"].claimed > 0
    assert claims["one"].lost_leases == claims["two"].lost_leases == 0
    finished = claims["one"].done + claims["two"].done
    assert finished == total
    per_booking = Counter(e["subject"] for e in graph.events.values())
    assert per_booking == {f"Office hours ({b})": 1 for b in bookings}
    cancelled = [e for e in graph.events.values() if e["isCancelled"]]
    assert len(cancelled) == 30 and set(graph.cancel_calls.values()) == {1}
