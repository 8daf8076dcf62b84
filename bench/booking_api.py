"""Booking round-trips through the real web app (aiohttp server on 127.0.0.1, JSON API, API-key
auth, database, outbox rows) under concurrent clients, on SQLite and on PostgreSQL.

Scenarios, each with `--clients` concurrent HTTP clients (20 by default), `--requests` in total:

1. baseline — `GET /api/v1/office-hours/{id}`: an authenticated read of one row, measured in the
   same run, so the booking figures can be read as "cost over a trivial API call";
2. spread — every booking is for a different slot (typical load);
3. hot slot — every booking is for the same group session (capacity = requests): the worst case
   for the seat counter, every transaction updates the same row.

Client and server share this process (and its core), so latencies include the client's work.

    python -m bench.booking_api [--clients 20] [--requests 400]
                                [--postgres postgres://postgres@127.0.0.1:5432/postgres | --no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from adapters.db import lifecycle
from app.bootstrap import build_services
from app.settings import Settings
from app.web import create_app


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    clients: int,
    count: int,
    call: Callable[[aiohttp.ClientSession, int], Awaitable[int]],
    headers: dict[str, str],
) -> tuple[list[float], float, dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(range(count))
    sessions = [aiohttp.ClientSession(headers=headers) for _ in range(clients)]

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in queue:
            start = time.perf_counter()
            status = await call(session, i)
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1

    begin = time.perf_counter()
    try:
        await asyncio.gather(*(worker(s) for s in sessions))
    finally:
        for s in sessions:
            await s.close()
    return latencies, time.perf_counter() - begin, statuses


def report(name: str, latencies: list[float], total: float, statuses: dict[int, int]) -> float:
    p50 = statistics.median(latencies) * 1000
    p95 = percentile(latencies, 0.95) * 1000
    print(
        f"  {name:10} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
        f"{len(latencies) / total:7.1f} req/s  statuses {dict(sorted(statuses.items()))}"
    )
    return p95


async def run(database_url: str, label: str, clients: int, requests: int) -> None:
    await lifecycle.upgrade(database_url)
    await lifecycle.connect(database_url)
    settings = Settings(database_url=database_url)
    services = build_services(settings)
    org = await services.people.create_organisation(f"bench-{uuid.uuid4().hex[:8]}", "Bench")
    _, secret = await services.people.create_api_key(org.id, "bench")
    host = await services.people.add_person(org.id, "Host", "host@bench.example", "Europe/Berlin")
    group_host = await services.people.add_person(
        org.id, "Group host", "group@bench.example", "UTC"
    )
    every_day = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
    spread = await services.office_hours.create_type(
        org.id,
        host.id,
        {
            "title": "Spread",
            "rules": every_day,
            "slot_minutes": 5,
            "interval_minutes": 5,
            "min_notice_minutes": 0,
            "horizon_days": 30,
        },
    )
    hot = await services.office_hours.create_type(
        org.id,
        group_host.id,
        {
            "title": "Hot",
            "rules": every_day,
            "slot_minutes": 60,
            "interval_minutes": 60,
            "capacity": requests,
            "min_notice_minutes": 0,
            "horizon_days": 30,
        },
    )
    learners = []
    for i in range(requests):
        p = await services.people.add_person(org.id, f"Learner {i}", f"l{i}@bench.example")
        learners.append(str(p.id))
    base = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)

    app = create_app(settings, services)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {secret}"}

    async def read(session: aiohttp.ClientSession, i: int) -> int:
        async with session.get(f"{url}/api/v1/office-hours/{spread.id}") as resp:
            await resp.read()
            return resp.status

    def booking(
        type_id: Any, start: datetime
    ) -> Callable[[aiohttp.ClientSession, int], Awaitable[int]]:
        async def call(session: aiohttp.ClientSession, i: int) -> int:
            body = {
                "office_hours_id": str(type_id),
                "person_id": learners[i],
                "start": (start + timedelta(minutes=0 if type_id == hot.id else 5 * i)).isoformat(),
            }
            async with session.post(
                f"{url}/api/v1/bookings", json=body, headers={"Idempotency-Key": f"{type_id}-{i}"}
            ) as resp:
                await resp.read()
                return resp.status

        return call

    print(f"{label}: {clients} concurrent clients, {requests} requests per scenario")
    try:
        await measure(clients, min(requests, 50), read, headers)  # warm-up
        base_p95 = report("baseline", *await measure(clients, requests, read, headers))
        spread_p95 = report(
            "spread", *await measure(clients, requests, booking(spread.id, base), headers)
        )
        hot_p95 = report(
            "hot slot", *await measure(clients, requests, booking(hot.id, base), headers)
        )
        print(
            f"  booking p95 / baseline p95: spread ×{spread_p95 / base_p95:.1f}, hot ×{hot_p95 / base_p95:.1f}"
        )
        seats = await services.office_hours.slots(org.id, hot.id, base, base + timedelta(minutes=1))
        print(
            f"  hot slot seats left after {requests} bookings: {seats[0].seats_left if seats else 'n/a'}"
        )
    finally:
        await runner.cleanup()
        await lifecycle.close()


async def run_postgres(server: str, clients: int, requests: int) -> None:
    name = f"peerlearn_bench_{uuid.uuid4().hex[:8]}"
    admin = "postgresql://" + server.split("://", 1)[1]
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        await run(server.rsplit("/", 1)[0] + "/" + name, "PostgreSQL", clients, requests)
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = f"sqlite://{Path(tmp) / 'bench.db'}"
            asyncio.run(run(db, "SQLite", args.clients, args.requests))
        return
    if args.only == "postgres":
        asyncio.run(run_postgres(args.postgres, args.clients, args.requests))
        return
    # one process per database: tortoise binds its models to one dialect per process
    common = ["--clients", str(args.clients), "--requests", str(args.requests)]
    subprocess.run(
        [sys.executable, "-m", "bench.booking_api", "--only", "sqlite", *common], check=True
    )
    if not args.no_postgres:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.booking_api",
                "--only",
                "postgres",
                "--postgres",
                args.postgres,
                *common,
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
