"""Real worker processes on one database: two run at once, one is killed (SIGKILL) while its
`$batch` requests are on the wire, the other takes its rows over once their lease has expired.
Afterwards every booking has exactly one event (creates carry the row id as `transactionId`), the
cancelled ones are cancelled, and every row is done."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from core.outbox import OutboxMessage, OutboxTopic
from core.services import Services
from tests.fakes.fake_graph import FakeGraph, Faults
from tests.integration.test_graph_delivery import booking_spec

ROOT = Path(__file__).resolve().parents[2]
#: a worker process as `peerlearn worker` runs it, with the fake Graph's dummy token and a short
#: lease so the test does not wait minutes for the take-over
WORKER = """
import asyncio, sys
from datetime import timedelta
from adapters.db import lifecycle
from app.bootstrap import build_services
from app.delivery import delivery_registry
from app.settings import Settings
from app.worker import Worker, WorkerConfig
from core.delivery import RetryPolicy
from tests.fakes.fake_graph import StaticToken

async def main(database_url: str, graph_url: str) -> None:
    await lifecycle.connect(database_url)
    settings = Settings(database_url=database_url, graph_base_url=graph_url)
    services = build_services(settings)
    config = WorkerConfig(
        batch_size=40, concurrency=2, lease=timedelta(seconds=4), handler_timeout=3.0,
        idle_seconds=0.1, policy=RetryPolicy(base=timedelta(seconds=0.2)),
    )
    async with delivery_registry(settings, services, graph_credential=StaticToken()) as registry:
        print("ready", flush=True)
        await Worker(services.uow, registry, services.clock, config).run(asyncio.Event())

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def start_worker(database_url: str, graph_url: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WORKER,
        database_url,
        graph_url,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"ready"
    return proc


def message(services: Services, org_id: UUID, kind: str, booking: str, spec: Any) -> OutboxMessage:
    return OutboxMessage(
        id=uuid4(),
        organisation_id=org_id,
        kind=kind,
        aggregate_type="booking",
        aggregate_id=booking,
        payload=spec.to_payload(),
        created_at=services.clock.now(),
    )


async def settled(services: Services, seconds: float) -> dict[str, int]:
    deadline = time.monotonic() + seconds
    while True:
        counts = await services.outbox.counts()
        if counts["pending"] == counts["in_flight"] == 0 or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.2)


async def test_two_workers_one_killed_mid_batch_the_other_finishes_and_nothing_is_doubled(
    services: Services, org: Any, database_url: str
) -> None:
    bookings = [f"b{i:03d}" for i in range(120)]
    faults = Faults(latency=0.4, throttle_rate=0.05, unavailable_rate=0.02, retry_after="1")
    async with FakeGraph(faults) as graph:
        # the two reach the same fake Graph by different host names, so the test knows whose
        # batch is on the wire; both are up and idle before any row exists
        doomed = await start_worker(database_url, graph.base_url)
        survivor = await start_worker(
            database_url, graph.base_url.replace("127.0.0.1", "localhost")
        )
        try:
            # every row appears at once, in one commit, for both workers to claim
            async with services.uow() as uow:
                for i, b in enumerate(bookings):
                    spec = booking_spec(b, f"learner{i}@acme.example", hour=8 + i % 9)
                    await uow.outbox.add(
                        message(services, org.id, OutboxTopic.CALENDAR_UPSERT, b, spec)
                    )
                    if i % 6 == 0:
                        cancel = message(services, org.id, OutboxTopic.CALENDAR_CANCEL, b, spec)
                        cancel.payload["reason"] = "moved to a workshop"
                        await uow.outbox.add(cancel)
                await uow.commit()
            # killed once its own batch is on the wire (Graph answers after 0.4 s): the rows it
            # claimed stay in flight until their lease runs out
            deadline = time.monotonic() + 60
            while graph.requests_by_host["127.0.0.1"] < 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            doomed.send_signal(signal.SIGKILL)
            await doomed.wait()
            assert (await services.outbox.counts())["in_flight"] > 0
            graph.faults.latency = 0.02
            counts = await settled(services, 90)
        finally:
            for proc in (doomed, survivor):
                if proc.returncode is None:
                    proc.terminate()
                    await proc.wait()
    assert counts == {"pending": 0, "in_flight": 0, "done": 140, "dead": 0}
    per_booking = Counter(e["subject"] for e in graph.events.values())
    assert per_booking == {f"Office hours ({b})": 1 for b in bookings}
    cancelled = {e["subject"] for e in graph.events.values() if e["isCancelled"]}
    assert cancelled == {f"Office hours ({b})" for b in bookings[::6]}
    # a cancel in the killed worker's batch may reach Graph again: harmless, already cancelled
    assert len(graph.cancel_calls) == 20
    assert graph.rejected == []
