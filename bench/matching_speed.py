"""Expert matching speed at scale: 100,000 experts, through the real import, index and API.

A synthetic organisation: 150,000 answered questions (3 tags each out of 600, text drawn from
topic vocabularies), about 370,000 answers spread over 100,000 experts with Zipf-like activity.
Besides history, what a live organisation knows: people in eight time zones, caps and pauses,
requests routed this week, 300 experts with weekly office hours (some booked); every query is
asked by a person in Berlin. Measured in the same run:
  - import of the first 100,000 questions through `ExpertiseService.import_history` on SQLite,
  - the index build from the database, the read model of people's facts, and their memory,
  - match latency p50/p95 in process (`ExpertiseService.match`, top 5) with the read model and,
    as this run's baseline, with per-query database lookups of the same facts; over HTTP
    (`POST /api/v1/experts/match` on 127.0.0.1),
  - incremental updates: an answer, a pause and a routed request count in the next match,
  - the baseline: `rank-bm25` (BM25Okapi) scoring the same threads for the same queries,
  - with --semantic: the semantic signal at this scale, comparing the question with every
    thread and answer and with the shortlist of `dense_shortlist` threads; the question is
    embedded by MiniLM (`peerlearn[semantic]`), the threads and answers get random unit vectors
    (the cost of comparing does not depend on what the vectors say, and embedding 500,000
    synthetic texts would take hours here).

    python bench/matching_speed.py [--experts 100000] [--questions 150000] [--queries 300]
        [--semantic]
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
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import ClientSession, web

from adapters.db import lifecycle
from adapters.db.tables.expertise import OfferRow, ProfileRow, QuestionRow
from adapters.db.tables.people import PersonRow
from adapters.search.expert_facts import CachedExpertFacts
from app.bootstrap import build_services
from app.settings import Settings
from app.web import create_app
from core.clock import FixedClock
from core.expertise.history import HistoryAnswer, HistoryThread
from core.expertise.service import ExpertiseService
from core.expertise.text import tokens
from core.services import Services

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


ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
    "America/Sao_Paulo",
)


async def realistic_facts(services: Services, org_id: UUID, world: World) -> UUID:
    """What a live organisation knows besides history: people in eight time zones, 5 % of the
    experts with their own caps (one in ten of them away), 2,000 requests routed this week, and
    the most active expert of 300 topics hosting weekly office hours, 100 of them booked.
    Returns the asker the queries are asked by."""
    people = (
        await PersonRow.filter(organisation_id=org_id).order_by("id").values_list("id", flat=True)
    )
    for z, zone_name in enumerate(ZONES):
        chunk = people[z :: len(ZONES)]
        for start in range(0, len(chunk), 500):
            await PersonRow.filter(id__in=chunk[start : start + 500]).update(time_zone=zone_name)
    by_source = await services.expertise._index.source_labels(org_id, list(people))
    expert = {label: pid for pid, label in by_source.items()}
    rng = random.Random(3)
    await ProfileRow.bulk_create(
        [
            ProfileRow(
                organisation_id=org_id,
                person_id=expert[f"e{e}"],
                weekly_request_cap=rng.choice((2, 3, 5, 8)),
                weekly_hours_cap=rng.choice((1.0, 2.0, 4.0)),
                paused_until=NOW + timedelta(days=10) if e % 200 == 0 else None,
            )
            for e in range(0, world.experts, 20)
        ]
    )
    questions = (
        await QuestionRow.filter(organisation_id=org_id).limit(2000).values_list("id", flat=True)
    )
    await OfferRow.bulk_create(
        [
            OfferRow(
                id=uuid4(),
                organisation_id=org_id,
                question_id=qid,
                expert_id=expert[f"e{world.by_topic[rng.randrange(TOPICS)][0]}"],
                offered_at=NOW - timedelta(hours=rng.randrange(1, 8)),
                due_at=NOW + timedelta(hours=4),
            )
            for qid in questions
        ]
    )
    hosts = list(dict.fromkeys(expert[f"e{world.by_topic[t][0]}"] for t in range(300)))
    rules = [{"weekday": d, "start": "10:00", "end": "12:00"} for d in ("mon", "wed", "thu")]
    oh = services.office_hours
    for n, host in enumerate(hosts):
        t = await oh.create_type(
            org_id, host, {"title": f"Office hours {n}", "rules": rules, "horizon_days": 21}
        )
        if n % 3 == 0:
            slots = await oh.slots(org_id, t.id, NOW, NOW + timedelta(days=7), include_full=False)
            learner = people[(n * 7919) % len(people)]
            if slots and learner != host:
                await oh.book(org_id, t.id, learner, slots[0].start_utc)
    asker = await services.people.add_person(org_id, "Bench Asker", "asker@bench.example")
    async with services.uow() as uow:
        person = await uow.people.get(org_id, asker.id)
        assert person is not None
        person.time_zone = "Europe/Berlin"
        await uow.people.update(person)
        await uow.commit()
    return asker.id


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

        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        await services.expertise._index.vocabulary(org.id)
        build_s = time.perf_counter() - started
        gc.collect()
        index_mb = rss_mb() - before
        print(
            f"index build from the database: {build_s:.1f} s, resident memory +{index_mb:,.0f} MB"
        )

        started = time.perf_counter()
        asker = await realistic_facts(services, org.id, world)
        print(
            f"people's facts (zones, profiles, offers, office hours): {time.perf_counter() - started:.1f} s"
        )

        queries = [world.query() for _ in range(args.queries)]
        # the read model of people's facts is built on first use, like the index
        facts = services.expertise._facts
        assert isinstance(facts, CachedExpertFacts)
        gc.collect()
        tracemalloc.start()
        started = time.perf_counter()
        await facts.facts(org.id, [], NOW, services.expertise.availability)
        facts_s = time.perf_counter() - started
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"read model of people's facts: {facts_s:.2f} s, {held / 1e6:,.0f} MB held")

        # the same matches with per-query database lookups of the facts (the former way),
        # sharing the built index: the baseline of this run
        lookups = ExpertiseService(
            services.uow,
            clock,
            services.expertise._index,
            availability=services.expertise.availability,
        )
        baseline: list[float] = []
        for text, tags in queries[: args.baseline_matches]:
            started = time.perf_counter()
            expected = await lookups.match(org.id, text, tags, asker_id=asker, top=5)
            baseline.append(time.perf_counter() - started)
        print(
            f"match with per-query lookups (top 5): p50 {pct(baseline, 50):.1f} ms, "
            f"p95 {pct(baseline, 95):.1f} ms over {len(baseline)} queries"
        )

        times = await timed_matches(services, org.id, asker, queries)
        print(
            f"match in process, read model (top 5): p50 {pct(times, 50):.1f} ms, "
            f"p95 {pct(times, 95):.1f} ms over {len(times)} queries "
            f"({statistics.median(baseline) / statistics.median(times):.1f}× faster at the median)"
        )
        same = 0
        for text, tags in queries[: args.baseline_matches]:
            a = await lookups.match(org.id, text, tags, asker_id=asker, top=5)
            b = await services.expertise.match(org.id, text, tags, asker_id=asker, top=5)
            same += [e.person_id for e in a.experts] == [e.person_id for e in b.experts]
        print(f"same top 5 as the per-query lookups: {same} of {args.baseline_matches} queries")
        del expected

        # the index alone (relevance shortlist of 30), without the per-person facts
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
        newcomer = (await services.people.add_person(org.id, "New Expert", "new@bench.example")).id
        question, _ = await services.expertise.ask(org.id, asker, "zzqx quantum sourdough starter")
        started = time.perf_counter()
        await services.expertise.answer(org.id, question.id, newcomer, "feed it twice a day")
        found = await services.expertise.match(org.id, "quantum sourdough zzqx", top=1)
        print(
            f"incremental update: answer + next match {1000 * (time.perf_counter() - started):.1f} ms, "
            f"new expert first: {found.experts[0].person_id == newcomer}"
        )
        # a pause and a routed request count in the next query too, without a rebuild
        started = time.perf_counter()
        await services.expertise.update_profile(
            org.id, newcomer, paused_until=NOW + timedelta(days=7)
        )
        found = await services.expertise.match(org.id, "quantum sourdough zzqx", top=10)
        paused = any(
            r.startswith("away until")
            for e in found.experts
            if e.person_id == newcomer
            for r in e.reasons
        )
        other, _ = await services.expertise.ask(org.id, asker, "zzqx sourdough hydration")
        (offer,) = await services.expertise.route(org.id, other.id, k=1)
        counted = await facts.facts(org.id, [offer.expert_id], NOW, services.expertise.availability)
        truth = await lookups._facts.facts(
            org.id, [offer.expert_id], NOW, services.expertise.availability
        )
        print(
            f"incremental update: pause + match + route {1000 * (time.perf_counter() - started):.1f} ms; "
            f"pause shown in the next match: {paused}; request counted in the read model: "
            f"{counted[offer.expert_id].requests_this_week == truth[offer.expert_id].requests_this_week}"
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
                    json={"text": text, "tags": tags, "top": 5, "asker_id": str(asker)},
                ) as resp:
                    assert resp.status == 200, await resp.text()
                    await resp.json()
                http.append(time.perf_counter() - started)
        await runner.cleanup()
        print(f"match over HTTP (top 5): p50 {pct(http, 50):.1f} ms, p95 {pct(http, 95):.1f} ms")
        if args.semantic:
            await semantic_at_scale(services, org.id, asker, queries, statistics.median(times))
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


async def timed_matches(
    services: Services, org_id: UUID, asker: UUID, queries: list[tuple[str, list[str]]]
) -> list[float]:
    """Seconds of each `match` (top 5, asked by `asker`); every query must find someone."""
    times: list[float] = []
    for text, tags in queries:
        started = time.perf_counter()
        result = await services.expertise.match(org_id, text, tags, asker_id=asker, top=5)
        times.append(time.perf_counter() - started)
        assert result.experts
    return times


async def semantic_at_scale(
    services: Services,
    org_id: UUID,
    asker: UUID,
    queries: list[tuple[str, list[str]]],
    lexical_p50_s: float,
) -> None:
    """Match with the semantic signal on the same organisation: every thread and answer gets a
    random unit vector of MiniLM's width, and the question is embedded by MiniLM itself."""
    from dataclasses import replace

    from adapters.search.embedding import MiniLMEmbedder, available
    from adapters.search.expert_index import SparseExpertIndex
    from core.expertise.ports import MatchQuery

    if not available("minilm"):
        print("semantic: skipped, the semantic extra is not installed")
        return
    index = services.expertise._index
    assert isinstance(index, SparseExpertIndex)
    embedder = MiniLMEmbedder()
    idx = await index._fresh(org_id)
    n_docs = len(idx.doc_question)
    rng = np.random.default_rng(7)

    def unit(n: int) -> np.ndarray:
        m = rng.standard_normal((n, embedder.dim), dtype=np.float32)
        m /= np.linalg.norm(m, axis=1, keepdims=True)
        return m

    answered = idx.P.base.tocoo()  # thread × person: one answer each
    idx.E = unit(n_docs)
    idx.A = unit(answered.nnz)
    idx.answer_doc = answered.row.astype(np.int64)
    idx.answer_author = answered.col.astype(np.int64)
    idx.answer_row = {uuid4(): row for row in range(answered.nnz)}
    index.embedder = embedder
    print(
        f"semantic: {n_docs:,} thread vectors and {answered.nnz:,} answer vectors "
        f"({(idx.E.nbytes + idx.A.nbytes) / 1e6:,.0f} MB)"
    )
    embedder.embed(["warm up"])
    embed: list[float] = []
    for text, _ in queries:
        started = time.perf_counter()
        embedder.embed([text])
        embed.append(time.perf_counter() - started)
    print(
        f"semantic: question embedding alone p50 {pct(embed, 50):.1f} ms, p95 {pct(embed, 95):.1f} ms"
    )
    base = idx.tuning
    vectors = [np.asarray(embedder.embed([text]), np.float32)[0] for text, _ in queries]
    for shortlist in (0, base.dense_shortlist or 1000):
        idx.tuning = replace(base, dense_shortlist=shortlist)
        label = f"shortlist of {shortlist:,} threads" if shortlist else "every thread and answer"
        # the index's part alone, the question's vector given: what comparing costs
        ranks: list[float] = []
        for (text, _), vector in zip(queries, vectors, strict=True):
            started = time.perf_counter()
            index.rank(idx, MatchQuery(text), (), 30, vector)
            ranks.append(time.perf_counter() - started)
        times = await timed_matches(services, org_id, asker, queries)
        print(
            f"semantic, {label}: index alone (vector given) p50 {pct(ranks, 50):.1f} ms, "
            f"p95 {pct(ranks, 95):.1f} ms; match in process p50 {pct(times, 50):.1f} ms, "
            f"p95 {pct(times, 95):.1f} ms ({statistics.median(times) / lexical_p50_s:.1f}× "
            "the lexical match at the median)"
        )
    idx.tuning = base


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=150_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--baseline-queries", type=int, default=20)
    parser.add_argument("--baseline-matches", type=int, default=100)
    parser.add_argument("--semantic", action="store_true")
    asyncio.run(main(parser.parse_args()))
