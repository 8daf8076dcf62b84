"""Communities at scale: library search and the organisation's outcome report.

1. Search: N library posts (100,000 by default) of synthetic text with a Zipf word distribution
   in 12 communities; Q queries (300) of 1–4 words drawn the same way. Measures the use case
   `CommunitiesService.search` end to end (BM25 summed in SQL over the term index, recency
   re-rank, posts loaded) against the naive baseline measured in the same run: a
   case-insensitive LIKE scan of title and body for every query word, newest first.
2. Report: an organisation of P people (20,000) with a year of activity (questions, answers,
   posts, comments, cohorts, check-ins, demos); measures `CommunitiesService.analytics` for the
   whole organisation over that year, and the same for one community.

    python -m bench.communities [--posts 100000] [--queries 300] [--people 20000]
                                [--database-url postgres://postgres@127.0.0.1:5432/postgres]

With a PostgreSQL URL a fresh database is created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from tortoise import connections
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from adapters.db import lifecycle
from adapters.db.tables.communities import PostRow
from app.bootstrap import build_services
from app.settings import Settings
from core.clock import FixedClock
from core.communities.search import impact, term_frequencies
from tests.databases import PostgresDatabase

NOW = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
RNG = random.Random(20260323)


def vocabulary(size: int = 6000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < size:
        n = RNG.randint(3, 10)
        words.add("".join(RNG.choice(letters) for _ in range(n)))
    return sorted(words)


class Zipf:
    def __init__(self, words: list[str], s: float = 1.05) -> None:
        self.words = words
        weights = [1 / (i + 1) ** s for i in range(len(words))]
        total = sum(weights)
        acc = 0.0
        self.cum = []
        for w in weights:
            acc += w / total
            self.cum.append(acc)

    def sample(self, k: int) -> list[str]:
        return RNG.choices(self.words, cum_weights=self.cum, k=k)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Writer:
    """Bulk inserts in one transaction per batch, with the dialect's placeholders and types."""

    def __init__(self) -> None:
        self.pg = connections.get("default").capabilities.dialect == "postgres"

    def v(self, value: Any) -> Any:
        if self.pg:
            return value
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, datetime):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool):
            return int(value)
        return value

    async def drop_indexes(self, table: str) -> list[str]:
        conn = connections.get("default")
        if self.pg:
            rows = await conn.execute_query_dict(
                "SELECT indexname AS name, indexdef AS sql FROM pg_indexes"
                " WHERE tablename = $1 AND indexname NOT LIKE '%pkey'",
                [table],
            )
        else:
            rows = await conn.execute_query_dict(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                " AND sql IS NOT NULL",
                [table],
            )
        for r in rows:
            await conn.execute_script(f'DROP INDEX "{r["name"]}"')
        return [str(r["sql"]) for r in rows]

    async def restore_indexes(self, statements: list[str]) -> None:
        conn = connections.get("default")
        for sql in statements:
            await conn.execute_script(sql)

    async def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join(f"${i + 1}" if self.pg else "?" for i in range(len(columns)))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        for start in range(0, len(rows), 20_000):
            batch = [tuple(self.v(x) for x in r) for r in rows[start : start + 20_000]]
            async with in_transaction() as tx:
                await tx.execute_many(sql, batch)


async def seed_posts(
    w: Writer, org_id: UUID, communities: list[UUID], author: UUID, n: int, zipf: Zipf
) -> None:
    posts: list[tuple[Any, ...]] = []
    terms: list[tuple[Any, ...]] = []
    kinds = ("tip", "prompt", "resource", "experiment")
    for i in range(n):
        pid = uuid4()
        title = " ".join(zipf.sample(RNG.randint(3, 7)))
        body = " ".join(zipf.sample(RNG.randint(25, 60)))
        tf = term_frequencies(f"{title} {body}")
        created = NOW - timedelta(minutes=RNG.randint(0, 60 * 24 * 730))
        community = RNG.choice(communities)
        posts.append(
            (
                pid,
                org_id,
                RNG.choice(communities),
                author,
                kinds[i % 4],
                title,
                body,
                "[]",
                "",
                "",
                "",
                "",
                "",
                "[]",
                False,
                False,
                RNG.randint(0, 12),
                0,
                0,
                sum(tf.values()),
                created,
                created,
            )
        )
        length = sum(tf.values())
        terms.extend(
            (pid, org_id, community, False, t, c, length, impact(c, length)) for t, c in tf.items()
        )
    await w.insert(
        "community_post",
        (
            "id",
            "organisation_id",
            "community_id",
            "author_id",
            "kind",
            "title",
            "body",
            "tags",
            "tool",
            "prompt_text",
            "example_output",
            "saved",
            "url",
            "credited_ids",
            "featured",
            "archived",
            "upvotes",
            "tries",
            "comment_count",
            "length",
            "created_at",
            "updated_at",
        ),
        posts,
    )
    # bulk load the way an import would: indexes dropped, rows in term order, indexes rebuilt
    terms.sort(key=lambda r: r[4])
    indexes = await w.drop_indexes("community_post_term")
    await w.insert(
        "community_post_term",
        (
            "post_id",
            "organisation_id",
            "community_id",
            "archived",
            "term",
            "tf",
            "length",
            "impact",
        ),
        terms,
    )
    await w.restore_indexes(indexes)


