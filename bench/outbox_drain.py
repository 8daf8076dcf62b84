"""Draining the outbox into Microsoft Graph (the local fake Graph, real msgraph-sdk, real worker).

N calendar rows (10,000 by default) against a fake Graph answering after 50 ms, throttling 5 % of
requests (429, Retry-After 1 s) and failing 1 % (503). Each run starts its own fake Graph process
(Graph is remote: its CPU is not ours) and a fresh database, at the same concurrency:

1. ideal, measured: a minimal aiohttp client, no database, no SDK, sends the same `$batch`
   bodies (encoded beforehand) to the fake Graph — once without faults, once with them
   (re-sending throttled sub-requests after their Retry-After). This is the network and latency
   floor for the concurrency on this machine at this moment; the theoretical floor,
   ceil(N / 20) / concurrency × latency, is printed too;
2. the worker (real msgraph-sdk client, real database, `$batch` of 20), without and with faults;
3. one call per row — the same faults, no `$batch` (on `--per-row-rows` rows, 2,000 by default,
   so the run stays short; requests per row are what matter there).

Figures: total time, CPU time of this process, HTTP requests to Graph, rows lost (not done, or without their event) and
duplicated (a second event for one booking), and ratios.

    python -m bench.outbox_drain [--rows 10000] [--concurrency 8] [--per-row-rows 2000]
                                 [--database-url postgres://…]
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit
from uuid import uuid4

import aiohttp
import asyncpg
import httpx
from tortoise import Tortoise

from adapters.clock import SystemClock
from adapters.db import lifecycle
from adapters.db.repositories.outbox import next_seq
from adapters.db.tables.outbox import OutboxRow
from adapters.db.uow import DbUnitOfWork
from adapters.graph.calendar import GraphCalendar, event_json
from adapters.graph.client import GraphConfig, build_client
from app.worker import Worker, WorkerConfig
from core.calendar import Attendee, CalendarDelivery, CalendarEventSpec
from core.delivery import HandlerRegistry, RetryPolicy
from core.outbox import OutboxTopic
from tests.fakes.fake_graph import Faults, StaticToken

LATENCY = 0.05
#: share of request bodies the fake validates against the Graph schema (each costs ~5 ms of CPU in
#: this process, which would otherwise be measured as if it were Graph's latency)
VALIDATE = 0.02


@dataclass
class Run:
    name: str
    rows: int
    seconds: float
    requests: int
    lost: int
    duplicated: int
    replays: int
    retried: int
    #: CPU seconds of this process (the worker, or the minimal client) during the drain
    cpu: float = 0.0


def specs(rows: int) -> list[CalendarEventSpec]:
    """The bench's bookings: 40 experts, 700 learners, half-hour slots."""
    start = datetime(2026, 3, 24, 8, 0, tzinfo=UTC)
    out = []
    for i in range(rows):
        begins = start + timedelta(minutes=30 * (i % 200))
        out.append(
            CalendarEventSpec(
                organizer_email=f"expert{i % 40}@northwind.example",
                subject=f"Office hours #{i}",
                start=begins,
                end=begins + timedelta(minutes=30),
                attendees=(Attendee(f"learner{i % 700}@northwind.example"),),
                time_zone="Europe/Berlin",
            )
        )
    return out


async def seed(rows: int) -> None:
    org = uuid4()
    now = datetime.now(UTC) - timedelta(seconds=1)
    batch = [
        OutboxRow(
            id=uuid4(),
            organisation_id=org,
            kind=OutboxTopic.CALENDAR_UPSERT,
            aggregate_type="booking",
            aggregate_id=f"booking-{i}",
            seq=next_seq(),
            payload=spec.to_payload(),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            result={},
        )
        for i, spec in enumerate(specs(rows))
    ]
    await OutboxRow.bulk_create(batch, batch_size=1000)


