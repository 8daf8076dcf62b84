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


async def test_database_connections_dropped_under_load_lose_nothing_and_double_nothing(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every server connection of the database is killed three times while the worker runs (what
    a PostgreSQL restart does to it); the worker waits it out and finishes the work exactly once."""
    from adapters.clock import SystemClock
    from app.delivery import delivery_registry
    from app.worker import WorkerConfig
    from core.delivery import RetryPolicy
    from tests.fakes.fake_graph import StaticToken

    await lifecycle.connect(postgres_url)
    services = build_services(Settings(database_url=postgres_url), clock=SystemClock())
    database = postgres_url.rsplit("/", 1)[1]
    admin_url = "postgresql://" + postgres_url.split("://", 1)[1].rsplit("/", 1)[0] + "/postgres"
    try:
        org = await services.people.create_organisation("acme", "Acme", ["tenant-acme"])
        bookings = [f"b{i:03d}" for i in range(120)]
        for i, b in enumerate(bookings):
            spec = booking_spec(b, f"learner{i}@acme.example", hour=8 + i % 9)
            await write(services, org.id, OutboxTopic.CALENDAR_UPSERT, b, spec.to_payload())
        async with FakeGraph(Faults(latency=0.03)) as graph:
            settings = Settings(database_url=postgres_url, graph_base_url=graph.base_url)
            async with delivery_registry(
                settings, services, graph_credential=StaticToken()
            ) as registry:
                config = WorkerConfig(
                    batch_size=20,
                    concurrency=2,
                    lease=timedelta(seconds=3),
                    handler_timeout=2,
                    idle_seconds=0.05,
                    policy=RetryPolicy(base=timedelta(seconds=0.2), cap=timedelta(seconds=1)),
                )
                worker = Worker(services.uow, registry, services.clock, config)
                stop = asyncio.Event()
                running = asyncio.create_task(worker.run(stop))
                admin = await asyncpg.connect(admin_url)
                try:
                    for _ in range(3):
                        await asyncio.sleep(0.4)
                        await admin.execute(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = $1 AND pid <> pg_backend_pid()",
                            database,
                        )
                finally:
                    await admin.close()
                for _ in range(600):
                    try:
                        counts = await services.outbox.counts()
                    except Exception:
                        counts = {"pending": -1, "in_flight": -1}
                    if counts["pending"] == 0 and counts["in_flight"] == 0:
                        break
                    await asyncio.sleep(0.1)
                stop.set()
                await asyncio.wait_for(running, 30)
        assert counts == {"pending": 0, "in_flight": 0, "done": 120, "dead": 0}
        # the outages really hit the worker, which waited them out
        assert "outbox worker round failed" in caplog.text
        per_booking = Counter(e["subject"] for e in graph.events.values())
        assert per_booking == {f"Office hours ({b})": 1 for b in bookings}
    finally:
        await Tortoise.close_connections()
