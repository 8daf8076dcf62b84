"""A community gets a Teams channel through Graph: asked for by a facilitator (API) or an admin
(CLI), created by the worker against the fake Graph, kept on the community, never twice."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from app.cli import cli
from app.delivery import delivery_registry
from app.settings import Settings
from app.worker import Worker, WorkerConfig
from core.clock import FixedClock
from core.communities.teams_channel import channel_display_name
from core.delivery import RetryPolicy
from core.outbox import OutboxTopic
from core.services import Services
from tests.fakes.fake_graph import FakeGraph, StaticToken

TEAM = "6c1f1e1a-2b5d-4c1e-9a57-3f0d8e1b2c44"
POLICY = RetryPolicy(max_attempts=12, base=timedelta(seconds=5), cap=timedelta(minutes=2))


@asynccontextmanager
async def graph_worker(
    services: Services, graph: FakeGraph, **config: Any
) -> AsyncIterator[Worker]:
    settings = Settings(database_url="sqlite://:memory:", graph_base_url=graph.base_url)
    async with delivery_registry(settings, services, graph_credential=StaticToken()) as registry:
        config.setdefault("policy", POLICY)
        yield Worker(
            services.uow, registry, services.clock, WorkerConfig(**config), rng=random.Random(5)
        )


async def settle(worker: Worker, services: Services, clock: FixedClock) -> None:
    for _ in range(30):
        await worker.drain()
        async with services.uow() as uow:
            rows = [r for r in await uow.outbox.list(limit=1000) if r.kind == "teams.channel"]
        if all(r.status == "done" for r in rows):
            return
        clock.advance(timedelta(minutes=3))
    raise AssertionError([(r.status, r.last_error) for r in rows])


async def guild(services: Services, org: Any) -> tuple[Any, Any, Any]:
    owner = await services.people.add_person(org.id, "Ana Owner", "ana@acme.example", "UTC")
    member = await services.people.add_person(org.id, "Ben Member", "ben@acme.example", "UTC")
    community = await services.communities.create_community(
        org.id, owner.id, "GenAI Guild: prompts & wins", "Share prompts, tips and wins"
    )
    await services.communities.join(org.id, community.id, member.id)
    return community, owner, member


async def test_a_facilitator_asks_and_the_worker_creates_one_channel_kept_on_the_community(
    api: Any, services: Services, org: Any, clock: FixedClock
) -> None:
    community, owner, member = await guild(services, org)
    url = f"/api/v1/communities/{community.id}/teams-channel"

    refused = await api.post(
        url, json={"team_id": TEAM}, headers={"X-Acting-Person": str(member.id)}
    )
    assert refused.status == 403, await refused.text()
    bad = await api.post(
        url, json={"team_id": "../../me"}, headers={"X-Acting-Person": str(owner.id)}
    )
    assert bad.status == 400 and "GUID" in (await bad.json())["error"]["message"]

    asked = await api.post(url, json={"team_id": TEAM}, headers={"X-Acting-Person": str(owner.id)})
    assert asked.status == 202, await asked.text()
    # Teams refuses ':' and '&' in channel names: the name is made valid before it is sent
    assert (await asked.json())["display_name"] == "GenAI Guild prompts wins"
    # asked twice before the worker ran: still one channel
    again = await api.post(url, json={"team_id": TEAM})
    assert again.status == 202

    async with FakeGraph() as graph, graph_worker(services, graph) as worker:
        graph.fail_next(2, 503, "")
        await settle(worker, services, clock)
    (channel,) = graph.channels[TEAM]
    assert channel["displayName"] == "GenAI Guild prompts wins"
    assert channel["description"] == "Share prompts, tips and wins"
    assert graph.rejected == []

    shown = await (await api.get(f"/api/v1/communities/{community.id}")).json()
    view = shown.get("community", shown)
    assert view["teams_channel_id"] == channel["id"]
    assert view["teams_channel_url"] == channel["webUrl"]
    linked = await api.post(url, json={"team_id": TEAM})
    assert linked.status == 409


async def test_a_replayed_create_whose_answer_was_lost_finds_the_channel_by_name(
    services: Services, org: Any, clock: FixedClock
) -> None:
    community, owner, _ = await guild(services, org)
    await services.communities.request_teams_channel(org.id, community.id, owner.id, TEAM)
    async with (
        FakeGraph() as graph,
        graph_worker(services, graph, handler_timeout=0.3, lease=timedelta(seconds=30)) as worker,
    ):
        # the listing answers at once, the create is made but answers too late: retried
        graph.faults.script.extend([("slow", 0), ("slow", 0.6)])
        first = await worker.drain()
        assert first.retried == 1
        await asyncio.sleep(0.5)
        clock.advance(timedelta(minutes=5))
        await settle(worker, services, clock)
    assert len(graph.channels[TEAM]) == 1
    view = await services.communities.get_community(org.id, community.id)
    assert view.community.teams_channel_id == graph.channels[TEAM][0]["id"]


def test_an_admin_asks_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'demo.db'}"

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--database-url", db, *args], catch_exceptions=False)
        return result.exit_code, result.output

    assert run("demo")[0] == 0
    code, out = run("communities", "ls", "--org", "northwind")
    guild_id = next(line.split()[0] for line in out.splitlines() if "GenAI Guild" in line)
    code, out = run(
        "communities", "teams-channel", guild_id, "--org", "northwind", "--team-id", TEAM
    )
    assert code == 0, out
    assert "requested channel 'GenAI Guild'" in out
    code, out = run("outbox", "ls", "--status", "pending")
    assert OutboxTopic.TEAMS_CHANNEL in out
    code, out = run(
        "communities", "teams-channel", guild_id, "--org", "northwind", "--team-id", "nope"
    )
    assert code != 0 and "GUID" in out


def test_channel_names_follow_teams_rules() -> None:
    assert channel_display_name("  _R&D: <AI>/ML?  ") == "R D AI ML"
    assert channel_display_name("x" * 80) == "x" * 50
    assert channel_display_name("Platform team.") == "Platform team"
