"""Expert matching speed at scale: 100,000 experts, through the real import, index and API.

A synthetic organisation: 150,000 answered questions (3 tags each out of 600, text drawn from
topic vocabularies), about 370,000 answers spread over 100,000 experts with Zipf-like activity.
Measured in the same run:
  - import of the first 100,000 questions through `ExpertiseService.import_history` on SQLite,
  - the index build from the database and the memory it holds,
  - match latency p50/p95 in process (`ExpertiseService.match`, top 5) and over HTTP
    (`POST /api/v1/experts/match` on 127.0.0.1),
  - the baseline: `rank-bm25` (BM25Okapi) scoring the same threads for the same queries.

    python bench/matching_speed.py [--experts 100000] [--questions 150000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import ClientSession, web

from adapters.db import lifecycle
from app.bootstrap import build_services
from app.settings import Settings
from app.web import create_app
from core.clock import FixedClock
from core.expertise.history import HistoryAnswer, HistoryThread
from core.expertise.text import tokens

NOW = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
TOPICS = 600


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.array(values) * 1000, p))


class World:
    """Deterministic synthetic history: topics with their own words, experts with topics."""

    def __init__(self, experts: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.experts = experts
        common = [f"w{n}" for n in range(5000)]
        self.common = common
        self.topic_words = [[f"t{t}x{n}" for n in range(40)] for t in range(TOPICS)]
        self.tags = [f"skill-{t}" for t in range(TOPICS)]
        # every expert knows 1–3 topics
        self.expert_topics = [
            self.rng.sample(range(TOPICS), self.rng.randint(1, 3)) for _ in range(experts)
        ]
        self.by_topic: list[list[int]] = [[] for _ in range(TOPICS)]
        for e, topics in enumerate(self.expert_topics):
            for t in topics:
                self.by_topic[t].append(e)

    def text(self, topic: int, words: int) -> str:
        rng = self.rng
        out = [rng.choice(self.topic_words[topic]) for _ in range(words // 3)]
        out += [self.common[min(int(rng.paretovariate(1.1)) - 1, 4999)] for _ in range(words)]
        rng.shuffle(out)
        return " ".join(out)

    def thread(self, qid: int) -> HistoryThread:
        rng = self.rng
        topic = rng.randrange(TOPICS)
        tags = {self.tags[topic], *(self.tags[rng.randrange(TOPICS)] for _ in range(2))}
        pool = self.by_topic[topic] or [rng.randrange(self.experts)]
        # the first pass gives every expert one answer; after that activity is Zipf-like
        if qid < self.experts:
            answerers = [qid]
        else:
            answerers = []
        answerers += [pool[min(int(rng.paretovariate(1.3)) - 1, len(pool) - 1)] for _ in range(2)]
        answerers = list(dict.fromkeys(answerers))
        return HistoryThread(
            line=qid + 1,
            source_id=str(qid),
            title=self.text(topic, 6),
            body=self.text(topic, 30),
            tags=tuple(sorted(tags)),
            asker=f"asker{rng.randrange(1000)}",
            accepted_user=f"e{answerers[0]}",
            answers=tuple(HistoryAnswer(f"{qid}-{a}", f"e{a}") for a in answerers),
        )

    def query(self) -> tuple[str, list[str]]:
        topic = self.rng.randrange(TOPICS)
        return self.text(topic, 25), [self.tags[topic]]


async def main(args: argparse.Namespace) -> None:
    world = World(args.experts)
    threads = [world.thread(q) for q in range(args.questions)]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'speed.db'}"
        await lifecycle.upgrade(url)
        await lifecycle.connect(url)
        settings = Settings(database_url=url)
        clock = FixedClock(NOW)
        services = build_services(settings, clock=clock)
        org = await services.people.create_organisation("speed", "Speed")

        first = min(100_000, len(threads))
        started = time.perf_counter()
        summary = await services.expertise.import_history(org.id, threads[:first], source="bench")
        import_s = time.perf_counter() - started
        print(
            f"import of {summary.questions:,} questions ({summary.answers:,} answers, "
            f"{summary.people:,} people, {summary.skills} skills) on SQLite: {import_s:.1f} s "
            f"({summary.questions / import_s:,.0f} questions/s)"
        )
        rest = await services.expertise.import_history(org.id, threads[first:], source="bench")
        total_answers = summary.answers + rest.answers
        people = summary.people + rest.people
        print(
            f"organisation: {people:,} people, {args.questions:,} questions, {total_answers:,} answers"
        )

        queries = [world.query() for _ in range(args.queries)]
        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        await services.expertise.match(org.id, queries[0][0], queries[0][1])
        build_s = time.perf_counter() - started
        gc.collect()
        print(
            f"index build from the database: {build_s:.1f} s, resident memory +{rss_mb() - before:,.0f} MB"
        )

        times: list[float] = []
        for text, tags in queries:
            started = time.perf_counter()
            result = await services.expertise.match(org.id, text, tags, top=5)
            times.append(time.perf_counter() - started)
            assert result.experts
        print(
            f"match in process (top 5): p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms "
            f"over {len(times)} queries"
        )

        # the index alone (relevance shortlist of 30), without the per-query database lookups
        from core.expertise.ports import MatchQuery

        index = services.expertise._index  # the process's index, already built
        alone: list[float] = []
        for text, _ in queries:
            started = time.perf_counter()
            await index.candidates(org.id, MatchQuery(text), (), 30)
            alone.append(time.perf_counter() - started)
        print(
            f"index alone (shortlist of 30): p50 {pct(alone, 50):.1f} ms, p95 {pct(alone, 95):.1f} ms"
        )

        # one more answer: it must count in the very next query, without a rebuild
        asker = (await services.people.add_person(org.id, "Bench Asker", "asker@bench.example")).id
        newcomer = (await services.people.add_person(org.id, "New Expert", "new@bench.example")).id
        question, _ = await services.expertise.ask(org.id, asker, "zzqx quantum sourdough starter")
        started = time.perf_counter()
        await services.expertise.answer(org.id, question.id, newcomer, "feed it twice a day")
        found = await services.expertise.match(org.id, "quantum sourdough zzqx", top=1)
        print(
            f"incremental update: answer + next match {1000 * (time.perf_counter() - started):.1f} ms, "
            f"new expert first: {found.experts[0].person_id == newcomer}"
        )

        # over HTTP on 127.0.0.1
        _, secret = await services.people.create_api_key(org.id, "bench")
        app = create_app(settings, services)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        http: list[float] = []
        async with ClientSession(headers={"Authorization": f"Bearer {secret}"}) as session:
            for text, tags in queries:
                started = time.perf_counter()
                async with session.post(
                    f"http://127.0.0.1:{port}/api/v1/experts/match",
                    json={"text": text, "tags": tags, "top": 5},
                ) as resp:
                    assert resp.status == 200, await resp.text()
                    await resp.json()
                http.append(time.perf_counter() - started)
        await runner.cleanup()
        print(f"match over HTTP (top 5): p50 {pct(http, 50):.1f} ms, p95 {pct(http, 95):.1f} ms")
        await lifecycle.close()

    # the baseline: rank-bm25 over the same threads
    from rank_bm25 import BM25Okapi

    corpus = [tokens(f"{t.title} {t.body}") for t in threads]
    started = time.perf_counter()
    bm25 = BM25Okapi(corpus)
    print(f"rank-bm25 index of {len(corpus):,} threads: {time.perf_counter() - started:.1f} s")
    base: list[float] = []
    for text, _ in queries[: args.baseline_queries]:
        started = time.perf_counter()
        scores = bm25.get_scores(tokens(text))
        np.argpartition(-scores, 10)[:10]
        base.append(time.perf_counter() - started)
    print(
        f"rank-bm25 scoring only (no people, no blending): p50 {pct(base, 50):.0f} ms, "
        f"p95 {pct(base, 95):.0f} ms over {len(base)} queries"
    )
    print(
        f"ratio rank-bm25 p50 / peerlearn match p50 (in process): "
        f"{statistics.median(base) / statistics.median(times):,.0f}×"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=150_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--baseline-queries", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
