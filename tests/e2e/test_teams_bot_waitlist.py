"""Waitlists from Teams: a full slot offers its waitlist, joining shows the place in line and
what happens next, and the "seat offered" notice's buttons keep or give back the seat. A booking
with a Teams meeting shows "Join Teams meeting". Over HTTP, replies on a fake Bot Connector."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.delivery import delivery_registry
from app.web import create_app
from app.worker import Worker
from core.people.model import ExternalIdentity
from core.people.service import IdentityHints
from tests.e2e.test_teams_bot_flows import JONAS_AAD, actions, card_reply, press, say
from tests.teams_connector import TENANT, USER_AAD, FakeConnector

PRIYA_AAD = "aaaaaaaa-0000-0000-0000-000000000013"
MEETING = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0"


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
    priya = await services.people.add_person(
        org.id,
        "Priya Raman",
        "priya@contoso.example",
        identities=[ExternalIdentity("teams", TENANT, PRIYA_AAD)],
    )
    clinic = await services.office_hours.create_type(
        org.id,
        jonas.id,
        {
            "title": "Kubernetes clinic",
            "rules": [{"weekday": "tue", "start": "09:00", "end": "09:30"}],
            "slot_minutes": 30,
            "capacity": 1,
        },
    )
    [first, *_] = await services.office_hours.slots(
        org.id, clinic.id, services.clock.now(), services.clock.now() + timedelta(days=8)
    )
    taken = await services.office_hours.book(org.id, clinic.id, priya.id, first.start_utc)
    return org, jonas, taken.booking


@pytest.fixture
async def bot(aiohttp_client: Any, settings: Any, services: Any, world: Any) -> Any:
    return await aiohttp_client(create_app(settings, services))


async def join_the_waitlist(bot: Any, connector: FakeConnector, jonas: Any) -> dict[str, Any]:
    slots = await card_reply(bot, press(connector, "booking.slots", {"host_id": str(jonas.id)}))
    full = next(a for a in actions(slots) if a.get("verb") == "booking.book")
    assert full["title"].endswith("· waitlist")
    return await card_reply(bot, press(connector, "booking.book", full["data"], id="wait-1"))


async def test_joining_a_waitlist_then_giving_the_offered_seat_back(
    bot: Any, connector: FakeConnector, settings: Any, services: Any, world: Any
) -> None:
    org, jonas, taken = world
    # the asker has a chat with the bot (for the notice later)
    await bot.post("/api/messages", json=say(connector, "help"))
    waiting = await join_the_waitlist(bot, connector, jonas)
    assert waiting["body"][0]["text"] == "You're on the waitlist"
    facts = {f["title"]: f["value"] for f in waiting["body"][1]["facts"]}
    assert facts["Your place"] == "1st in line"
    assert "first in line gets it automatically" in waiting["body"][3]["text"]
    assert [a["title"] for a in waiting["actions"]] == ["Leave the waitlist", "My bookings"]

    # Priya cancels: the seat is offered to the asker, proactively, with keep / give back
    await services.office_hours.cancel(org.id, taken.id, "ill", by=taken.person_id)
    before = len(connector.sent)
    async with delivery_registry(settings, services) as registry:
        await Worker(services.uow, registry, services.clock).drain()
    offered = [
        s.cards[0]
        for s in connector.sent[before:]
        if s.cards and s.cards[0]["body"][0]["text"] == "A seat opened up for you"
    ]
    [notice] = offered
    keep, give_back = notice["actions"]
    assert (keep["verb"], give_back["verb"]) == ("booking.claim", "booking.release")

    kept = await card_reply(bot, press(connector, "booking.claim", keep["data"]))
    assert kept["body"][0]["text"] == "You're booked"

    # somebody else cannot give it back for them
    intruder = press(connector, "booking.release", give_back["data"])
    intruder["from"] = {"id": "29:user-2", "name": "Jonas Becker", "aadObjectId": JONAS_AAD}
    resp = await bot.post("/api/messages", json=intruder)
    assert "not yours" in (await resp.json())["value"]

    resp = await bot.post(
        "/api/messages", json=press(connector, "booking.release", give_back["data"])
    )
    assert "goes to the next person in line" in (await resp.json())["value"]
    asker = await services.people.resolve_person(
        ExternalIdentity("teams", TENANT, USER_AAD), IdentityHints()
    )
    [booking] = await services.office_hours.bookings_for_person(org.id, asker.id, upcoming=False)
    assert booking.status == "cancelled"
    # pressing again changes nothing
    resp = await bot.post(
        "/api/messages", json=press(connector, "booking.release", give_back["data"])
    )
    assert "already gave that seat back" in (await resp.json())["value"]
    kept = await bot.post("/api/messages", json=press(connector, "booking.claim", keep["data"]))
    assert "went to the next person" in (await kept.json())["value"]


async def test_leaving_the_waitlist(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    _, jonas, _ = world
    waiting = await join_the_waitlist(bot, connector, jonas)
    leave = next(a for a in actions(waiting) if a["title"] == "Leave the waitlist")
    left = await card_reply(bot, press(connector, leave["verb"], leave["data"]))
    assert left["body"][0]["text"] == "Cancelled"


async def test_a_booking_with_a_teams_meeting_has_a_join_button(
    bot: Any, connector: FakeConnector, services: Any, world: Any
) -> None:
    org, _, taken = world
    async with services.uow() as uow:
        # what the calendar sync records once Graph created the online meeting
        await uow.bookings.record_event(org.id, taken.id, "event-1", MEETING)
        await uow.commit()
    # Priya talks to the bot for the first time
    activity = say(connector, "my bookings")
    activity["from"] = {"id": "29:priya", "name": "Priya Raman", "aadObjectId": PRIYA_AAD}
    await bot.post("/api/messages", json=activity)
    [mine] = connector.messages()[-1].cards
    join = [a for a in actions(mine) if a["type"] == "Action.OpenUrl"]
    assert [(a["title"], a["url"]) for a in join] == [("Join Teams meeting", MEETING)]