async def naive_like(org_id: UUID, query: str) -> list[UUID]:
    q = PostRow.filter(organisation_id=org_id, archived=False)
    for word in query.split():
        q = q.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return [r.id for r in await q.order_by("-created_at").limit(20)]


async def seed_year(
    w: Writer, org_id: UUID, communities: list[UUID], people: int
) -> dict[str, int]:
    """A year of activity for `people` people: about what 20,000 colleagues produce."""
    persons = [uuid4() for _ in range(people)]
    experts = persons[: max(10, people // 50)]
    start = NOW - timedelta(days=365)

    def moment() -> datetime:
        return start + timedelta(seconds=RNG.randint(0, 365 * 86400 - 1))

    questions, answers, posts, comments = [], [], [], []
    n_questions = people * 3 // 2
    for _ in range(n_questions):
        qid, at = uuid4(), moment()
        cid = RNG.choice(communities)
        status, first = "open", None
        n_answers = RNG.choices((0, 1, 2, 3), (15, 50, 25, 10))[0]
        accepted = None
        for k in range(n_answers):
            aid = uuid4()
            when = at + timedelta(minutes=RNG.randint(5, 60 * 72))
            first = when if first is None or when < first else first
            ok = k == 0 and RNG.random() < 0.6
            accepted = aid if ok else accepted
            cites = None
            answers.append((aid, org_id, qid, RNG.choice(experts), "an answer", ok, cites, when))
        if first is not None:
            status = "answered"
        dup = RNG.random() < 0.05
        questions.append(
            (
                qid,
                org_id,
                cid,
                RNG.choice(persons),
                "a question",
                "",
                "[]",
                "duplicate" if dup else status,
                first,
                accepted,
                None,
                None,
                None,
                at,
            )
        )
    for _ in range(people // 2):
        pid, at = uuid4(), moment()
        posts.append(
            (
                pid,
                org_id,
                RNG.choice(communities),
                RNG.choice(persons),
                "tip",
                "t",
                "b",
                "[]",
                "",
                "",
                "",
                "",
                "",
                "[]",
                False,
                False,
                0,
                0,
                0,
                2,
                at,
                at,
            )
        )
        for _ in range(RNG.randint(0, 3)):
            comments.append(
                (uuid4(), org_id, pid, RNG.choice(persons), "nice", at + timedelta(hours=2))
            )
    await w.insert(
        "community_question",
        (
            "id",
            "organisation_id",
            "community_id",
            "asker_id",
            "title",
            "body",
            "tags",
            "status",
            "first_answer_at",
            "accepted_answer_id",
            "duplicate_of_id",
            "duplicate_answer_id",
            "resource_post_id",
            "created_at",
        ),
        questions,
    )
    await w.insert(
        "community_answer",
        (
            "id",
            "organisation_id",
            "question_id",
            "author_id",
            "body",
            "accepted",
            "cites_post_id",
            "created_at",
        ),
        answers,
    )
    await w.insert(
        "community_post",
        (
            "id",
            "organisation_id",
            "community_id",
            "author_id",
            "kind",
            "title",
            "body",
            "tags",
            "tool",
            "prompt_text",
            "example_output",
            "saved",
            "url",
            "credited_ids",
            "featured",
            "archived",
            "upvotes",
            "tries",
            "comment_count",
            "length",
            "created_at",
            "updated_at",
        ),
        posts,
    )
    await w.insert(
        "community_comment",
        ("id", "organisation_id", "post_id", "author_id", "body", "created_at"),
        comments,
    )
    cohorts, enrolments, checkins = [], [], []
    for i in range(people // 100):
        cid = uuid4()
        begin = (start + timedelta(days=RNG.randint(0, 330))).date()
        cohorts.append(
            (
                cid,
                org_id,
                RNG.choice(communities),
                f"cohort {i}",
                "goal",
                begin,
                begin + timedelta(days=27),
                3,
                False,
                persons[0],
                NOW,
            )
        )
        for person in RNG.sample(persons, 20):
            done = RNG.random() < 0.5
            enrolments.append((cid, org_id, person, NOW, None, NOW if done else None))
            for week in range(1, RNG.randint(1, 4) + 1):
                checkins.append(
                    (
                        uuid4(),
                        org_id,
                        cid,
                        person,
                        week,
                        "tried",
                        "",
                        "",
                        datetime.combine(begin, datetime.min.time(), UTC)
                        + timedelta(days=7 * week - 3),
                    )
                )
    await w.insert(
        "community_cohort",
        (
            "id",
            "organisation_id",
            "community_id",
            "name",
            "goal",
            "starts_on",
            "ends_on",
            "required_checkins",
            "requires_demo",
            "created_by",
            "created_at",
        ),
        cohorts,
    )
    await w.insert(
        "community_cohort_enrolment",
        ("cohort_id", "organisation_id", "person_id", "joined_at", "left_at", "completed_at"),
        enrolments,
    )
    await w.insert(
        "community_checkin",
        (
            "id",
            "organisation_id",
            "cohort_id",
            "person_id",
            "week",
            "tried",
            "saved",
            "stuck",
            "created_at",
        ),
        checkins,
    )
    return {
        "questions": len(questions),
        "answers": len(answers),
        "posts": len(posts),
        "comments": len(comments),
        "cohorts": len(cohorts),
        "enrolments": len(enrolments),
        "checkins": len(checkins),
    }


async def run(url: str, n_posts: int, n_queries: int, n_people: int) -> None:
    await lifecycle.upgrade(url)
    await lifecycle.connect(url)
    try:
        clock = FixedClock(NOW)
        services = build_services(Settings(database_url=url), clock=clock)
        c = services.communities
        w = Writer()
        if not w.pg:
            await connections.get("default").execute_script("PRAGMA synchronous = OFF")
        dialect = "PostgreSQL" if w.pg else "SQLite"
        print(f"database: {dialect}")

        # 1. search -------------------------------------------------------------------
        org = await services.people.create_organisation("bench-search", "Search bench")
        owner = (await services.people.add_person(org.id, "Owner", None)).id
        communities = [
            (await c.create_community(org.id, owner, f"Community {i}")).id for i in range(12)
        ]
        zipf = Zipf(vocabulary())
        t0 = time.perf_counter()
        await seed_posts(w, org.id, communities, owner, n_posts, zipf)
        if w.pg:
            await connections.get("default").execute_script("ANALYZE")
        print(f"seeded {n_posts:,} posts in {time.perf_counter() - t0:.1f} s")
        queries = [" ".join(zipf.sample(RNG.randint(1, 4))) for _ in range(n_queries)]
        for q in queries[:10]:
            await c.search(org.id, q)
            await naive_like(org.id, q)
        ours, naive = [], []
        hits = Counter[int]()
        for q in queries:
            t = time.perf_counter()
            found = await c.search(org.id, q)
            ours.append((time.perf_counter() - t) * 1000)
            hits[min(len(found), 20)] += 1
            t = time.perf_counter()
            await naive_like(org.id, q)
            naive.append((time.perf_counter() - t) * 1000)
        p50o, p95o = statistics.median(ours), percentile(ours, 0.95)
        p50n, p95n = statistics.median(naive), percentile(naive, 0.95)
        print(f"search over {n_posts:,} posts, {n_queries} queries (1–4 words, Zipf):")
        print(
            f"  BM25 use case   p50 {p50o:7.1f} ms   p95 {p95o:7.1f} ms   max {max(ours):7.1f} ms"
        )
        print(
            f"  naive LIKE scan p50 {p50n:7.1f} ms   p95 {p95n:7.1f} ms   max {max(naive):7.1f} ms"
        )
        print(
            f"  p95 ratio naive/ours: {p95n / p95o:.1f}x; goal p95 < 50 ms: {'met' if p95o < 50 else 'NOT met'}"
        )
        print(f"  queries with a full page of 20 results: {hits[20]}/{n_queries}")

        # 2. report -------------------------------------------------------------------
        org2 = await services.people.create_organisation("bench-report", "Report bench")
        owner2 = (await services.people.add_person(org2.id, "Owner", None)).id
        comms2 = [
            (await c.create_community(org2.id, owner2, f"Community {i}")).id for i in range(40)
        ]
        t0 = time.perf_counter()
        counts = await seed_year(w, org2.id, comms2, n_people)
        if w.pg:
            await connections.get("default").execute_script("ANALYZE")
        print(
            f"seeded a year for {n_people:,} people in {time.perf_counter() - t0:.1f} s: "
            + json.dumps(counts)
        )
        start = NOW - timedelta(days=365)
        org_times, one_times = [], []
        report = None
        for _ in range(3):
            t = time.perf_counter()
            report = await c.analytics(org2.id, start=start, end=NOW)
            org_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            await c.analytics(org2.id, comms2[0], start=start, end=NOW)
            one_times.append(time.perf_counter() - t)
        assert report is not None
        best, worst = min(org_times), max(org_times)
        print(
            f"organisation report over a year: best {best:.2f} s, worst {worst:.2f} s; "
            f"goal < 2 s: {'met' if worst < 2 else 'NOT met'}"
        )
        print(f"one community's report: best {min(one_times):.2f} s, worst {max(one_times):.2f} s")
        print(
            f"  asked {report.questions_asked:,}, answered {report.questions_answered:,}, "
            f"median first answer {report.first_answer_hours_median} h, "
            f"p90 {report.first_answer_hours_p90} h, contributors {report.active_contributors:,}, "
            f"experts over limit {sum(e.over_limit for e in report.expert_load)}"
        )
    finally:
        await lifecycle.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url and args.database_url.startswith(("postgres://", "postgresql://")):
        pg = PostgresDatabase(args.database_url, label="peerlearn_bench")
        pg.create()
        try:
            asyncio.run(run(pg.url, args.posts, args.queries, args.people))
        finally:
            pg.drop()
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite://{Path(tmp) / 'bench.db'}"
        asyncio.run(run(url, args.posts, args.queries, args.people))


if __name__ == "__main__":
    main()
