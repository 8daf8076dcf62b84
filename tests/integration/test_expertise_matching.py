"""Matching on small hand-made organisations, through the service, the index and the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from core.clock import FixedClock
from core.errors import PersonNotFound
from core.expertise.model import UnknownSkill
from core.expertise.ports import WeekLoad
from core.services import Services
from tests.integration.expertise_world import (
    history,
    kubernetes_threads,
    person,
    prompt_threads,
    thread,
)

K8S_QUESTION = "Our Kubernetes deployment keeps crashing after an upgrade. How do we roll back?"


class FreeSlots:
    """Office hours as the matcher sees them: some experts have a free slot soon."""

    def __init__(
        self, slots: Mapping[UUID, datetime], hours: Mapping[UUID, float] | None = None
    ) -> None:
        self.slots = dict(slots)
        self.hours = dict(hours or {})

    async def next_free_slots(
        self, org_id: UUID, person_ids: Sequence[UUID], after: datetime
    ) -> dict[UUID, datetime]:
        return {p: self.slots[p] for p in person_ids if p in self.slots}

    async def load_hours(
        self, org_id: UUID, person_ids: Sequence[UUID], week_start_utc: datetime
    ) -> dict[UUID, float]:
        return {p: self.hours[p] for p in person_ids if p in self.hours}

    async def week_load(self, org_id: UUID, week_start_utc: datetime) -> WeekLoad:
        return WeekLoad(frozenset(self.slots), dict(self.hours))


async def test_the_person_who_answered_the_topic_comes_first_with_reasons(
    services: Services, org: Any
) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await history(services, org, kubernetes_threads("ana", 6) + prompt_threads("ben", 6))

    result = await services.expertise.match(org.id, K8S_QUESTION)
    assert [e.person_id for e in result.experts][:2] == [ana, ben]
    top = result.experts[0]
    assert "answered 6 questions tagged kubernetes (6 accepted)" in top.reasons

    result = await services.expertise.match(
        org.id, "How many few-shot examples should a prompt have?"
    )
    assert result.experts[0].person_id == ben


async def test_the_asker_is_never_suggested_to_themself(services: Services, org: Any) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await history(services, org, kubernetes_threads("ana", 6) + kubernetes_threads("ben", 2))
    result = await services.expertise.match(org.id, K8S_QUESTION, asker_id=ana)
    ids = [e.person_id for e in result.experts]
    assert ana not in ids
    assert ids[0] == ben


async def test_the_full_relevance_order_reaches_past_the_top_shown(
    services: Services, org: Any
) -> None:
    """Measuring a ranking (bench/matching.py) needs everyone, not only the top `match` shows."""
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    cem = await person(services, org, "cem")
    await history(
        services,
        org,
        kubernetes_threads("ana", 6)
        + kubernetes_threads("ben", 3, start=6)
        + prompt_threads("cem", 4),
    )
    shown = await services.expertise.match(org.id, K8S_QUESTION, top=1)
    order = await services.expertise.relevance_order(org.id, K8S_QUESTION)
    assert [e.person_id for e in shown.experts] == [ana]
    assert order == [ana, ben, cem]
    assert await services.expertise.relevance_order(org.id, K8S_QUESTION, asker_id=ana) == [
        ben,
        cem,
    ]


async def test_an_asker_from_another_organisation_is_refused(services: Services, org: Any) -> None:
    other = await services.people.create_organisation("globex", "Globex")
    stranger = await services.people.add_person(other.id, "Hank", "hank@globex.example")
    with pytest.raises(PersonNotFound):
        await services.expertise.match(org.id, K8S_QUESTION, asker_id=stranger.id)


async def test_a_colleague_free_tomorrow_beats_an_equal_one_and_says_so(
    services: Services, org: Any, clock: FixedClock
) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await history(services, org, kubernetes_threads("ana", 4) + kubernetes_threads("ben", 4))
    tomorrow = clock.now() + timedelta(days=1, hours=1)
    services.expertise.availability = FreeSlots({ben: tomorrow})
    result = await services.expertise.match(org.id, K8S_QUESTION)
    assert result.experts[0].person_id == ben
    assert any(r.startswith("free tomorrow") for r in result.experts[0].reasons)
    assert result.experts[1].person_id == ana


async def test_the_experts_own_cap_sinks_an_overloaded_expert_without_hiding_them(
    services: Services, org: Any
) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await history(services, org, kubernetes_threads("ana", 8) + kubernetes_threads("ben", 3))
    await services.expertise.update_profile(org.id, ana, weekly_hours_cap=2)
    services.expertise.availability = FreeSlots({}, hours={ana: 3.0})
    result = await services.expertise.match(org.id, K8S_QUESTION)
    ids = [e.person_id for e in result.experts]
    assert ids[:2] == [ben, ana]
    assert any("at capacity" in r for r in result.experts[1].reasons)


async def test_a_paused_expert_drops_below_available_ones(
    services: Services, org: Any, clock: FixedClock
) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await history(services, org, kubernetes_threads("ana", 8) + kubernetes_threads("ben", 2))
    await services.expertise.update_profile(
        org.id, ana, paused_until=clock.now() + timedelta(days=14)
    )
    result = await services.expertise.match(org.id, K8S_QUESTION)
    assert [e.person_id for e in result.experts][:2] == [ben, ana]
    await services.expertise.update_profile(org.id, ana, clear_pause=True)
    result = await services.expertise.match(org.id, K8S_QUESTION)
    assert result.experts[0].person_id == ana


async def test_working_hours_overlap_with_the_asker_breaks_an_even_match(
    services: Services, org: Any
) -> None:
    asker = await person(services, org, "asker", "Europe/Berlin")
    near = await person(services, org, "near", "Europe/Madrid")
    far = await person(services, org, "far", "Pacific/Auckland")
    await history(services, org, kubernetes_threads("near", 4) + kubernetes_threads("far", 4))
    result = await services.expertise.match(org.id, K8S_QUESTION, asker_id=asker)
    assert [e.person_id for e in result.experts] == [near, far]
    assert "no working-hours overlap with you" in result.experts[1].reasons


async def test_equally_good_experts_take_turns_at_the_top(services: Services, org: Any) -> None:
    team = [await person(services, org, f"sre{i}") for i in range(3)]
    threads = []
    for n in range(3):
        for i in range(3):
            threads += kubernetes_threads(f"sre{i}", 1, start=n)
    await history(services, org, threads)
    firsts: Counter[UUID] = Counter()
    for n in range(150):
        result = await services.expertise.match(org.id, f"{K8S_QUESTION} (ticket {n})", top=3)
        firsts[result.experts[0].person_id] += 1
    assert set(firsts) == set(team)
    assert min(firsts.values()) >= 25


async def test_a_new_answer_counts_in_the_very_next_query(services: Services, org: Any) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    asker = await person(services, org, "asker")
    await history(services, org, kubernetes_threads("ana", 6) + prompt_threads("ben", 1))
    text = "Terraform state lock is stuck. How do we release the DynamoDB lock?"
    before = await services.expertise.match(org.id, text)
    assert before.experts[0].person_id == ana
    for n in range(3):
        question, _ = await services.expertise.ask(
            org.id, asker, f"Terraform state lock stuck again, run {n}. DynamoDB lock table"
        )
        await services.expertise.answer(org.id, question.id, ben, "force-unlock with the lock id")
    result = await services.expertise.match(org.id, text)
    assert result.experts[0].person_id == ben
    assert any("similar" in r for r in result.experts[0].reasons)
    assert ana in [e.person_id for e in result.experts]


async def test_declared_skills_and_endorsements_make_a_newcomer_findable(
    services: Services, org: Any
) -> None:
    newcomer = await person(services, org, "newcomer")
    peer = await person(services, org, "peer")
    await services.expertise.add_skill(org.id, "Kubernetes", ["k8s"])
    await services.expertise.update_profile(org.id, newcomer, skills={"K8S": 4})
    assert await services.expertise.endorse(org.id, newcomer, "kubernetes", peer)
    assert not await services.expertise.endorse(org.id, newcomer, "kubernetes", peer)
    result = await services.expertise.match(org.id, "help with a pod", tags=["k8s"])
    assert result.experts[0].person_id == newcomer
    assert "rates themself 4/5 in Kubernetes" in result.experts[0].reasons
    assert "endorsed by 1 colleague for Kubernetes" in result.experts[0].reasons
    view = await services.expertise.profile(org.id, newcomer)
    assert [(s.skill.name, s.level, s.endorsements) for s in view.skills] == [("Kubernetes", 4, 1)]


async def test_evidence_from_office_hours_and_resources_shows_in_reasons(
    services: Services, org: Any
) -> None:
    ana = await person(services, org, "ana")
    for n, stars in enumerate([5, 4.5, 5]):
        await services.expertise.record_evidence(
            org.id,
            ana,
            "office_hours",
            ref=f"session-{n}",
            skills=["prompt engineering"],
            text="prompt engineering clinic: summaries and few-shot examples",
            rating=stars,
        )
    assert not await services.expertise.record_evidence(
        org.id, ana, "office_hours", ref="session-0", skills=["prompt engineering"], rating=5
    )
    await services.expertise.record_evidence(
        org.id,
        ana,
        "resource",
        ref="post-1",
        skills=["prompt engineering"],
        text="A prompt engineering checklist for summaries",
    )
    result = await services.expertise.match(org.id, "prompt engineering for summaries")
    top = result.experts[0]
    assert top.person_id == ana
    assert "4.8★ office hours (3 held)" in top.reasons
    assert "wrote 1 library resource" in top.reasons


async def test_unknown_tags_are_refused_with_a_suggestion(services: Services, org: Any) -> None:
    await services.expertise.add_skill(org.id, "Kubernetes", ["k8s"])
    with pytest.raises(UnknownSkill) as err:
        await services.expertise.match(org.id, K8S_QUESTION, tags=["kubernets"])
    assert "did you mean kubernetes" in err.value.message
    result = await services.expertise.match(
        org.id, K8S_QUESTION, tags=["kubernets"], strict_tags=False
    )
    assert result.unknown_tags == ("kubernets",)


async def test_aliases_and_spelling_variants_resolve_to_one_skill(
    services: Services, org: Any
) -> None:
    genai = await services.expertise.add_skill(org.id, "Generative AI", ["genai", "gen-ai"])
    ids, unknown = await services.expertise.resolve_tags(
        org.id, ["GENAI", "generative_ai", "Gen AI", "génai"]
    )
    assert ids == (genai.id,)
    assert unknown == ()


async def test_merging_skills_keeps_every_link(services: Services, org: Any) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await history(
        services,
        org,
        [thread("q1", "Pod eviction policy. Nodes under memory pressure", ["k8s"], ["ana"], "ana")],
    )
    kube = await services.expertise.add_skill(org.id, "Kubernetes")
    await services.expertise.update_profile(org.id, ben, skills={"k8s": 3, "kubernetes": 5})
    merged = await services.expertise.merge_skills(org.id, "k8s", "Kubernetes")
    assert merged.id == kube.id
    assert set(merged.aliases) == {"kubernetes", "k8s"}
    assert [s.name for s in await services.expertise.skills(org.id)] == ["Kubernetes"]
    ids, _ = await services.expertise.resolve_tags(org.id, ["K8s"])
    assert ids == (kube.id,)
    ben_view = await services.expertise.profile(org.id, ben)
    assert [(s.skill.id, s.level) for s in ben_view.skills] == [(kube.id, 5)]
    ana_view = await services.expertise.profile(org.id, ana)
    assert [(s.skill.id, s.answered, s.accepted) for s in ana_view.skills] == [(kube.id, 1, 1)]
    result = await services.expertise.match(org.id, "memory pressure", tags=["kubernetes"])
    assert "answered 1 question tagged Kubernetes (1 accepted)" in result.experts[0].reasons


async def test_renaming_a_skill_keeps_the_old_name_as_an_alias(
    services: Services, org: Any
) -> None:
    skill = await services.expertise.add_skill(org.id, "GenAI")
    renamed = await services.expertise.rename_skill(org.id, "genai", "Generative AI")
    assert renamed.id == skill.id and renamed.name == "Generative AI"
    ids, _ = await services.expertise.resolve_tags(org.id, ["genai", "generative ai"])
    assert ids == (skill.id,)


async def test_similar_answered_questions_come_back_before_anyone_is_asked(
    services: Services, org: Any
) -> None:
    asker = await person(services, org, "asker")
    await person(services, org, "ana")
    await history(services, org, kubernetes_threads("ana", 4))
    question, reuse = await services.expertise.ask(
        org.id, asker, "How do I roll back a Kubernetes deployment after the upgrade?"
    )
    assert reuse.questions
    best = reuse.questions[0]
    assert best.question.title == "How do I roll back a Kubernetes deployment"
    assert 0.4 <= best.score <= 1
    assert best.answer is not None
    resolved = await services.expertise.resolve_by_reuse(org.id, question.id)
    assert resolved.status == "deflected"
    nothing = await services.expertise.reuse(org.id, "Which wine goes with fondue?")
    assert nothing.questions == []
