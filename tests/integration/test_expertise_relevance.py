"""Relevance signals of the expert index on small hand-made histories: recency of answers, tags
against skills only named in the text, and tags inferred from the threads most like a question."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from adapters.search.expert_index import SparseExpertIndex, Tuning
from core.clock import FixedClock
from core.expertise.history import HistoryThread
from core.expertise.service import ExpertiseService
from core.services import Services
from tests.integration.expertise_world import history, person, thread

ROLLBACK = "Rolling back a release. The new build broke checkout and we need the old one"


def filler(n: int) -> list[HistoryThread]:
    """Questions on other topics, answered by a third person: they age what came before."""
    return [
        thread(
            f"other-{i}", f"Office chair number {i}. Which lumbar support", ["ergonomics"], ["zoe"]
        )
        for i in range(n)
    ]


def rollbacks(who: str, n: int) -> list[HistoryThread]:
    return [thread(f"{who}-rb-{i}", ROLLBACK, ["deployments"], [who], who) for i in range(n)]


async def firsts(
    services: Services, org: Any, text: str, tags: list[str] | None = None
) -> list[UUID]:
    result = await services.expertise.match(org.id, text, tags or [], top=5)
    return [e.person_id for e in result.experts]


async def test_recent_answers_outweigh_the_same_answers_given_long_ago(
    services: Services, org: Any
) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await person(services, org, "zoe")
    # the same three answers each; ana's were followed by 60 other questions, ben's are newest
    await history(services, org, rollbacks("ana", 3) + filler(60) + rollbacks("ben", 3))

    result = await services.expertise.match(org.id, "How do we roll back a broken release?")
    ranked = {e.person_id: e for e in result.experts}
    assert [e.person_id for e in result.experts][:2] == [ben, ana]
    # clearly apart, not a tie taking turns
    assert ranked[ben].score > ranked[ana].score * 1.2


async def test_a_tag_weighs_more_than_a_skill_only_named_in_the_text(
    services: Services, org: Any
) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    text = "Setting up a new cluster. Where should we start"
    await history(
        services,
        org,
        [thread(f"a{i}", text, ["kubernetes"], ["ana"]) for i in range(4)]
        + [thread(f"b{i}", text, ["terraform"], ["ben"]) for i in range(4)],
    )
    question = "Moving our Terraform scripts over. Any pitfalls with the cluster"

    # tagged kubernetes, terraform only named: ana first, clearly
    result = await services.expertise.match(org.id, question, ["kubernetes"])
    ranked = {e.person_id: e.relevance for e in result.experts}
    assert [e.person_id for e in result.experts][:2] == [ana, ben]
    assert ranked[ana] > ranked[ben] * 1.1
    # tagged terraform: ben first
    assert (await firsts(services, org, question, ["terraform"]))[0] == ben
    # both skills reported as what the question is about
    assert len(result.skill_ids) == 2


async def test_tags_of_the_most_similar_threads_find_who_answers_that_topic(
    services: Services, org: Any, clock: FixedClock
) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await person(services, org, "carl")
    threads = [
        # the only thread like the question: answered by carl, tagged kubernetes
        thread(
            "c1", "Pods restart in a loop. Liveness probe fails on start", ["kubernetes"], ["carl"]
        ),
        # ana answers kubernetes questions in other words; ben answers more, on another topic
        *[
            thread(f"a{i}", "Helm values for ingress. Which annotations", ["kubernetes"], ["ana"])
            for i in range(4)
        ],
        *[
            thread(f"b{i}", "Quarterly budget sheet. Which formula sums", ["spreadsheets"], ["ben"])
            for i in range(8)
        ],
    ]
    await history(services, org, threads)
    question = "Our pods restart in a loop because the liveness probe fails"

    def service(tuning: Tuning) -> ExpertiseService:
        return ExpertiseService(services.uow, clock, SparseExpertIndex(clock, tuning))

    async def order(tuning: Tuning) -> list[UUID]:
        result = await service(tuning).match(org.id, question, top=5)
        return [e.person_id for e in result.experts]

    without = await order(Tuning(w_inferred=0.0))
    assert without.index(ben) < without.index(ana)
    inferred = await order(Tuning(w_inferred=0.5))
    assert inferred.index(ana) < inferred.index(ben)
