"""The worker re-routes unanswered questions on its own, at the configured interval of the clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from app.settings import Settings
from app.sweeper import RoutingSweeper, sweeper_for
from core.clock import FixedClock
from core.services import Services
from tests.integration.expertise_world import (
    ROUTED_QUESTION,
    routing_team,
)

QUESTION = ROUTED_QUESTION


@pytest.fixture
async def team(services: Services, org: Any) -> dict[str, UUID]:
    return await routing_team(services, org)


async def live_offers(services: Services, org: Any, question_id: UUID) -> set[UUID]:
    _, _, offers = await services.expertise.question(org.id, question_id)
    return {o.expert_id for o in offers if o.status == "offered"}


async def test_the_sweep_runs_once_per_interval_and_moves_timed_out_questions_on(
    services: Services, org: Any, team: dict[str, UUID], clock: FixedClock
) -> None:
    sweeper = RoutingSweeper(services.expertise, clock, timedelta(minutes=5))
    question, _ = await services.expertise.ask(org.id, team["asker"], QUESTION)
    await services.expertise.route(org.id, question.id)
    started = clock.now()

    assert await sweeper.tick() == 0  # the first tick sweeps at once: nothing is due yet
    assert sweeper.next_due == started + timedelta(minutes=5)
    clock.advance(timedelta(minutes=4, seconds=59))
    assert await sweeper.tick() is None  # not time yet
    clock.advance(timedelta(seconds=1))
    assert await sweeper.tick() == 0

    # the offers time out after 4 hours: the next scheduled sweep (not an earlier tick) moves on
    clock.set(started + timedelta(hours=4, minutes=1))
    assert await sweeper.tick() == 2
    assert await live_offers(services, org, question.id) == {team["cy"], team["dee"]}
    clock.advance(timedelta(minutes=1))
    assert await sweeper.tick() is None
    assert await live_offers(services, org, question.id) == {team["cy"], team["dee"]}


async def test_the_running_sweeper_reroutes_without_anyone_calling_it(
    services: Services, org: Any, team: dict[str, UUID], clock: FixedClock
) -> None:
    question, _ = await services.expertise.ask(org.id, team["asker"], QUESTION)
    await services.expertise.route(org.id, question.id)
    clock.advance(timedelta(hours=4, minutes=1))
    sweeper = sweeper_for(60, services.expertise, clock)
    assert sweeper is not None
    stop = asyncio.Event()
    task = asyncio.create_task(sweeper.run(stop, poll_seconds=0.01))
    for _ in range(500):
        if await live_offers(services, org, question.id) == {team["cy"], team["dee"]}:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert await live_offers(services, org, question.id) == {team["cy"], team["dee"]}


def test_the_interval_is_a_setting_and_zero_turns_the_sweep_off(clock: FixedClock) -> None:
    assert Settings.from_env({}).routing_sweep_seconds == 60
    assert (
        Settings.from_env({"PEERLEARN_ROUTING_SWEEP_SECONDS": "300"}).routing_sweep_seconds == 300
    )
    assert Settings.from_env({"PEERLEARN_ROUTING_SWEEP_SECONDS": "0"}).routing_sweep_seconds == 0
    with pytest.raises(ValueError, match="PEERLEARN_ROUTING_SWEEP_SECONDS"):
        Settings.from_env({"PEERLEARN_ROUTING_SWEEP_SECONDS": "often"})
    with pytest.raises(ValueError, match="negative"):
        Settings.from_env({"PEERLEARN_ROUTING_SWEEP_SECONDS": "-5"})
    assert sweeper_for(0, None, clock) is None  # type: ignore[arg-type]


async def test_two_workers_sweeping_at_once_route_a_question_onwards_once(
    services: Services, org: Any, team: dict[str, UUID], clock: FixedClock
) -> None:
    question, _ = await services.expertise.ask(org.id, team["asker"], QUESTION)
    await services.expertise.route(org.id, question.id)
    clock.advance(timedelta(hours=4, minutes=1))
    first, second = await asyncio.gather(services.expertise.sweep(), services.expertise.sweep())
    assert first + second == 2
    _, _, offers = await services.expertise.question(org.id, question.id)
    assert sorted(o.status for o in offers) == ["expired", "expired", "offered", "offered"]
