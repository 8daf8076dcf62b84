"""Communities and expert tools over HTTP: join from a card, share a tip, search the library,
link a channel; skills, pause, load and office hours from cards."""

from __future__ import annotations

from typing import Any

import pytest

from app.web import create_app
from bot import notices
from core.people.model import ExternalIdentity
from core.people.service import IdentityHints
from tests.e2e.test_teams_bot_flows import actions, card_reply, press, say
from tests.teams_connector import TENANT, USER_AAD, FakeConnector, playground_activity


@pytest.fixture
async def world(services: Any) -> Any:
    org = await services.people.create_organisation("contoso", "Contoso", [TENANT])
    me = await services.people.resolve_person(
        ExternalIdentity("teams", TENANT, USER_AAD), IdentityHints(name="Test Admin")
    )
    owner = await services.people.add_person(org.id, "Hannah Schmidt", "hannah@contoso.example")
    guild = await services.communities.create_community(
        org.id, owner.id, "Platform guild", purpose="Kubernetes, CI and the paved road"
    )
    await services.communities.create_community(
        org.id, me.id, "Data nerds", purpose="SQL and dashboards"
    )
    return org, me, guild


@pytest.fixture
async def bot(aiohttp_client: Any, settings: Any, services: Any, world: Any) -> Any:
    return await aiohttp_client(create_app(settings, services))


async def said(bot: Any, connector: FakeConnector, text: str) -> Any:
    resp = await bot.post("/api/messages", json=say(connector, text))
    assert resp.status == 200
    return connector.messages()[-1]


