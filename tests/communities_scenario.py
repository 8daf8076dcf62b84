"""A seeded fortnight of community activity whose figures are worked out by hand in the tests
(the same story runs on the in-memory fakes and on the real database)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from core.clock import FixedClock
from core.communities.service import CommunitiesService

START = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
END = START + timedelta(days=7)


@dataclass
class Scenario:
    a: UUID
    b: UUID
    e1: UUID
    e2: UUID


async def seed(
    service: CommunitiesService,
    clock: FixedClock,
    org_id: UUID,
    person: Callable[[str], Awaitable[UUID]],
) -> Scenario:
    def at(**delta: float) -> None:
        clock.set(START + timedelta(**delta))

    at(days=-1)
    o, m1, m2, m3 = [await person(n) for n in ("Owner", "Member One", "Member Two", "Member 3")]
    e1, e2 = await person("Expert One"), await person("Expert Two")
    learners = [await person(f"Learner {i}") for i in (1, 2, 3)]
    a = await service.create_community(org_id, o, "Community A")
    b = await service.create_community(org_id, o, "Community B")
    await service.update_community(org_id, b.id, o, expert_weekly_limit_hours=1)
    for p in (m1, m2, m3, e1, e2, *learners):
        await service.join(org_id, a.id, p)
    for p in (m2, e1):
        await service.join(org_id, b.id, p)
    q0 = await service.ask(org_id, a.id, m3, "Asked before the period")
    cohort = await service.create_cohort(
        org_id,
        a.id,
        o,
        "Prompting month",
        "Save an hour a week",
        date(2026, 3, 23),
        date(2026, 4, 19),
        required_checkins=1,
        requires_demo=False,
    )
    for p in learners:
        await service.join_cohort(org_id, cohort.id, p)

    at(hours=0)
    q1 = await service.ask(org_id, a.id, m1, "Question one")
    at(hours=0.5)
    p1 = await service.create_post(org_id, a.id, o, "tip", "A tip", "Useful words")
    at(hours=1)
    await service.answer(org_id, q1.id, e1, "first answer to q1")
    at(hours=2)
    await service.answer(org_id, q0.id, e2, "late answer to q0")
    at(hours=5)
    await service.answer(org_id, q1.id, e2, "second answer to q1")
    at(hours=6)
    await service.comment(org_id, p1.id, m2, "Nice")
    at(days=1)
    q2 = await service.ask(org_id, a.id, m1, "Question two")
    at(days=1, hours=3)
    await service.answer(org_id, q2.id, e1, "see the tip", cites_post_id=p1.id)
    at(days=2)
    q3 = await service.ask(org_id, a.id, m1, "Question three")
    at(days=2, hours=10)
    await service.answer(org_id, q3.id, e2, "answer to q3")
    at(days=3)
    q4 = await service.ask(org_id, a.id, m1, "Question one again")
    at(days=3, minutes=1)
    await service.mark_duplicate(org_id, q4.id, m1, q1.id)
    at(days=4)
    q5 = await service.ask(org_id, b.id, m2, "Question five")
    at(days=4, hours=2)
    await service.answer(org_id, q5.id, e1, "answer to q5")
    at(days=5)
    await service.check_in(org_id, cohort.id, learners[0], "tried things", "an hour", "")
    await service.check_in(org_id, cohort.id, learners[1], "tried too", "", "stuck")
    await service.record_demo(org_id, b.id, o, e1, "Demo in B")
    at(days=8)
    return Scenario(a.id, b.id, e1, e2)
