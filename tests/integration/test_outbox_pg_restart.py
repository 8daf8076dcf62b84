"""PostgreSQL restarts under load: every server connection of the test database is terminated
(what a restart does to the worker, without stopping the shared server) several times while the
worker drains calendar rows into the fake Graph, the last time refusing new connections for a
while. After recovery: every row done, every booking
has exactly one event, nothing was delivered twice."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

import asyncpg
import pytest
from tortoise import Tortoise

from adapters.clock import SystemClock
from adapters.db import lifecycle
from app.bootstrap import build_services
from app.delivery import delivery_registry
from app.settings import Settings
from app.worker import Worker, WorkerConfig
from core.delivery import RetryPolicy
from core.outbox import OutboxTopic
from tests.fakes.fake_graph import FakeGraph, Faults, StaticToken
from tests.integration.test_graph_delivery import booking_spec, write

pytestmark = pytest.mark.postgres

ROWS = 240
KILLS = 3
#: seconds the database refuses connections after the last kill
OUTAGE = 1.5


async def kill_mid_drain(
    admin: asyncpg.Connection, server: asyncpg.Connection, database: str
) -> list[int]:
    """Each time another quarter of the rows is done, terminate every other backend of the
    test database (what a server restart does to the worker's connections); the last time the
    database also refuses new connections for a while, like a server that is still starting.
    Returns how many rows were done at each kill."""
    done_at: list[int] = []
    for k in range(1, KILLS + 1):
        for _ in range(1200):
            done = await admin.fetchval("SELECT count(*) FROM outbox WHERE status = 'done'")
            if done >= k * ROWS // (KILLS + 1):
                break
            await asyncio.sleep(0.01)
        down = k == KILLS
        if down:
            await server.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            if down:
                await asyncio.sleep(OUTAGE)
        finally:
            if down:
                await server.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
        done_at.append(done)
    return done_at


async def test_database_restarts_under_load_lose_nothing_and_double_nothing(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="app.worker")
    await lifecycle.connect(postgres_url)
    services = build_services(Settings(database_url=postgres_url), clock=SystemClock())
    database = postgres_url.rsplit("/", 1)[1]
    admin_url = "postgresql://" + postgres_url.split("://", 1)[1]
    try:
        org = await services.people.create_organisation("acme", "Acme", ["tenant-acme"])
        bookings = [f"b{i:03d}" for i in range(ROWS)]
        for i, b in enumerate(bookings):
            spec = booking_spec(b, f"learner{i}@acme.example", hour=8 + i % 9)
            await write(services, org.id, OutboxTopic.CALENDAR_UPSERT, b, spec.to_payload())
        async with FakeGraph(Faults(latency=0.05)) as graph:
            settings = Settings(database_url=postgres_url, graph_base_url=graph.base_url)
            async with delivery_registry(
                settings, services, graph_credential=StaticToken()
            ) as registry:
                config = WorkerConfig(
                    batch_size=10,
                    concurrency=2,
                    lease=timedelta(seconds=3),
                    handler_timeout=2,
                    idle_seconds=0.05,
                    policy=RetryPolicy(base=timedelta(seconds=0.2), cap=timedelta(seconds=1)),
                )
                worker = Worker(services.uow, registry, services.clock, config)
                stop = asyncio.Event()
                # a separate superuser connection watches progress and kills the others
                # (and one on the server's own database can close the test database's doors)
                admin = await asyncpg.connect(admin_url)
                server = await asyncpg.connect(admin_url.rsplit("/", 1)[0] + "/postgres")
                try:
                    running = asyncio.create_task(worker.run(stop))
                    done_at = await kill_mid_drain(admin, server, database)
                finally:
                    await admin.close()
                    await server.close()
                counts: dict[str, int] = {}
                for _ in range(600):
                    try:
                        counts = await services.outbox.counts()
                    except Exception:  # this test's own connections may still be reconnecting
                        counts = {}
                    if counts.get("done") == ROWS:
                        break
                    await asyncio.sleep(0.1)
                stop.set()
                await asyncio.wait_for(running, 30)
        # every kill landed mid-drain, and the worker felt them (failed rounds, waited out)
        assert all(0 < d < ROWS for d in done_at), done_at
        assert "outbox worker round failed" in caplog.text
        assert "not currently accepting connections" in caplog.text  # the restart window
        assert counts == {"pending": 0, "in_flight": 0, "done": ROWS, "dead": 0}
        per_booking = Counter(e["subject"] for e in graph.events.values())
        assert per_booking == {f"Office hours ({b})": 1 for b in bookings}
        assert graph.rejected == []
    finally:
        await Tortoise.close_connections()
