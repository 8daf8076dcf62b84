"""In-memory fakes of the ports the communities use cases need (people, outbox, communities).

A unit of work snapshots the store on entry and restores it unless committed, like a real
transaction, so tests can check that refused commands change nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from core.clock import FixedClock
from core.communities.model import (
    Answer,
    CheckIn,
    Cohort,
    Comment,
    Community,
    Demo,
    Enrolment,
    Membership,
    PairingRound,
    Post,
    PostRevision,
    Question,
)
from core.communities.ports import ActivityData, ReportFacts, SearchStats
from core.communities.search import bm25_term
from core.communities.service import CommunitiesService
from core.communities.tags import SlugTags
from core.errors import Conflict
from core.ids import new_id
from core.outbox import OutboxMessage
from core.people.model import Person


@dataclass
class Store:
    people: dict[UUID, Person] = field(default_factory=dict)
    outbox: list[OutboxMessage] = field(default_factory=list)
    communities: dict[UUID, Community] = field(default_factory=dict)
    memberships: dict[tuple[UUID, UUID], Membership] = field(default_factory=dict)
    posts: dict[UUID, Post] = field(default_factory=dict)
    terms: dict[UUID, dict[str, int]] = field(default_factory=dict)
    revisions: list[PostRevision] = field(default_factory=list)
    votes: set[tuple[UUID, UUID]] = field(default_factory=set)
    saves: list[tuple[UUID, UUID]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    questions: dict[UUID, Question] = field(default_factory=dict)
    answers: dict[UUID, Answer] = field(default_factory=dict)
    cohorts: dict[UUID, Cohort] = field(default_factory=dict)
    enrolments: dict[tuple[UUID, UUID], Enrolment] = field(default_factory=dict)
    checkins: list[CheckIn] = field(default_factory=list)
    demos: list[Demo] = field(default_factory=list)
    rounds: list[PairingRound] = field(default_factory=list)


class FakePeople:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def get(self, org_id: UUID, person_id: UUID) -> Person | None:
        p = self.s.people.get(person_id)
        return p if p and p.organisation_id == org_id else None


class FakeOutbox:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, message: OutboxMessage) -> None:
        self.s.outbox.append(message)


def _in(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)


class FakeCommunities:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, community: Community) -> None:
        self.s.communities[community.id] = copy.deepcopy(community)

    async def get(self, org_id: UUID, community_id: UUID) -> Community | None:
        c = self.s.communities.get(community_id)
        return copy.deepcopy(c) if c and c.organisation_id == org_id else None

    async def get_by_name(self, org_id: UUID, name: str) -> Community | None:
        for c in self.s.communities.values():
            if c.organisation_id == org_id and c.name.casefold() == name.casefold():
                return copy.deepcopy(c)
        return None

    async def list(self, org_id: UUID, include_archived: bool = False) -> Sequence[Community]:
        out = [
            copy.deepcopy(c)
            for c in self.s.communities.values()
            if c.organisation_id == org_id and (include_archived or not c.archived)
        ]
        return sorted(out, key=lambda c: c.name.casefold())

    async def update(self, community: Community) -> None:
        self.s.communities[community.id] = copy.deepcopy(community)

    async def get_membership(self, community_id: UUID, person_id: UUID) -> Membership | None:
        m = self.s.memberships.get((community_id, person_id))
        return copy.deepcopy(m) if m else None

    async def save_membership(self, membership: Membership) -> None:
        key = (membership.community_id, membership.person_id)
        self.s.memberships[key] = copy.deepcopy(membership)

    async def memberships(
        self, community_id: UUID, status: str | None = None
    ) -> Sequence[Membership]:
        return [
            copy.deepcopy(m)
            for (cid, _), m in self.s.memberships.items()
            if cid == community_id and (status is None or m.status == status)
        ]

    async def memberships_of(self, org_id: UUID, person_id: UUID) -> Sequence[Membership]:
        return [
            copy.deepcopy(m)
            for (_, pid), m in self.s.memberships.items()
            if pid == person_id and m.organisation_id == org_id
        ]

    async def member_counts(self, org_id: UUID) -> Mapping[UUID, int]:
        counts: dict[UUID, int] = {}
        for m in self.s.memberships.values():
            if m.organisation_id == org_id and m.status == "active":
                counts[m.community_id] = counts.get(m.community_id, 0) + 1
        return counts

    async def activity(
        self,
        org_id: UUID,
        community_id: UUID | None,
        start: datetime | None,
        end: datetime | None,
    ) -> ActivityData:
        def scoped(cid: UUID) -> bool:
            return community_id is None or cid == community_id

        questions = [
            q
            for q in self.s.questions.values()
            if q.organisation_id == org_id
            and scoped(q.community_id)
            and _in(q.created_at, start, end)
        ]
        community_of = {q.id: q.community_id for q in self.s.questions.values()}
        answers = [
            a
            for a in self.s.answers.values()
            if a.organisation_id == org_id
            and scoped(community_of[a.question_id])
            and (start is None or a.created_at >= start)
        ]
        posts = [
            (p.id, p.community_id, p.author_id, p.created_at, p.source_question_id, p.credited_ids)
            for p in self.s.posts.values()
            if p.organisation_id == org_id
            and scoped(p.community_id)
            and _in(p.created_at, start, end)
        ]
        comments = [
            (c.author_id, c.created_at)
            for c in self.s.comments
            if c.organisation_id == org_id
            and scoped(self.s.posts[c.post_id].community_id)
            and _in(c.created_at, start, end)
        ]
        cohorts = [
            c
            for c in self.s.cohorts.values()
            if c.organisation_id == org_id and scoped(c.community_id)
        ]
        ids = {c.id for c in cohorts}
        cohort_community = {c.id: c.community_id for c in self.s.cohorts.values()}
        return ActivityData(
            questions=copy.deepcopy(questions),
            answers=copy.deepcopy(answers),
            posts=posts,
            comments=comments,
            checkins=[
                c
                for c in self.s.checkins
                if c.organisation_id == org_id
                and scoped(cohort_community[c.cohort_id])
                and _in(c.created_at, start, end)
            ],
            demos=[
                d
                for d in self.s.demos
                if d.organisation_id == org_id
                and scoped(d.community_id)
                and _in(d.given_at, start, end)
            ],
            cohorts=copy.deepcopy(cohorts),
            enrolments=[copy.deepcopy(e) for e in self.s.enrolments.values() if e.cohort_id in ids],
        )

    async def report_facts(
        self, org_id: UUID, community_id: UUID | None, start: datetime, end: datetime
    ) -> ReportFacts:
        data = await self.activity(org_id, community_id, start, end)
        before = await self.activity(org_id, community_id, start, None)
        community_of = {q.id: q.community_id for q in self.s.questions.values()}
        return ReportFacts(
            questions=[
                (q.id, q.community_id, q.asker_id, q.created_at, q.duplicate_of_id is not None)
                for q in data.questions
            ],
            answers=[
                (
                    a.question_id,
                    community_of[a.question_id],
                    a.author_id,
                    a.created_at,
                    a.cites_post_id is not None,
                )
                for a in before.answers
            ],
            posts=[(p[2], p[3]) for p in data.posts],
            comments=list(data.comments),
            checkins=[(c.person_id, c.created_at) for c in data.checkins],
            demos=[(d.person_id, d.community_id, d.given_at) for d in data.demos],
            cohorts=[(c.id, c.starts_on, c.ends_on) for c in data.cohorts],
            enrolments=[
                (e.cohort_id, e.left_at is not None, e.completed_at is not None)
                for e in data.enrolments
            ],
        )


class FakeLibrary:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, post: Post, terms: Mapping[str, int]) -> None:
        self.s.posts[post.id] = copy.deepcopy(post)
        self.s.terms[post.id] = dict(terms)

    async def get(self, org_id: UUID, post_id: UUID) -> Post | None:
        p = self.s.posts.get(post_id)
        return copy.deepcopy(p) if p and p.organisation_id == org_id else None

    async def get_many(self, org_id: UUID, post_ids: Sequence[UUID]) -> Sequence[Post]:
        return [
            copy.deepcopy(self.s.posts[i])
            for i in post_ids
            if i in self.s.posts and self.s.posts[i].organisation_id == org_id
        ]

    async def update(self, post: Post, terms: Mapping[str, int] | None = None) -> None:
        self.s.posts[post.id] = copy.deepcopy(post)
        if terms is not None:
            self.s.terms[post.id] = dict(terms)

    async def list(
        self,
        org_id: UUID,
        community_ids: Sequence[UUID],
        *,
        kind: str | None = None,
        tag: str | None = None,
        featured: bool | None = None,
        include_archived: bool = False,
        since: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Sequence[Post]:
        out = [
            p
            for p in self.s.posts.values()
            if p.organisation_id == org_id
            and p.community_id in community_ids
            and (kind is None or p.kind == kind)
            and (tag is None or tag in p.tags)
            and (featured is None or p.featured == featured)
            and (include_archived or not p.archived)
            and (since is None or p.created_at >= since)
        ]
        out.sort(key=lambda p: (not p.featured, -p.created_at.timestamp(), str(p.id)))
        return copy.deepcopy(out[offset : offset + limit])

    def _live(self, org_id: UUID, community_ids: Sequence[UUID]) -> list[Post]:
        return [
            p
            for p in self.s.posts.values()
            if p.organisation_id == org_id and p.community_id in community_ids and not p.archived
        ]

    async def search_stats(
        self, org_id: UUID, community_ids: Sequence[UUID], terms: Sequence[str]
    ) -> SearchStats:
        live = self._live(org_id, community_ids)
        if not live:
            return SearchStats(0, 0.0, {})
        lengths = [sum(self.s.terms[p.id].values()) for p in live]
        df = {t: sum(1 for p in live if t in self.s.terms[p.id]) for t in terms}
        return SearchStats(len(live), sum(lengths) / len(live), {t: n for t, n in df.items() if n})

    async def search_top(
        self,
        org_id: UUID,
        community_ids: Sequence[UUID],
        weights: Mapping[str, float],
        average_length: float,
        limit: int,
    ) -> Sequence[tuple[UUID, float]]:
        scored = []
        for p in self._live(org_id, community_ids):
            terms = self.s.terms[p.id]
            length = sum(terms.values())
            rel = sum(
                bm25_term(terms[t], length, average_length, w)
                for t, w in weights.items()
                if t in terms
            )
            if rel > 0:
                scored.append((p.id, rel))
        scored.sort(key=lambda x: (-x[1], str(x[0])))
        return scored[:limit]

    async def add_revision(self, revision: PostRevision) -> None:
        self.s.revisions.append(revision)

    async def revisions(self, post_id: UUID) -> Sequence[PostRevision]:
        return [r for r in self.s.revisions if r.post_id == post_id]

    async def set_vote(self, post_id: UUID, person_id: UUID, on: bool) -> bool:
        key = (post_id, person_id)
        if on == (key in self.s.votes):
            return False
        if on:
            self.s.votes.add(key)
        else:
            self.s.votes.discard(key)
        return True

    async def set_saved(self, post_id: UUID, person_id: UUID, on: bool) -> bool:
        key = (post_id, person_id)
        if on == (key in self.s.saves):
            return False
        if on:
            self.s.saves.append(key)
        else:
            self.s.saves.remove(key)
        return True

    async def saved_by(self, org_id: UUID, person_id: UUID) -> Sequence[UUID]:
        return [p for p, who in reversed(self.s.saves) if who == person_id]

    async def add_comment(self, comment: Comment) -> None:
        self.s.comments.append(comment)

    async def comments(self, post_id: UUID) -> Sequence[Comment]:
        return [c for c in self.s.comments if c.post_id == post_id]


class FakeQuestions:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, question: Question) -> None:
        self.s.questions[question.id] = copy.deepcopy(question)

    async def get(self, org_id: UUID, question_id: UUID) -> Question | None:
        q = self.s.questions.get(question_id)
        return copy.deepcopy(q) if q and q.organisation_id == org_id else None

    async def update(self, question: Question) -> None:
        self.s.questions[question.id] = copy.deepcopy(question)

    async def list(
        self,
        org_id: UUID,
        community_ids: Sequence[UUID],
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Sequence[Question]:
        out = [
            q
            for q in self.s.questions.values()
            if q.organisation_id == org_id
            and q.community_id in community_ids
            and (status is None or q.status == status)
        ]
        out.sort(key=lambda q: (-q.created_at.timestamp(), str(q.id)))
        return copy.deepcopy(out[offset : offset + limit])

    async def add_answer(self, answer: Answer) -> None:
        self.s.answers[answer.id] = copy.deepcopy(answer)

    async def get_answer(self, org_id: UUID, answer_id: UUID) -> Answer | None:
        a = self.s.answers.get(answer_id)
        return copy.deepcopy(a) if a and a.organisation_id == org_id else None

    async def update_answer(self, answer: Answer) -> None:
        self.s.answers[answer.id] = copy.deepcopy(answer)

    async def answers(self, question_id: UUID) -> Sequence[Answer]:
        out = [a for a in self.s.answers.values() if a.question_id == question_id]
        return copy.deepcopy(sorted(out, key=lambda a: a.created_at))


class FakeCohorts:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, cohort: Cohort) -> None:
        self.s.cohorts[cohort.id] = copy.deepcopy(cohort)

    async def get(self, org_id: UUID, cohort_id: UUID) -> Cohort | None:
        c = self.s.cohorts.get(cohort_id)
        return copy.deepcopy(c) if c and c.organisation_id == org_id else None

    async def list(self, org_id: UUID, community_id: UUID) -> Sequence[Cohort]:
        return [
            copy.deepcopy(c)
            for c in self.s.cohorts.values()
            if c.organisation_id == org_id and c.community_id == community_id
        ]

    async def save_enrolment(self, enrolment: Enrolment) -> None:
        self.s.enrolments[(enrolment.cohort_id, enrolment.person_id)] = copy.deepcopy(enrolment)

    async def enrolments(self, cohort_id: UUID) -> Sequence[Enrolment]:
        return [copy.deepcopy(e) for (c, _), e in self.s.enrolments.items() if c == cohort_id]

    async def add_checkin(self, checkin: CheckIn) -> None:
        if any(
            c.cohort_id == checkin.cohort_id
            and c.person_id == checkin.person_id
            and c.week == checkin.week
            for c in self.s.checkins
        ):
            raise Conflict("duplicate check-in")
        self.s.checkins.append(checkin)

    async def checkins(self, cohort_id: UUID, person_id: UUID | None = None) -> Sequence[CheckIn]:
        return [
            c
            for c in self.s.checkins
            if c.cohort_id == cohort_id and (person_id is None or c.person_id == person_id)
        ]

    async def add_demo(self, demo: Demo) -> None:
        self.s.demos.append(demo)

    async def demos(self, org_id: UUID, cohort_id: UUID) -> Sequence[Demo]:
        return [d for d in self.s.demos if d.organisation_id == org_id and d.cohort_id == cohort_id]

    async def add_round(self, pairing: PairingRound) -> None:
        self.s.rounds.append(pairing)

    async def rounds(self, cohort_id: UUID) -> Sequence[PairingRound]:
        return sorted(
            (r for r in self.s.rounds if r.cohort_id == cohort_id), key=lambda r: r.number
        )


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.people = FakePeople(store)
        self.outbox = FakeOutbox(store)
        self.communities = FakeCommunities(store)
        self.community_posts = FakeLibrary(store)
        self.community_questions = FakeQuestions(store)
        self.cohorts = FakeCohorts(store)
        self._snapshot: dict[str, Any] = {}
        self._committed = False

    async def __aenter__(self) -> FakeUnitOfWork:
        self._snapshot = copy.deepcopy(self.store.__dict__)
        self._committed = False
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None or not self._committed:
            self.store.__dict__.update(self._snapshot)

    async def commit(self) -> None:
        self._committed = True


@dataclass
class World:
    store: Store
    clock: FixedClock
    service: CommunitiesService
    org_id: UUID
    evidence: list[tuple[UUID, str, str]]

    def person(self, name: str, org_id: UUID | None = None) -> UUID:
        person = Person(new_id(), org_id or self.org_id, name, None, created_at=self.clock.now())
        self.store.people[person.id] = person
        return person.id


class RecordingEvidence:
    def __init__(self, sink: list[tuple[UUID, str, str]]) -> None:
        self.sink = sink

    async def record(
        self,
        org_id: UUID,
        person_id: UUID,
        kind: str,
        reference: str,
        tags: Sequence[str],
        at: datetime,
    ) -> None:
        self.sink.append((person_id, kind, reference))


def world(start: datetime | None = None) -> World:
    store = Store()
    clock = FixedClock(start or datetime(2026, 3, 23, 8, 0, tzinfo=UTC))
    evidence: list[tuple[UUID, str, str]] = []
    service = CommunitiesService(
        lambda: FakeUnitOfWork(store),  # type: ignore[arg-type, return-value]
        clock,
        SlugTags(),
        evidence=RecordingEvidence(evidence),
    )
    return World(store, clock, service, new_id(), evidence)


__all__ = ["World", "replace", "world"]
