"""Teams bot turns: "find an expert" through the whole aiohttp + botbuilder pipeline.

An organisation of E experts (10,000 by default, imported as question-and-answer history so the
expert index has real evidence) on SQLite or PostgreSQL; a share of them (`--hosts`, 30% by
default) publish weekly office hours, so a find computes real next free slots. Each turn is a real Teams message
activity POSTed to `/api/messages`; the bot resolves the person, matches experts, looks up their
next free office hours, builds the card and posts it to a local fake Bot Connector; the turn
ends when the HTTP response returns (as with Teams). The baseline, measured in the same run and
process against the same connector, is a bare botbuilder echo bot on a `CloudAdapter`, measured
twice: with stock msrest, then with the connector-client fix peerlearn's bot applies
(`bot/endpoint.py`), which is the fair baseline for the ratio.

    python -m bench.bot_turns [--experts 10000] [--hosts 0.3] [--turns 400] [--concurrency 8]
                              [--database-url postgres://postgres@127.0.0.1:5432/postgres]

Prints p50/p95 latency (one turn at a time) and throughput (`--concurrency` turns in flight),
and the ratios to the echo bot; the find is measured twice, first with each host's next free
slot computed on every turn (no cache), then as shipped (`adapters/search/next_free.py`). Everything runs on one event loop, i.e. one core.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from adapters.db import lifecycle
from adapters.db.tables.people import PersonRow
from adapters.search.next_free import CachedNextFree
from app.bootstrap import build_services
from app.settings import Settings
from app.web import create_app
from core.clock import FixedClock
from core.expertise.history import HistoryAnswer, HistoryThread
from tests.databases import PostgresDatabase
from tests.teams_connector import FakeConnector, playground_activity

NOW = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
TENANT = "11111111-2222-3333-4444-555555555555"
RNG = random.Random(20260323)
TOPICS = [
    "kubernetes networking",
    "saml certificates",
    "postgres replication",
    "terraform modules",
    "react hooks",
    "kafka consumers",
    "oauth scopes",
    "python packaging",
    "gdpr retention",
    "excel pivot tables",
    "sales forecasting",
    "incident postmortems",
    "figma components",
    "azure functions",
    "graphql schemas",
    "rust lifetimes",
    "pricing experiments",
    "onboarding checklists",
    "power bi dashboards",
    "contract negotiation",
]
WORDS = [w for t in TOPICS for w in t.split()] + [
    "latency",
    "timeout",
    "upgrade",
    "migration",
    "security",
    "budget",
    "audit",
    "review",
    "rollout",
    "testing",
    "cache",
    "billing",
    "customer",
    "quarterly",
    "planning",
    "design",
]


def history(experts: int) -> list[HistoryThread]:
    """One answered question per expert, on a topic, with a few related words."""
    threads = []
    for i in range(experts):
        topic = TOPICS[i % len(TOPICS)]
        extra = " ".join(RNG.sample(WORDS, 4))
        threads.append(
            HistoryThread(
                line=i + 1,
                source_id=f"q{i}",
                title=f"How do we handle {topic} {extra}?",
                body=f"We are stuck with {topic}: {extra}.",
                tags=tuple(topic.split()),
                asker=None,
                accepted_user=f"u{i}",
                answers=(
                    HistoryAnswer(f"a{i}", f"u{i}", score=RNG.randint(0, 20), text=f"Use {extra}."),
                ),
                created_at=NOW,
            )
        )
    return threads


async def publish_office_hours(services: Any, org_id: Any, share: float) -> int:
    """Weekly office hours (two weekday mornings, 30-minute slots) for `share` of the people."""
    ids = await PersonRow.filter(organisation_id=org_id).order_by("id").values_list("id", flat=True)
    hosts = ids[: int(len(ids) * share)]
    for n, host in enumerate(hosts):
        days = ("mon", "tue", "wed", "thu", "fri")
        rules = [{"weekday": days[(n + k) % 5], "start": "09:00", "end": "11:00"} for k in (0, 2)]
        await services.office_hours.create_type(
            org_id, host, {"title": "Office hours", "rules": rules, "slot_minutes": 30}
        )
    return len(hosts)


class EchoBot(ActivityHandler):  # type: ignore[misc]
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(turn_context.activity.text or ""))


def echo_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(object()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await adapter.process(request, bot)
        return response or web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def measure(
    session: aiohttp.ClientSession,
    url: str,
    make: Callable[[int], dict[str, Any]],
    turns: int,
    concurrency: int,
) -> dict[str, float]:
    async def one(i: int) -> float:
        started = time.perf_counter()
        async with session.post(url + "/api/messages", json=make(i)) as resp:
            await resp.read()
            assert resp.status < 300, resp.status
        return time.perf_counter() - started

    for i in range(20):  # warm up: index built, connections open, caches filled
        await one(i)
    latencies = [await one(i) for i in range(turns)]
    queue = iter(range(turns))
    started = time.perf_counter()

    async def worker() -> None:
        for i in queue:
            await one(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
        "turns_per_s": turns / elapsed,
    }


async def run(experts: int, hosts: float, turns: int, concurrency: int, database_url: str) -> None:
    await lifecycle.upgrade(database_url)
    await lifecycle.connect(database_url)
    settings = Settings(database_url=database_url)
    services = build_services(settings, clock=FixedClock(NOW))
    org = await services.people.create_organisation("bench", "Bench", [TENANT])
    started = time.perf_counter()
    summary = await services.expertise.import_history(org.id, history(experts), source="bench")
    print(
        f"seeded {summary.people} experts, {summary.questions} answered questions "
        f"in {time.perf_counter() - started:.1f}s"
    )
    started = time.perf_counter()
    published = await publish_office_hours(services, org.id, hosts)
    print(f"{published} of them publish office hours ({time.perf_counter() - started:.1f}s)")
    cached = services.expertise.availability
    assert isinstance(cached, CachedNextFree)

    connector = FakeConnector()
    runners = []
    runner, connector.url = await serve(connector.app())
    runners.append(runner)
    runner, echo_url = await serve(echo_app())
    runners.append(runner)

    def find(i: int) -> dict[str, Any]:
        return playground_activity(
            "message/personal/False/False",
            connector.url,
            text=f"find an expert for {TOPICS[i % len(TOPICS)]}",
            id=f"turn-{i}",
        )

    async with aiohttp.ClientSession() as session:
        stock = await measure(session, echo_url, find, turns, concurrency)
        # building peerlearn's bot applies its msrest retry-policy fix to the whole process
        runner, bot_url = await serve(create_app(settings, services))
        runners.append(runner)
        echo = await measure(session, echo_url, find, turns, concurrency)
        services.expertise.availability = cached.inner
        uncached = await measure(session, bot_url, find, turns, concurrency)
        services.expertise.availability = cached
        bot = await measure(session, bot_url, find, turns, concurrency)
    sample = connector.messages()[-1].cards
    assert sample and "Who knows about" in sample[0]["body"][0]["text"], "the bot did not answer"
    for runner in runners:
        await runner.cleanup()
    await lifecycle.close()

    print(
        f"\n{turns} turns each, {concurrency} in flight for throughput; {experts} experts, "
        f"{published} hosting office hours"
    )
    print(f"{'':26}{'p50 ms':>9}{'p95 ms':>9}{'turns/s':>10}")
    rows = (
        ("echo bot, stock msrest", stock),
        ("echo bot (baseline)", echo),
        ("find, next free uncached", uncached),
        ("peerlearn find-an-expert", bot),
    )
    for name, r in rows:
        print(f"{name:26}{r['p50_ms']:9.1f}{r['p95_ms']:9.1f}{r['turns_per_s']:10.1f}")
    print(
        f"\nratio to echo: p95 ×{bot['p95_ms'] / echo['p95_ms']:.2f}, "
        f"throughput ×{echo['turns_per_s'] / bot['turns_per_s']:.2f} slower "
        f"(next free uncached: p95 ×{uncached['p95_ms'] / echo['p95_ms']:.2f}, "
        f"throughput ×{echo['turns_per_s'] / uncached['turns_per_s']:.2f} slower)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--hosts", type=float, default=0.3, help="share hosting office hours")
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    async def go(url: str) -> None:
        await run(args.experts, args.hosts, args.turns, args.concurrency, url)

    if args.database_url.startswith(("postgres://", "postgresql://")):
        pg = PostgresDatabase(args.database_url, label="peerlearn_bench_bot")
        pg.create()
        try:
            asyncio.run(go(pg.url))
        finally:
            pg.drop()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(go(f"sqlite://{Path(tmp) / 'bench.db'}"))


if __name__ == "__main__":
    main()
