"""Routing a question to experts: offers, declines, colleagues, timeouts and the closing answer,
with a fixed clock and the notifications written to the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from core.clock import FixedClock
from core.errors import Forbidden, InvalidInput
from core.expertise.model import OfferClosed
from core.outbox import OutboxTopic
from core.services import Services
from tests.integration.expertise_world import (
    ROUTED_QUESTION,
    routing_team,
)

QUESTION = ROUTED_QUESTION


async def notices(services: Services, person_id: UUID) -> list[str]:
    async with services.uow() as uow:
        rows = await uow.outbox.list(limit=500)
    return [
        m.payload["template"]
        for m in rows
        if m.kind == OutboxTopic.NOTIFY and m.payload.get("person_id") == str(person_id)
    ]


@pytest.fixture
async def team(services: Services, org: Any) -> dict[str, UUID]:
    return await routing_team(services, org)


async def test_a_question_goes_to_the_top_k_and_everyone_hears(
    services: Services, org: Any, team: dict[str, UUID]
) -> None:
    question, _ = await services.expertise.ask(org.id, team["asker"], QUESTION)
    offers = await services.expertise.route(org.id, question.id)
    assert {o.expert_id for o in offers} == {team["ana"], team["ben"]}
    assert await notices(services, team["ana"]) == ["expertise.question_offered"]
    assert await notices(services, team["asker"]) == ["expertise.question_routed"]
    _, _, stored = await services.expertise.question(org.id, question.id)
    assert {o.status for o in stored} == {"offered"}


async def test_a_decline_needs_a_reason_and_the_last_decline_moves_the_question_on(
    services: Services, org: Any, team: dict[str, UUID]
) -> None:
    question, _ = await services.expertise.ask(org.id, team["asker"], QUESTION)
    offers = {o.expert_id: o for o in await services.expertise.route(org.id, question.id)}
    first, second = offers[team["ana"]], offers[team["ben"]]
    with pytest.raises(InvalidInput):
        await services.expertise.decline_offer(org.id, first.id, team["ana"], "   ")
    with pytest.raises(Forbidden):
        await services.expertise.decline_offer(org.id, first.id, team["ben"], "not mine")
    assert await services.expertise.decline_offer(org.id, first.id, team["ana"], "on leave") == []
    rerouted = await services.expertise.decline_offer(org.id, second.id, team["ben"], "not my area")
    assert {o.expert_id for o in rerouted} == {team["cy"], team["dee"]}
    assert all(o.round == 2 for o in rerouted)
    with pytest.raises(OfferClosed):
        await services.expertise.accept_offer(org.id, first.id, team["ana"])
    _, _, stored = await services.expertise.question(org.id, question.id)
    declined = {o.expert_id: o.reason for o in stored if o.status == "declined"}
    assert declined == {team["ana"]: "on leave", team["ben"]: "not my area"}


async def test_unanswered_offers_expire_and_reroute_after_the_timeout(
    services: Services, org: Any, team: dict[str, UUID], clock: FixedClock
) -> None:
    question, _ = await services.expertise.ask(org.id, team["asker"], QUESTION)
    await services.expertise.route(org.id, question.id)
    clock.advance(timedelta(hours=3, minutes=59))
    assert await services.expertise.sweep() == 0
    clock.advance(timedelta(minutes=2))
    assert await services.expertise.sweep() == 2
    _, _, stored = await services.expertise.question(org.id, question.id)
    live = {o.expert_id for o in stored if o.status == "offered"}
    assert live == {team["cy"], team["dee"]}
    assert await notices(services, team["asker"]) == [
        "expertise.question_routed",
        "expertise.question_routed",
    ]
    # the last round runs out too: the asker is told nobody is available
    clock.advance(timedelta(hours=5))
    assert await services.expertise.sweep() == 2
    assert (await notices(services, team["asker"]))[-1] == "expertise.no_expert_available"


async def test_an_accepted_offer_does_not_expire(
    services: Services, org: Any, team: dict[str, UUID], clock: FixedClock
) -> None:
    question, _ = await services.expertise.ask(org.id, team["asker"], QUESTION)
    offers = {o.expert_id: o for o in await services.expertise.route(org.id, question.id)}
    first = offers[team["ana"]]
    await services.expertise.accept_offer(org.id, first.id, team["ana"])
    clock.advance(timedelta(hours=5))
    assert await services.expertise.sweep() == 1
    _, _, stored = await services.expertise.question(org.id, question.id)
    assert {o.expert_id: o.status for o in stored} == {
        team["ana"]: "accepted",
        team["ben"]: "expired",
    }
    assert "expertise.expert_accepted" in await notices(services, team["asker"])


async def test_an_expert_can_pass_the_question_to_a_colleague(
    services: Services, org: Any, team: dict[str, UUID]
) -> None:
    question, _ = await services.expertise.ask(org.id, team["asker"], QUESTION)
    offers = {o.expert_id: o for o in await services.expertise.route(org.id, question.id)}
    first = offers[team["ana"]]
    with pytest.raises(InvalidInput):
        await services.expertise.suggest_colleague(org.id, first.id, team["ana"], team["asker"])
    offer = await services.expertise.suggest_colleague(
        org.id, first.id, team["ana"], team["dee"], "Dee ran this upgrade"
    )
    assert offer.expert_id == team["dee"]
    assert await notices(services, team["dee"]) == ["expertise.question_offered"]
    assert "expertise.colleague_suggested" in await notices(services, team["asker"])


async def test_an_answer_closes_the_loop_and_feeds_the_experts_evidence(
    services: Services, org: Any, team: dict[str, UUID]
) -> None:
    question, _ = await services.expertise.ask(org.id, team["asker"], QUESTION)
    await services.expertise.route(org.id, question.id)
    before = await services.expertise.profile(org.id, team["dee"])
    answer = await services.expertise.answer(
        org.id, question.id, team["dee"], "kubectl rollout undo deployment/web"
    )
    q, answers, offers = await services.expertise.question(org.id, question.id)
    assert q.status == "answered"
    assert {o.status for o in offers} == {"closed"}
    assert "expertise.question_answered" in await notices(services, team["asker"])
    with pytest.raises(Forbidden):
        await services.expertise.accept_answer(org.id, question.id, answer.id, by=team["ana"])
    await services.expertise.accept_answer(org.id, question.id, answer.id, by=team["asker"])
    assert "expertise.answer_accepted" in await notices(services, team["dee"])
    after = await services.expertise.profile(org.id, team["dee"])
    assert after.evidence["answer"] == before.evidence["answer"] + 1
    assert after.evidence["accepted_answer"] == before.evidence["accepted_answer"] + 1
    assert [a.accepted for a in answers] == [False]
