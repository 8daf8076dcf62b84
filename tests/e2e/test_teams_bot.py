"""The Teams bot over HTTP: real Teams activities in, replies captured at a fake Bot Connector."""

from __future__ import annotations

from typing import Any

import pytest

from app.web import create_app
from core.people.model import ExternalIdentity
from tests.teams_connector import (
    TENANT,
    USER_AAD,
    FakeConnector,
    invoke,
    playground_activity,
)


@pytest.fixture
async def teams_org(services: Any) -> Any:
    org = await services.people.create_organisation("contoso", "Contoso", [TENANT])
    await services.people.add_person(
        org.id, "Jonas Becker", "jonas@contoso.example", "Europe/Berlin"
    )
    await services.people.add_person(org.id, "Priya Raman", "priya@contoso.example", "Asia/Kolkata")
    return org


@pytest.fixture
async def bot(aiohttp_client: Any, settings: Any, services: Any, teams_org: Any) -> Any:
    return await aiohttp_client(create_app(settings, services))


async def post(bot: Any, activity: dict[str, Any]) -> Any:
    return await bot.post("/api/messages", json=activity)


async def test_installing_the_app_sends_a_welcome_card_and_remembers_the_chat(
    bot: Any, connector: FakeConnector, services: Any, teams_org: Any
) -> None:
    resp = await post(
        bot, playground_activity("installationUpdate/personal/False/False", connector.url)
    )
    assert resp.status == 200
    resp = await post(
        bot, playground_activity("conversationUpdate/personal/False/True", connector.url)
    )
    assert resp.status == 200

    [welcome] = connector.messages()
    assert welcome.conversation_id == "a:fixed-personal-chat"
    [card] = welcome.cards
    assert "welcome to peerlearn" in card["body"][0]["text"]
    verbs = [a["verb"] for a in card["actions"]]
    assert verbs == ["help", "profile"]

    person = await services.people.resolve_person(
        ExternalIdentity("teams", TENANT, USER_AAD), _hints()
    )
    ref = await services.teams.personal_conversation(teams_org.id, person.id)
    assert ref is not None
    assert ref.service_url == connector.url
    assert ref.bot_id == "28:fixed-bot-id"


async def test_adding_the_app_to_a_team_explains_how_to_use_it_there(
    bot: Any, connector: FakeConnector
) -> None:
    activity = playground_activity("installationUpdate/personal/False/False", connector.url)
    activity["conversation"] = {
        "isGroup": True,
        "conversationType": "channel",
        "tenantId": TENANT,
        "id": "19:fixed-general@thread.tacv2",
    }
    resp = await post(bot, activity)
    assert resp.status == 200
    [reply] = connector.messages()
    assert reply.conversation_id == "19:fixed-general@thread.tacv2"
    assert reply.cards[0]["body"][0]["text"] == "peerlearn is here"


async def test_a_typo_in_a_personal_message_still_gets_help(
    bot: Any, connector: FakeConnector
) -> None:
    activity = playground_activity("message/personal/False/False", connector.url, text="hlep")
    resp = await post(bot, activity)
    assert resp.status == 200
    [reply] = connector.messages()
    assert reply.reply_to == activity["id"]
    [card] = reply.cards
    assert card["body"][0]["text"] == "What I can do"


async def test_an_unknown_command_gets_suggestions_not_an_error(
    bot: Any, connector: FakeConnector
) -> None:
    for text in ("xyzzy plugh", "", "a" * 5000):
        resp = await post(
            bot, playground_activity("message/personal/False/False", connector.url, text=text)
        )
        assert resp.status == 200
    replies = [m.text for m in connector.messages()]
    assert "did not understand" in replies[0]
    assert "did not catch any text" in replies[1]
    assert "a lot of text" in replies[2]


async def test_a_channel_mention_is_stripped_and_answered_in_the_thread(
    bot: Any, connector: FakeConnector
) -> None:
    activity = playground_activity(
        "message/channel/False/False", connector.url, text="<at>Helpdesk Bot</at> who is jonas"
    )
    resp = await post(bot, activity)
    assert resp.status == 200
    [reply] = connector.messages()
    assert reply.conversation_id == "19:fixed-general@thread.tacv2;messageid=1795303475979"
    assert reply.text == "", reply.text
    [card] = reply.cards
    names = [c["items"][0]["text"] for c in card["body"] if c["type"] == "Container"]
    assert names == ["Jonas Becker"]
    chat = card["body"][1]["items"][2]["actions"][0]
    assert chat["url"].endswith("users=jonas@contoso.example")


async def test_saving_a_time_zone_from_the_profile_card_replaces_the_card(
    bot: Any, connector: FakeConnector, services: Any, teams_org: Any
) -> None:
    value = {
        "action": {
            "type": "Action.Execute",
            "verb": "profile.set_time_zone",
            "data": {"verb": "profile.set_time_zone", "time_zone": "Asia/Kolkata"},
        },
        "trigger": "manual",
    }
    resp = await post(bot, invoke("adaptiveCard/action", value, connector.url))
    assert resp.status == 200
    body = await resp.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    facts = {f["title"]: f["value"] for f in body["value"]["body"][1]["facts"]}
    assert facts["Time zone"] == "Asia/Kolkata"
    person = await services.people.resolve_person(
        ExternalIdentity("teams", TENANT, USER_AAD), _hints()
    )
    assert person.time_zone == "Asia/Kolkata"
    assert connector.messages() == []


