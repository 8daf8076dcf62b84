"""`ask` in a channel: the question remembers its thread, and the expert's answer (from the
bot's request card or from the API) is posted back as a reply in that thread. Experts see the
questions routed to them ("my requests") and answer from the card. Over HTTP with real Teams
channel activity JSON; proactive sends land on a local fake Bot Connector."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from app.delivery import delivery_registry
from app.web import create_app
from app.worker import Worker
from core.outbox import OutboxTopic
from core.people.model import ExternalIdentity
from tests.e2e.test_teams_bot_flows import JONAS_AAD, actions, card_reply, press, say
from tests.teams_connector import TENANT, FakeConnector, invoke, playground_activity

THREAD = "19:fixed-general@thread.tacv2;messageid=1795303475979"
QUESTION = "How do I debug a crashing kubernetes pod after the upgrade?"


@pytest.fixture
async def world(services: Any) -> Any:
    org = await services.people.create_organisation("contoso", "Contoso", [TENANT])
    jonas = await services.people.add_person(
        org.id,
        "Jonas <Becker>",
        "jonas@contoso.example",
        "Europe/Berlin",
        identities=[ExternalIdentity("teams", TENANT, JONAS_AAD)],
    )
    await services.expertise.add_skill(org.id, "Kubernetes")
    await services.expertise.update_profile(org.id, jonas.id, skills={"Kubernetes": 5})
    return org, jonas


@pytest.fixture
async def bot(aiohttp_client: Any, settings: Any, services: Any, world: Any) -> Any:
    return await aiohttp_client(create_app(settings, services))


def in_channel(connector: FakeConnector, text: str, **changes: Any) -> dict[str, Any]:
    """A channel message that @mentions the bot, as Teams sends it."""
    return playground_activity(
        "message/channel/False/False",
        connector.url,
        text=f"<at>Helpdesk Bot</at> {text}",
        **changes,
    )


def as_jonas(activity: dict[str, Any]) -> dict[str, Any]:
    activity["from"] = {"id": "29:user-2", "name": "Jonas Becker", "aadObjectId": JONAS_AAD}
    activity["conversation"] = {**activity["conversation"], "id": "a:jonas-personal"}
    return activity


async def ask_in_channel(bot: Any, connector: FakeConnector, **changes: Any) -> str:
    """Ask in the channel, then press "ask the experts" on the card the bot posted there."""
    resp = await bot.post("/api/messages", json=in_channel(connector, f"ask {QUESTION}", **changes))
    assert resp.status == 200
    reply = connector.messages()[-1]
    route = next(a for a in actions(reply.cards[0]) if a.get("verb") == "question.route")
    press_in_channel = press(connector, "question.route", route["data"])
    press_in_channel["conversation"] = in_channel(connector, "")["conversation"]
    resp = await bot.post("/api/messages", json=press_in_channel)
    assert "I asked 1 colleague" in (await resp.json())["value"]
    return str(route["data"]["question_id"])


async def drain(settings: Any, services: Any) -> Any:
    async with delivery_registry(settings, services) as registry:
        return await Worker(services.uow, registry, services.clock).drain()


async def test_an_answer_from_the_request_card_is_posted_in_the_channel_thread(
    bot: Any, connector: FakeConnector, settings: Any, services: Any, world: Any
) -> None:
    org, jonas = world
    question_id = await ask_in_channel(bot, connector)
    # the bot's reply to the question went into the thread it was asked in
    assert connector.messages()[0].conversation_id == THREAD

    # Jonas opens his requests in his chat with the bot and answers from the card
    resp = await bot.post("/api/messages", json=as_jonas(say(connector, "my requests")))
    assert resp.status == 200
    [requests] = connector.messages()[-1].cards
    assert requests["body"][0]["text"] == "Questions for you"
    open_ = next(a for a in actions(requests) if a.get("verb") == "requests.open")
    assert open_["data"]["question_id"] == question_id
    request = await card_reply(bot, as_jonas(press(connector, "requests.open", open_["data"])))
    facts = {f["title"]: f["value"] for f in request["body"][1]["facts"]}
    assert facts["Asked by"] == "Test Admin"
    assert facts["Status"] == "waiting for you"
    send = next(a for a in actions(request) if a.get("verb") == "offer.answer")

    # an empty answer is refused kindly; someone else cannot answer through Jonas's offer
    resp = await bot.post(
        "/api/messages", json=as_jonas(press(connector, "offer.answer", send["data"]))
    )
    assert "type your answer" in (await resp.json())["value"]
    resp = await bot.post(
        "/api/messages", json=press(connector, "offer.answer", {**send["data"], "answer": "x"})
    )
    assert "not routed to you" in (await resp.json())["value"]

    answer = "Run *kubectl describe pod* and check the events; OOMKilled means raise the limit."
    resp = await bot.post(
        "/api/messages",
        json=as_jonas(press(connector, "offer.answer", {**send["data"], "answer": answer})),
    )
    assert "in the channel where it was asked" in (await resp.json())["value"]
    question, answers, _ = await services.expertise.question(org.id, UUID(question_id))
    assert question.status == "answered" and answers[0].author_id == jonas.id

    before = len(connector.sent)
    stats = await drain(settings, services)
    assert stats.done >= 1
    in_thread = [s for s in connector.sent[before:] if s.conversation_id == THREAD]
    [posted] = in_thread
    # a proactive reply to the thread's root message, in the `…;messageid=<root>` conversation
    assert posted.method == "POST" and posted.reply_to == "1795303475979"
    [card] = posted.cards
    texts = [b.get("text", "") for b in card["body"]]
    assert texts[0] == "Answered"
    assert "How do I debug a crashing kubernetes pod" in texts[1]
    assert "\\*kubectl describe pod\\*" in texts[2]  # user text stays literal
    assert texts[3] == "Answer from Jonas <Becker\\>"

    # the routed-question notice in Jonas's chat opens the same request card to answer it
    [offer] = [
        s.cards[0]
        for s in connector.sent[before:]
        if s.conversation_id == "a:jonas-personal" and s.cards
    ]
    answer_it = next(a for a in actions(offer) if a.get("verb") == "requests.open")
    assert answer_it["data"]["question_id"] == question_id

    # the request is gone from Jonas's list
    await bot.post("/api/messages", json=as_jonas(say(connector, "my requests")))
    [requests] = connector.messages()[-1].cards
    assert "Nothing is waiting for you" in requests["body"][1]["text"]


async def test_an_answer_through_the_api_reaches_a_thread_started_by_the_question(
    bot: Any, connector: FakeConnector, settings: Any, services: Any, world: Any
) -> None:
    org, jonas = world
    # a new channel post: Teams names the channel only; the post's own id roots the thread
    channel = {
        "isGroup": True,
        "conversationType": "channel",
        "tenantId": TENANT,
        "id": "19:fixed-general@thread.tacv2",
    }
    question_id = await ask_in_channel(bot, connector, conversation=channel, id="1795300000001")
    thread = await services.teams.thread_for(org.id, UUID(question_id))
    assert thread is not None
    assert (
        thread.conversation.conversation_id
        == "19:fixed-general@thread.tacv2;messageid=1795300000001"
    )
    assert thread.root_message_id == "1795300000001"

    _, secret = await services.people.create_api_key(org.id, "tests")
    resp = await bot.post(
        f"/api/v1/questions/{question_id}/answers",
        json={"author_id": str(jonas.id), "text": "Check the pod's events first."},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert resp.status == 201, await resp.text()
    before = len(connector.sent)
    await drain(settings, services)
    [posted] = [
        s
        for s in connector.sent[before:]
        if s.conversation_id == "19:fixed-general@thread.tacv2;messageid=1795300000001"
    ]
    assert "Check the pod's events first." in posted.cards[0]["body"][2]["text"]


async def test_a_question_asked_in_personal_chat_has_no_thread_reply(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    org, jonas = world
    await bot.post("/api/messages", json=say(connector, f"ask {QUESTION}"))
    route = next(
        a for a in actions(connector.messages()[-1].cards[0]) if a.get("verb") == "question.route"
    )
    question_id = UUID(route["data"]["question_id"])
    assert await services.teams.thread_for(org.id, question_id) is None
    await services.expertise.answer(org.id, question_id, jonas.id, "Look at the events.")
    async with services.uow() as uow:
        rows = await uow.outbox.list(org.id)
    assert OutboxTopic.TEAMS_THREAD_REPLY not in {r.kind for r in rows}


async def test_a_question_asked_in_a_group_chat_is_answered_in_that_chat(
    bot: Any, connector: FakeConnector, settings: Any, services: Any, world: Any
) -> None:
    org, jonas = world
    group = {
        "isGroup": True,
        "conversationType": "groupChat",
        "tenantId": TENANT,
        "id": "19:fixed-group@thread.v2",
    }
    question_id = await ask_in_channel(bot, connector, conversation=group)
    thread = await services.teams.thread_for(org.id, UUID(question_id))
    assert thread is not None
    assert thread.conversation.conversation_type == "groupChat"
    assert thread.conversation.conversation_id == "19:fixed-group@thread.v2"
    await services.expertise.answer(org.id, UUID(question_id), jonas.id, "Events first.")
    before = len(connector.sent)
    await drain(settings, services)
    [posted] = [
        s for s in connector.sent[before:] if s.conversation_id == "19:fixed-group@thread.v2"
    ]
    assert "Events first." in posted.cards[0]["body"][2]["text"]


async def test_a_card_action_in_a_channel_without_a_thread_keeps_the_answer_private(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    """An invoke names no message of its own: without a thread id or the card's message id
    there is no thread to post to, so the answer goes to the asker only."""
    org, _ = world
    activity = press(connector, "question.ask", {"text": QUESTION})
    activity["conversation"] = {
        "isGroup": True,
        "conversationType": "channel",
        "tenantId": TENANT,
        "id": "19:fixed-general@thread.tacv2",
    }
    activity.pop("replyToId", None)
    card = await card_reply(bot, activity)
    route = next(a for a in actions(card) if a.get("verb") == "question.route")
    assert await services.teams.thread_for(org.id, UUID(route["data"]["question_id"])) is None


async def test_ask_the_experts_on_a_channel_reply_brings_the_answer_back_to_its_thread(
    bot: Any, connector: FakeConnector, settings: Any, services: Any, world: Any
) -> None:
    org, jonas = world
    # "Ask the experts" used on a reply in a channel thread: the reply's root is the thread
    channel = in_channel(connector, "")["conversation"]
    channel["id"] = "19:fixed-general@thread.tacv2"
    value = {
        "commandId": "askExperts",
        "commandContext": "message",
        "messagePayload": {
            "id": "1795303479999",
            "replyToId": "1795303475979",
            "body": {"contentType": "html", "content": f"<p>{QUESTION}</p>"},
        },
    }
    activity = invoke("composeExtension/submitAction", value, connector.url, conversation=channel)
    resp = await bot.post("/api/messages", json=activity)
    body = await resp.json()
    assert "You will hear back in this conversation" in body["task"]["value"]
    # it was routed to Jonas, the one Kubernetes expert
    [(_, question)] = await services.expertise.requests_for(org.id, jonas.id)
    assert question.title == QUESTION
    thread = await services.teams.thread_for(org.id, question.id)
    assert thread is not None and thread.conversation.conversation_id == THREAD

    await services.expertise.answer(org.id, question.id, jonas.id, "Look at the pod events.")
    before = len(connector.sent)
    await drain(settings, services)
    [posted] = [s for s in connector.sent[before:] if s.conversation_id == THREAD]
    assert posted.reply_to == "1795303475979"
    assert "Look at the pod events." in posted.cards[0]["body"][2]["text"]