async def test_join_a_community_from_the_list_share_a_tip_and_find_it(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    _org, _me, guild = world
    listing = (await said(bot, connector, "comunities")).cards[0]
    join = next(a for a in actions(listing) if a.get("verb") == "community.join")
    assert join["data"]["community_id"] == str(guild.id)
    after = await card_reply(bot, press(connector, "community.join", join["data"]))
    assert "member" in after["body"][1]["items"][1]["text"]

    form = (await said(bot, connector, "share a tip")).cards[0]
    share = next(a for a in actions(form) if a.get("verb") == "community.share")
    data = {
        **share["data"],
        "community_id": str(guild.id),
        "kind": "tip",
        "title": "Use kubectl debug for distroless pods",
        "body": "kubectl debug -it pod --image=busybox attaches a shell.",
    }
    resp = await bot.post("/api/messages", json=press(connector, "community.share", data))
    assert "Shared" in (await resp.json())["value"]

    found = (await said(bot, connector, "search library distroless")).cards[0]
    assert "kubectl debug" in found["body"][1]["items"][0]["text"]


async def test_linking_a_channel_is_for_the_communitys_owner_in_a_channel(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    org, _me, _guild = world
    reply = await said(bot, connector, "link community Data nerds")
    assert "team channel" in reply.text

    def in_channel(text: str) -> dict[str, Any]:
        return playground_activity(
            "message/channel/False/False", connector.url, text=f"<at>Helpdesk Bot</at> {text}"
        )

    resp = await bot.post("/api/messages", json=in_channel("link community Data nerds"))
    assert resp.status == 200
    assert "now linked to **Data nerds**" in connector.messages()[-1].text
    views = {
        v.community.name: v.community for v in await services.communities.list_communities(org.id)
    }
    assert views["Data nerds"].teams_channel_id == "19:fixed-general@thread.tacv2"

    await bot.post("/api/messages", json=in_channel("link community Platform guild"))
    assert "now linked" not in connector.messages()[-1].text
    views = {
        v.community.name: v.community for v in await services.communities.list_communities(org.id)
    }
    assert views["Platform guild"].teams_channel_id is None


async def test_an_expert_manages_skills_pause_and_office_hours_from_cards(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    org, me, _ = world
    skills = (await said(bot, connector, "my skills")).cards[0]
    add = next(a for a in actions(skills) if a.get("verb") == "skills.add")
    card = await card_reply(
        bot, press(connector, "skills.add", {**add["data"], "skill": "Kubernetes", "level": "4"})
    )
    assert "Kubernetes · level 4" in str(card)
    remove = next(a for a in actions(card) if a.get("verb") == "skills.remove")
    card = await card_reply(bot, press(connector, "skills.remove", remove["data"]))
    assert "Kubernetes" not in str(card["body"][1:3])

    reply = await said(bot, connector, "pause 2 weeks")
    assert "Paused until Mon 06 Apr 2026" in reply.text
    view = await services.expertise.profile(org.id, me.id)
    assert view.profile.paused_until is not None
    assert "Welcome back" in (await said(bot, connector, "resume")).text
    assert (await services.expertise.profile(org.id, me.id)).profile.paused_until is None
    assert "pause 2 weeks" in (await said(bot, connector, "pause forever")).text

    hours = (await said(bot, connector, "my office hours")).cards[0]
    add = next(a for a in actions(hours) if a.get("verb") == "hours.add")
    form = {
        **add["data"],
        "title": "Kubernetes clinic",
        "weekday": "thu",
        "start": "14:00",
        "end": "15:30",
    }
    card = await card_reply(bot, press(connector, "hours.add", form))
    assert "Thu 14:00–15:30" in str(card)
    pause = next(a for a in actions(card) if a.get("verb") == "hours.pause")
    card = await card_reply(bot, press(connector, "hours.pause", pause["data"]))
    assert "paused" in card["body"][1]["items"][0]["text"]
    [t] = await services.office_hours.list_types(org.id, me.id, include_inactive=True)
    assert t.paused

    week = (await said(bot, connector, "my load")).cards[0]
    facts = {f["title"]: f["value"] for f in week["body"][1]["facts"]}
    assert facts["Routed questions"].startswith("0 of")


async def test_someone_elses_office_hours_cannot_be_paused(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    org, _me, _guild = world
    owner = await services.people.add_person(org.id, "Jonas Becker", "jonas@contoso.example")
    t = await services.office_hours.create_type(
        org.id,
        owner.id,
        {"title": "Clinic", "rules": [{"weekday": "tue", "start": "09:00", "end": "10:00"}]},
    )
    resp = await bot.post(
        "/api/messages", json=press(connector, "hours.pause", {"type_id": str(t.id)})
    )
    body = await resp.json()
    assert "not yours" in body["value"]
    assert not (await services.office_hours.get_type(org.id, t.id)).paused


async def test_the_show_and_tell_agenda_lets_a_member_come_and_watch(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    org, me, guild = world
    c = services.communities
    await c.join(org.id, guild.id, me.id)
    await c.start_show_and_tell(org.id, guild.id, guild.created_by, 3, "16:00", 30, 1)
    (start,) = await c.upcoming_show_and_tell(org.id, guild.id, count=1)
    await c.send_agenda(org.id, guild.id, guild.created_by, start)
    async with services.uow() as uow:
        rows = await uow.outbox.list(limit=1000)
    (payload,) = [
        r.payload
        for r in rows
        if r.payload.get("kind") == "show_and_tell_agenda" and r.payload["person_id"] == str(me.id)
    ]
    agenda = notices.render(payload, me.time_zone)
    buttons = {a["verb"]: a["data"] for a in actions(agenda) if a["type"] == "Action.Execute"}
    assert set(buttons) == {"showandtell.attend", "showandtell.leave"}

    for _ in range(2):  # pressing twice keeps one place
        resp = await bot.post(
            "/api/messages",
            json=press(connector, "showandtell.attend", buttons["showandtell.attend"]),
        )
        assert "You are coming to watch the show-and-tell" in (await resp.json())["value"]
    seen = await c.agenda(org.id, guild.id, start)
    assert [s.person_id for s in seen.audience] == [me.id] and seen.demos == ()

    resp = await bot.post(
        "/api/messages", json=press(connector, "showandtell.leave", buttons["showandtell.leave"])
    )
    assert "you no longer attend" in (await resp.json())["value"]
    resp = await bot.post(
        "/api/messages", json=press(connector, "showandtell.leave", buttons["showandtell.leave"])
    )
    assert "nothing changed" in (await resp.json())["value"]
    assert (await c.agenda(org.id, guild.id, start)).audience == ()

    # a forged start is refused with a clear message and changes nothing
    forged = {**buttons["showandtell.attend"], "start": "2026-03-26T15:07:00+00:00"}
    resp = await bot.post("/api/messages", json=press(connector, "showandtell.attend", forged))
    assert resp.status == 200
    assert "not one of this show-and-tell's sessions" in (await resp.json())["value"]
    assert (await c.agenda(org.id, guild.id, start)).audience == ()