class FakeGraphProcess:
    """The fake Graph in its own process, as the real one is remote: its CPU is not ours."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.proc: asyncio.subprocess.Process | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakeGraphProcess:
        f = self.faults
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.fakes.fake_graph",
            "--latency",
            str(f.latency),
            "--throttle",
            str(f.throttle_rate),
            "--unavailable",
            str(f.unavailable_rate),
            "--retry-after",
            f.retry_after,
            "--validate-share",
            str(f.validate_share),
            "--seed",
            "11",
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        self.base_url = (await self.proc.stdout.readline()).decode().strip()
        return self

    async def state(self) -> dict[str, Any]:
        async with httpx.AsyncClient() as http:
            answer = await http.get(self.base_url.rsplit("/v1.0", 1)[0] + "/_fake/state")
            return answer.json()  # type: ignore[no-any-return]

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


#: the worker's retry rules in this bench (the measured ideal waits exactly as long)
POLICY = RetryPolicy(max_attempts=10, base=timedelta(seconds=1))


async def network_floor(name: str, rows: int, concurrency: int, faults: Faults) -> Run:
    """The ideal for this concurrency, measured: a minimal aiohttp client with no database and
    no SDK sends the same `$batch` bodies (encoded before the clock starts) to a fake Graph
    process like the worker's, `concurrency` at a time, and re-sends throttled or failed
    sub-requests as soon as the worker's retry policy allows (`Retry-After`, else backoff).
    What is left is Graph's latency, its faults, the retry waits and the fake's own CPU."""
    items = [
        json.dumps(
            {
                "method": "POST",
                "url": f"/users/{quote(spec.organizer_email, safe='@')}/events",
                "headers": {"Content-Type": "application/json"},
                "body": event_json(spec, str(uuid4())),
            }
        )[1:].encode()
        for spec in specs(rows)
    ]
    ready: deque[int] = deque(range(rows))
    later: list[tuple[float, int]] = []
    delivered = [0] * rows
    attempts = [0] * rows
    rng = random.Random(5)
    busy = 0
    retried = 0
    loop = asyncio.get_running_loop()
    async with FakeGraphProcess(faults) as graph:
        before = (await graph.state())["http_requests"]
        headers = {"Authorization": "Bearer ideal", "Content-Type": "application/json"}
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(graph.base_url + "/", connector=connector) as http:

            async def lane() -> None:
                nonlocal busy, retried
                while True:
                    now = loop.time()
                    while later and later[0][0] <= now:
                        ready.append(heapq.heappop(later)[1])
                    if not ready:
                        if not later and not busy:
                            return
                        await asyncio.sleep(min(later[0][0] - now, 0.005) if later else 0.005)
                        continue
                    group = [ready.popleft() for _ in range(min(20, len(ready)))]
                    body = (
                        b'{"requests":['
                        + b",".join(b'{"id":"%d",' % k + items[i] for k, i in enumerate(group))
                        + b"]}"
                    )
                    busy += 1
                    try:
                        async with http.post("$batch", data=body, headers=headers) as answer:
                            parsed = await answer.json() if answer.status == 200 else {}
                    finally:
                        busy -= 1
                    statuses = {
                        int(r["id"]): (
                            int(r["status"]),
                            (r.get("headers") or {}).get("Retry-After"),
                        )
                        for r in parsed.get("responses", [])
                    }
                    now = loop.time()
                    for k, i in enumerate(group):
                        status, hint = statuses.get(k, (503, None))
                        if status < 400:
                            delivered[i] += 1
                        else:
                            retried += 1
                            attempts[i] += 1
                            hinted = float(hint) if hint else None
                            wait = POLICY.delay(attempts[i], hinted, rng).total_seconds()
                            heapq.heappush(later, (now + wait, i))

            began = time.perf_counter()
            cpu = time.process_time()
            await asyncio.gather(*(lane() for _ in range(concurrency)))
            seconds = time.perf_counter() - began
            cpu = time.process_time() - cpu
        state = await graph.state()
    per_subject: dict[str, int] = state["events_per_subject"]
    lost = max(sum(1 for n in delivered if n == 0), rows - len(per_subject))
    duplicated = sum(n - 1 for n in per_subject.values() if n > 1)
    replays = state["operations"].get("create_event", 0) - len(state["event_ids"])
    requests = state["http_requests"] - before
    return Run(name, rows, seconds, requests, lost, duplicated, replays, retried, cpu)


async def one_run(
    name: str, database_url: str, rows: int, concurrency: int, faults: Faults, batched: bool
) -> Run:
    await lifecycle.upgrade(database_url)
    await lifecycle.connect(database_url)
    try:
        await OutboxRow.all().delete()
        await seed(rows)
        async with FakeGraphProcess(faults) as graph:
            client = build_client(
                GraphConfig("bench", "bench", base_url=graph.base_url, max_connections=64),
                credential=StaticToken(),
            )
            try:
                # warm the SDK (its first model use imports ~1,100 modules) outside the timing
                await client.warm_up()
                await client.send_json("GET", "/teams/warm-up/channels")
                before = (await graph.state())["http_requests"]

                async def event_id_of(aggregate_type: str, aggregate_id: str) -> str | None:
                    return None

                delivery = CalendarDelivery(GraphCalendar(client, use_batch=batched), event_id_of)
                registry = HandlerRegistry()
                if batched:
                    registry.register_batch(OutboxTopic.CALENDAR_UPSERT, delivery.deliver_many)
                else:
                    registry.register(OutboxTopic.CALENDAR_UPSERT, delivery.deliver)
                config = WorkerConfig(
                    batch_size=concurrency * (20 if batched else 1) * 2,
                    concurrency=concurrency,
                    policy=POLICY,
                )
                worker = Worker(DbUnitOfWork, registry, SystemClock(), config, rng=random.Random(5))
                retried = 0
                began = time.perf_counter()
                cpu = time.process_time()
                while True:
                    stats = await worker.drain()
                    retried += stats.retried
                    left = await OutboxRow.filter(status__in=["pending", "in_flight"]).count()
                    if left == 0:
                        break
                    await asyncio.sleep(0.02)
                seconds = time.perf_counter() - began
                cpu = time.process_time() - cpu
            finally:
                await client.close()
            state = await graph.state()
        done = await OutboxRow.filter(status="done").values_list("result", flat=True)
        per_subject: dict[str, int] = state["events_per_subject"]
        known = set(state["event_ids"])
        delivered = {r.get("event_id") for r in done if isinstance(r, dict)}
        lost = rows - len(done) + sum(1 for e in delivered if e not in known)
        lost = max(lost, rows - len(per_subject))
        duplicated = sum(n - 1 for n in per_subject.values() if n > 1)
        replays = state["operations"].get("create_event", 0) - len(known)
        requests = state["http_requests"] - before
        return Run(name, rows, seconds, requests, max(0, lost), duplicated, replays, retried, cpu)
    finally:
        await Tortoise.close_connections()


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


async def _pg(server_url: str, statement: str) -> None:
    conn = await asyncpg.connect(
        "postgresql://" + _with_db(server_url, "postgres").split("://", 1)[1]
    )
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def ideal_floor(rows: int, concurrency: int, per_request: int) -> float:
    return math.ceil(rows / per_request) / concurrency * LATENCY


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--per-row-rows", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    c = args.concurrency
    with tempfile.TemporaryDirectory() as tmp:
        created: list[str] = []

        async def url(name: str) -> str:
            if not args.database_url:
                return f"sqlite://{Path(tmp) / (name + '.db')}"
            # a fresh database per run on the server, dropped at the end
            db = f"peerlearn_bench_{name}_{uuid4().hex[:8]}"
            await _pg(args.database_url, f'CREATE DATABASE "{db}"')
            created.append(db)
            return _with_db(args.database_url, db)

        clean = Faults(latency=LATENCY, validate_share=VALIDATE)
        faulty = Faults(
            latency=LATENCY,
            throttle_rate=0.05,
            unavailable_rate=0.01,
            retry_after="1",
            validate_share=VALIDATE,
        )
        load_before = os.getloadavg()
        runs = [
            await network_floor("ideal: minimal client, no faults", args.rows, c, clean),
            await one_run("worker, no faults", await url("clean"), args.rows, c, clean, True),
            await network_floor("ideal: minimal client, faults", args.rows, c, faulty),
            await one_run(
                "worker, 5% 429 + 1% 503", await url("batched"), args.rows, c, faulty, True
            ),
            await one_run(
                "worker, faults, one call per row",
                await url("per_row"),
                args.per_row_rows,
                c,
                faulty,
                False,
            ),
        ]
        load_after = os.getloadavg()
        for db in created:
            await _pg(args.database_url, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    ideal_clean, worker_clean, ideal_faulty, worker_faulty, per_row = runs
    print(
        f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; concurrency {c}; "
        f"Graph latency {LATENCY * 1000:.0f} ms; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after ({os.cpu_count()} cores)"
    )
    print(
        f"{'run':34} {'rows':>6} {'seconds':>8} {'cpu s':>6} {'requests':>9} {'req/row':>8} "
        f"{'retried':>8} {'lost':>5} {'dup':>4} {'replays':>8}"
    )
    for r in runs:
        print(
            f"{r.name:34} {r.rows:6d} {r.seconds:8.2f} {r.cpu:6.2f} {r.requests:9d} "
            f"{r.requests / r.rows:8.3f} {r.retried:8d} {r.lost:5d} {r.duplicated:4d} {r.replays:8d}"
        )
    floor = ideal_floor(args.rows, c, 20)
    print(
        f"theoretical floor for {args.rows} rows in $batch of 20 at concurrency {c}: {floor:.2f} s"
    )
    print(
        f"worker vs measured ideal: no faults {worker_clean.seconds / ideal_clean.seconds:.2f}x, "
        f"with faults {worker_faulty.seconds / ideal_faulty.seconds:.2f}x "
        f"(with faults vs the no-fault ideal: {worker_faulty.seconds / ideal_clean.seconds:.2f}x)"
    )
    print(
        f"worker vs theoretical floor: no faults {worker_clean.seconds / floor:.2f}x, "
        f"with faults {worker_faulty.seconds / floor:.2f}x"
    )
    print(
        f"worker CPU per row: {worker_clean.cpu / worker_clean.rows * 1000:.2f} ms without faults, "
        f"{worker_faulty.cpu / worker_faulty.rows * 1000:.2f} ms with faults"
    )
    per_row_requests = per_row.requests / per_row.rows * args.rows
    print(
        f"requests for {args.rows} rows: one call per row ≈ {per_row_requests:.0f} "
        f"(measured {per_row.requests / per_row.rows:.3f}/row), batched {worker_faulty.requests}: "
        f"{per_row_requests / worker_faulty.requests:.1f}x fewer"
    )
    if any(r.lost or r.duplicated for r in runs):
        print("FAILED: rows were lost or duplicated")
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
