"""Card-first flows over HTTP: find an expert, pick a time, book, list and cancel; ask with
earlier answers first; the message action routes a chat message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from app.web import create_app
from core.people.model import ExternalIdentity
from core.people.service import IdentityHints
from tests.teams_connector import TENANT, USER_AAD, FakeConnector, invoke, playground_activity

OTHER_AAD = "aaaaaaaa-0000-0000-0000-000000000011"
JONAS_AAD = "aaaaaaaa-0000-0000-0000-000000000012"


@pytest.fixture
async def world(services: Any) -> Any:
    org = await services.people.create_organisation("contoso", "Contoso", [TENANT])
    jonas = await services.people.add_person(
        org.id,
        "Jonas Becker",
        "jonas@contoso.example",
        "Europe/Berlin",
        identities=[ExternalIdentity("teams", TENANT, JONAS_AAD)],
    )
    await services.expertise.add_skill(org.id, "Kubernetes")
    await services.expertise.update_profile(
        org.id, jonas.id, headline="Platform team", skills={"Kubernetes": 5}
    )
    await services.office_hours.create_type(
        org.id,
        jonas.id,
        {
            "title": "Kubernetes clinic",
            "rules": [{"weekday": "tue", "start": "09:00", "end": "11:00"}],
            "slot_minutes": 30,
            "interval_minutes": 30,
        },
    )
    return org, jonas


@pytest.fixture
async def bot(aiohttp_client: Any, settings: Any, services: Any, world: Any) -> Any:
    return await aiohttp_client(create_app(settings, services))


def say(connector: FakeConnector, text: str, **changes: Any) -> dict[str, Any]:
    activity = playground_activity(
        "message/personal/False/False", connector.url, text=text, localTimezone="Asia/Kolkata"
    )
    activity.update(changes)
    return activity


def press(
    connector: FakeConnector, verb: str, data: dict[str, Any], **changes: Any
) -> dict[str, Any]:
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}}}
    activity = invoke("adaptiveCard/action", value, connector.url, localTimezone="Asia/Kolkata")
    activity.update(changes)
    return activity


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


async def card_reply(bot: Any, activity: dict[str, Any]) -> dict[str, Any]:
    resp = await bot.post("/api/messages", json=activity)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    return dict(body["value"])


async def test_find_an_expert_then_book_their_office_hours_from_the_cards(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    org, _ = world
    resp = await bot.post("/api/messages", json=say(connector, "find an expert for kubernetes"))
    assert resp.status == 200
    [reply] = connector.messages()
    [experts] = reply.cards
    assert "Jonas Becker" in experts["body"][1]["items"][0]["text"]
    # Tuesday 09:00 in Berlin is 13:30 for a reader in India
    assert "Tue 24 Mar, 13:30" in experts["body"][1]["items"][-2]["text"]
    see_times = next(a for a in actions(experts) if a.get("verb") == "booking.slots")

    slots = await card_reply(bot, press(connector, "booking.slots", see_times["data"]))
    first = next(a for a in actions(slots) if a.get("verb") == "booking.book")
    assert first["title"] == "Tue 24 Mar, 13:30"

    booked = await card_reply(bot, press(connector, "booking.book", first["data"], id="book-1"))
    assert booked["body"][0]["text"] == "You're booked"
    facts = {f["title"]: f["value"] for f in booked["body"][1]["facts"]}
    assert facts == {
        "What": "Kubernetes clinic",
        "With": "Jonas Becker",
        "When": "Tue 24 Mar, 13:30",
    }

    # Teams retries an invoke it did not hear back from in time: still one booking
    again = await card_reply(bot, press(connector, "booking.book", first["data"], id="book-1"))
    assert again["body"][0]["text"] == "You're booked"

    resp = await bot.post("/api/messages", json=say(connector, "my bookings"))
    assert resp.status == 200
    mine = connector.messages()[-1].cards[0]
    listed = [c for c in mine["body"] if c["type"] == "Container"]
    assert len(listed) == 1
    cancel = next(a for a in actions(mine) if a.get("verb") == "booking.cancel")

    # someone else cannot cancel it
    intruder = press(connector, "booking.cancel", cancel["data"])
    intruder["from"] = {"id": "29:user-1", "name": "User 1", "aadObjectId": OTHER_AAD}
    resp = await bot.post("/api/messages", json=intruder)
    body = await resp.json()
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "not yours" in body["value"]
    asker = await services.people.resolve_person(
        ExternalIdentity("teams", TENANT, USER_AAD), IdentityHints()
    )
    [booking] = await services.office_hours.bookings_for_person(org.id, asker.id)
    assert booking.status == "confirmed"

    cancelled = await card_reply(bot, press(connector, "booking.cancel", cancel["data"]))
    assert cancelled["body"][0]["text"] == "Cancelled"


async def test_booking_with_stale_or_forged_card_data_changes_nothing(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    cases = [
        {"type_id": "nope", "start": "2026-03-24T08:00:00+00:00"},
        {"type_id": "6f0c2a3e-8c1d-4b7a-9e2f-3a4b5c6d7e8f", "start": "2026-03-24T08:00:00+00:00"},
        {"start": "tomorrow"},
    ]
    for data in cases:
        resp = await bot.post("/api/messages", json=press(connector, "booking.book", data))
        assert resp.status in (200, 400), data
        body = await resp.json()
        assert body["type"] in (
            "application/vnd.microsoft.error",
            "application/vnd.microsoft.activity.message",
        )
    resp = await bot.post(
        "/api/messages",
        json=press(
            connector, "booking.cancel", {"booking_id": "6f0c2a3e-8c1d-4b7a-9e2f-3a4b5c6d7e8f"}
        ),
    )
    assert (await resp.json())["type"] == "application/vnd.microsoft.activity.message"


async def test_asking_shows_earlier_answers_before_routing(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    resp = await bot.post(
        "/api/messages", json=say(connector, "ask How do I debug a crashing kubernetes pod?")
    )
    assert resp.status == 200
    [card] = connector.messages()[-1].cards
    route = next(a for a in actions(card) if a.get("verb") == "question.route")
    resp = await bot.post("/api/messages", json=press(connector, "question.route", route["data"]))
    body = await resp.json()
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "I asked 1 colleague" in body["value"]


async def test_the_message_action_routes_a_chat_message(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    value = {
        "commandId": "askExperts",
        "commandContext": "message",
        "messagePayload": {
            "id": "1795303475979",
            "body": {
                "contentType": "html",
                "content": "<p>Our <b>kubernetes</b> pods keep crashing after the upgrade, why?</p>",
            },
        },
    }
    resp = await bot.post(
        "/api/messages", json=invoke("composeExtension/submitAction", value, connector.url)
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["task"]["type"] == "message"
    assert "I asked 1 colleague" in body["task"]["value"]


async def test_reschedule_then_rate_the_session_after_it_ended(
    bot: Any, connector: FakeConnector, services: Any, world: Any, clock: Any
) -> None:
    org, jonas = world
    slots = await card_reply(bot, press(connector, "booking.slots", {"host_id": str(jonas.id)}))
    first = next(a for a in actions(slots) if a.get("verb") == "booking.book")
    booked = await card_reply(bot, press(connector, "booking.book", first["data"]))
    move = next(a for a in actions(booked) if a.get("verb") == "booking.reschedule_times")

    times = await card_reply(bot, press(connector, "booking.reschedule_times", move["data"]))
    later = [a for a in actions(times) if a.get("verb") == "booking.reschedule"]
    assert first["title"] not in [a["title"] for a in later]
    moved = await card_reply(bot, press(connector, "booking.reschedule", later[0]["data"]))
    facts = {f["title"]: f["value"] for f in moved["body"][1]["facts"]}
    assert facts["When"] == later[0]["title"]

    resp = await bot.post("/api/messages", json=say(connector, "rate"))
    assert resp.status == 200
    assert "No finished sessions" in connector.messages()[-1].text

    clock.advance(timedelta(days=2))
    await bot.post("/api/messages", json=say(connector, "rate"))
    rate_card = connector.messages()[-1].cards[0]
    rate = next(a for a in actions(rate_card) if a.get("verb") == "booking.rate")
    resp = await bot.post(
        "/api/messages",
        json=press(
            connector, "booking.rate", {**rate["data"], "stars": "4", "comment": "Clear and kind"}
        ),
    )
    assert "Thank you" in (await resp.json())["value"]
    asker = await services.people.resolve_person(
        ExternalIdentity("teams", TENANT, USER_AAD), IdentityHints()
    )
    [booking] = await services.office_hours.bookings_for_person(org.id, asker.id, upcoming=False)
    assert booking.rating == 4


async def test_an_expert_passes_a_routed_question_to_a_colleague(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    org, jonas = world
    priya = await services.people.add_person(org.id, "Priya Raman", "priya@contoso.example")
    await bot.post(
        "/api/messages", json=say(connector, "ask How do I debug a crashing kubernetes pod?")
    )
    route = next(
        a for a in actions(connector.messages()[-1].cards[0]) if a.get("verb") == "question.route"
    )
    await bot.post("/api/messages", json=press(connector, "question.route", route["data"]))
    question_id = route["data"]["question_id"]
    _, _, offers = await services.expertise.question(org.id, UUID(question_id))
    [offer] = offers
    assert offer.expert_id == jonas.id

    def as_jonas(verb: str, data: dict[str, Any]) -> dict[str, Any]:
        activity = press(connector, verb, data)
        activity["from"] = {"id": "29:user-2", "name": "Jonas Becker", "aadObjectId": JONAS_AAD}
        return activity

    resp = await bot.post(
        "/api/messages", json=as_jonas("offer.decline", {"offer_id": str(offer.id)})
    )
    assert "why you decline" in (await resp.json())["value"]
    resp = await bot.post(
        "/api/messages",
        json=as_jonas(
            "offer.suggest", {"offer_id": str(offer.id), "colleague": "nobody@contoso.example"}
        ),
    )
    assert "nobody with" in (await resp.json())["value"]
    resp = await bot.post(
        "/api/messages",
        json=as_jonas(
            "offer.suggest",
            {
                "offer_id": str(offer.id),
                "colleague": "Priya@Contoso.example",
                "reason": "she wrote the runbook",
            },
        ),
    )
    assert "passed the question to Priya Raman" in (await resp.json())["value"]
    _, _, offers = await services.expertise.question(org.id, offer.question_id)
    assert priya.id in {o.expert_id for o in offers}
    # the asker cannot act on an offer made to someone else
    resp = await bot.post(
        "/api/messages", json=press(connector, "offer.accept", {"offer_id": str(offer.id)})
    )
    assert (await resp.json())["type"] == "application/vnd.microsoft.activity.message"


async def test_saying_which_earlier_answer_helped_counts_a_deflection_by_its_source(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    org, jonas = world
    # a colleague asked the same thing earlier and Jonas answered it
    mira = await services.people.add_person(org.id, "Mira Roth", "mira@contoso.example", "UTC")
    earlier, _ = await services.expertise.ask(
        org.id, mira.id, "How do I debug a crashing kubernetes pod?"
    )
    await services.expertise.answer(org.id, earlier.id, jonas.id, "kubectl logs --previous")
    await bot.post(
        "/api/messages", json=say(connector, "ask How do I debug a crashing kubernetes pod?")
    )
    [card] = connector.messages()[-1].cards
    helped = [
        a
        for a in actions(card)
        if a.get("title") == "This answered it" and a["type"] == "Action.Execute"
    ]
    assert [a["data"]["reused_question_id"] for a in helped] == [str(earlier.id)]

    # someone else pressing the asker's button changes nothing
    stranger = press(connector, "question.resolved", helped[0]["data"])
    stranger["from"] = {**stranger["from"], "aadObjectId": JONAS_AAD, "id": "29:jonas"}
    resp = await bot.post("/api/messages", json=stranger)
    assert resp.status == 200
    assert (await services.expertise.deflection_figures(org.id)).deflected == 0

    resp = await bot.post(
        "/api/messages", json=press(connector, "question.resolved", helped[0]["data"])
    )
    body = await resp.json()
    assert "Glad that helped" in body["value"]
    figures = await services.expertise.deflection_figures(org.id)
    assert (figures.deflected, figures.by_question, figures.by_resource) == (1, 1, 0)