async def test_bad_card_invokes_get_invoke_errors_or_friendly_text_and_change_nothing(
    bot: Any, connector: FakeConnector, services: Any
) -> None:
    cases: list[tuple[Any, int]] = [
        (None, 400),
        ("not an object", 400),
        ({"action": None}, 400),
        ({"action": {"type": "Action.Submit", "verb": "profile"}}, 400),
        ({"action": {"type": "Action.Execute", "data": {}}}, 400),
        ({"action": {"type": "Action.Execute", "verb": "profile", "data": [1, 2]}}, 400),
        (
            {
                "action": {
                    "type": "Action.Execute",
                    "verb": "profile.set_time_zone",
                    "data": {"time_zone": 7},
                }
            },
            400,
        ),
    ]
    for value, status in cases:
        resp = await post(bot, invoke("adaptiveCard/action", value, connector.url))
        assert resp.status == status, value
        body = await resp.json()
        assert body["type"] == "application/vnd.microsoft.error", value

    stale = {"action": {"type": "Action.Execute", "verb": "booking.cancel.v0", "data": {}}}
    resp = await post(bot, invoke("adaptiveCard/action", stale, connector.url))
    body = await resp.json()
    assert resp.status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "out of date" in body["value"]

    mars = {
        "action": {
            "type": "Action.Execute",
            "verb": "profile.set_time_zone",
            "data": {"time_zone": "Mars/Olympus"},
        }
    }
    resp = await post(bot, invoke("adaptiveCard/action", mars, connector.url))
    body = await resp.json()
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "Mars/Olympus" in body["value"]
    person = await services.people.resolve_person(
        ExternalIdentity("teams", TENANT, USER_AAD), _hints()
    )
    assert person.time_zone == "UTC"


async def test_searching_colleagues_from_the_compose_box_returns_cards(
    bot: Any, connector: FakeConnector
) -> None:
    value = {
        "commandId": "searchColleagues",
        "parameters": [{"name": "query", "value": "pri"}],
        "queryOptions": {"skip": 0, "count": 25},
    }
    resp = await post(bot, invoke("composeExtension/query", value, connector.url))
    assert resp.status == 200
    body = await resp.json()
    result = body["composeExtension"]
    assert result["type"] == "result"
    [found] = result["attachments"]
    assert found["preview"]["content"]["title"] == "Priya Raman"
    assert found["content"]["body"][0]["items"][0]["text"] == "Priya Raman"


async def test_the_message_action_reads_the_chat_message(
    bot: Any, connector: FakeConnector
) -> None:
    value = {
        "commandId": "askExperts",
        "commandContext": "message",
        "messagePayload": {
            "id": "1795303475979",
            "body": {
                "contentType": "html",
                "content": "<p>How do we rotate the <b>SAML</b> certificate?</p>",
            },
        },
    }
    resp = await post(bot, invoke("composeExtension/submitAction", value, connector.url))
    assert resp.status == 200
    body = await resp.json()
    assert body["task"]["type"] == "message"
    assert "rotate the SAML certificate" in body["task"]["value"]


async def test_malformed_requests_are_refused_with_4xx(bot: Any, connector: FakeConnector) -> None:
    resp = await bot.post(
        "/api/messages", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    resp = await bot.post("/api/messages", data=b"hello", headers={"Content-Type": "text/plain"})
    assert resp.status == 415
    resp = await bot.post("/api/messages", json=[1, 2])
    assert resp.status == 400
    resp = await bot.post("/api/messages", json={"type": "message", "text": "hi"})
    assert resp.status == 400
    resp = await bot.post(
        "/api/messages", data=b"x" * (300 * 1024), headers={"Content-Type": "application/json"}
    )
    assert resp.status == 413
    assert connector.sent == []


async def test_an_unknown_tenant_is_told_to_ask_an_admin(
    bot: Any, connector: FakeConnector
) -> None:
    activity = playground_activity("message/personal/False/False", connector.url, text="help")
    activity["conversation"]["tenantId"] = "99999999-0000-0000-0000-000000000000"
    activity["channelData"]["tenant"]["id"] = "99999999-0000-0000-0000-000000000000"
    resp = await post(bot, activity)
    assert resp.status == 200
    [reply] = connector.messages()
    assert "not connected to peerlearn" in reply.text


def _hints() -> Any:
    from core.people.service import IdentityHints

    return IdentityHints(name="Test Admin")


async def test_a_new_time_zone_in_teams_reaches_the_profile_right_away(
    bot: Any, connector: FakeConnector, services: Any
) -> None:
    for zone_name in ("Europe/Berlin", "Asia/Tokyo"):
        activity = playground_activity(
            "message/personal/False/False", connector.url, text="profile", localTimezone=zone_name
        )
        resp = await post(bot, activity)
        assert resp.status == 200
        facts = {
            f["title"]: f["value"] for f in connector.messages()[-1].cards[0]["body"][1]["facts"]
        }
        assert facts["Time zone"].replace("\\", "") == zone_name
    person = await services.people.resolve_person(
        ExternalIdentity("teams", TENANT, USER_AAD), _hints()
    )
    assert person.time_zone == "Asia/Tokyo"


async def test_the_message_action_prefers_the_question_as_edited_in_the_dialog(
    bot: Any, connector: FakeConnector
) -> None:
    value = {
        "commandId": "askExperts",
        "commandContext": "message",
        "data": {"question": "Who owns the SAML certificate rotation runbook?"},
        "messagePayload": {
            "id": "1",
            "body": {"contentType": "html", "content": "<p>ugh, saml again</p>"},
        },
    }
    resp = await post(bot, invoke("composeExtension/submitAction", value, connector.url))
    body = await resp.json()
    assert "SAML certificate rotation runbook" in body["task"]["value"]
