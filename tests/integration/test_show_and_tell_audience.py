"""Coming to watch a show-and-tell: members take an audience place that costs no demo slot,
signing up twice is one place, leaving gives it back; the session's one Outlook event invites
presenters and audience alike, on the in-memory calendar and through the real msgraph-sdk to
the fake Graph."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.graph.client import GraphConfig, build_client
from adapters.graph.freebusy import GraphBusyTimes
from adapters.ics import IcalendarInvitations
from app.communities_links import OfficeHoursSessions
from core.clock import FixedClock
from core.communities.errors import NotAMember
from core.errors import InvalidInput, NotFound
from core.officehours.errors import AlreadyBooked
from core.officehours.service import OfficeHoursService
from core.outbox import OutboxTopic
from core.services import Services
from tests.fakes.fake_graph import FakeGraph, StaticToken
from tests.integration.test_group_session_calendar import (  # noqa: F401 (the fixture)
    HOST,
    Calendar,
    calendar,
    emails,
    settle,
)


@dataclass
class Guild:
    org_id: UUID
    community_id: UUID
    session_id: UUID
    people: dict[str, UUID]
    #: the next session's start
    start: datetime


async def guild(services: Services, org: Any, capacity: int = 2) -> Guild:
    """A community with a weekly show-and-tell (Thursdays 16:00 Berlin) hosted by Jonas; Ana,
    Ben, Cai, Dev and Eli are members, Out is not."""
    host = await services.people.add_person(org.id, "Jonas Becker", HOST, "Europe/Berlin")
    people = {"host": host.id}
    community = await services.communities.create_community(
        org.id, host.id, "GenAI Guild", time_zone="Europe/Berlin"
    )
    for name in ("ana", "ben", "cai", "dev", "eli", "out"):
        person = await services.people.add_person(
            org.id, name.title(), f"{name}@acme.example", "Europe/Berlin"
        )
        people[name] = person.id
        if name != "out":
            await services.communities.join(org.id, community.id, person.id)
    session = await services.communities.start_show_and_tell(
        org.id, community.id, host.id, 3, "16:00", 30, capacity
    )
    (start,) = await services.communities.upcoming_show_and_tell(org.id, community.id, count=1)
    return Guild(org.id, community.id, session, people, start)


async def test_watching_takes_no_demo_slot_and_signing_up_twice_is_one_place(
    services: Services, org: Any, clock: FixedClock
) -> None:
    g = await guild(services, org, capacity=2)
    c = services.communities

    async def attend(who: str, start: datetime | None = None) -> Any:
        return await c.attend_show_and_tell(
            g.org_id, g.community_id, g.people[who], start or g.start
        )

    async def demo(who: str) -> Any:
        return await c.sign_up_demo(g.org_id, g.community_id, g.people[who], g.start, who)

    ben = await attend("ben")
    assert (ben.status, ben.audience, ben.start) == ("confirmed", True, g.start)
    assert (await attend("ben")).booking_id == ben.booking_id  # twice: one place
    await attend("cai")
    # three people watch, yet both demo slots are still free; the third demo waits
    assert [(await demo(w)).status for w in ("ana", "dev", "eli")] == [
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    agenda = await c.agenda(g.org_id, g.community_id, g.start)
    names = {v: k for k, v in g.people.items()}
    assert [names[s.person_id] for s in agenda.demos] == ["ana", "dev"]
    assert [names[s.person_id] for s in agenda.waitlist] == ["eli"]
    assert [names[s.person_id] for s in agenda.audience] == ["ben", "cai"]

    # a presenter is there anyway: attending gives back their demo seat, not a second place
    ana = await attend("ana")
    assert (ana.audience, ana.note) == (False, "ana")
    # someone waiting for a demo slot may watch meanwhile, and moves up when a slot frees
    assert (await attend("eli")).audience
    agenda = await c.agenda(g.org_id, g.community_id, g.start)
    assert [names[s.person_id] for s in agenda.audience] == ["ben", "cai", "eli"]
    await services.office_hours.cancel(g.org_id, agenda.demos[1].booking_id, "busy")
    agenda = await c.agenda(g.org_id, g.community_id, g.start)
    assert [names[s.person_id] for s in agenda.demos] == ["ana", "eli"]
    assert [names[s.person_id] for s in agenda.audience] == ["ben", "cai"]
    # and from the audience onto the agenda: the audience place gives way to the demo seat
    moved = await demo("cai")
    assert (moved.status, moved.audience) == ("waitlisted", False)  # no free slot: both kept
    await services.office_hours.cancel(g.org_id, agenda.demos[0].booking_id, "ill")
    agenda = await c.agenda(g.org_id, g.community_id, g.start)
    assert [names[s.person_id] for s in agenda.demos] == ["eli", "cai"]
    assert [names[s.person_id] for s in agenda.audience] == ["ben"]

    left = await c.leave_show_and_tell(g.org_id, g.community_id, g.people["ben"], g.start)
    assert left is not None and left.status == "cancelled"
    assert await c.leave_show_and_tell(g.org_id, g.community_id, g.people["ben"], g.start) is None
    assert (await c.agenda(g.org_id, g.community_id, g.start)).audience == ()
    again = await attend("ben")  # and back again: a new place
    assert again.booking_id != ben.booking_id and again.status == "confirmed"

    with pytest.raises(NotAMember):
        await attend("out")
    with pytest.raises(InvalidInput, match="not one of this show-and-tell"):
        await attend("dev", g.start + timedelta(minutes=10))
    with pytest.raises(InvalidInput, match="not one of this show-and-tell"):
        await c.leave_show_and_tell(
            g.org_id, g.community_id, g.people["ben"], g.start + timedelta(days=1)
        )
    with pytest.raises(InvalidInput, match="already passed"):
        await attend("dev", g.start - timedelta(days=7))
    with pytest.raises(NotFound):
        await c.attend_show_and_tell(g.org_id, g.session_id, g.people["dev"], g.start)

    # the .ics invitation is the audience member's own
    ics = (await c.show_and_tell_invitation(g.org_id, again.booking_id)).decode()
    assert "BEGIN:VEVENT" in ics and "ben@acme.example" in ics.lower()

    # the agenda still reaches every member, and says how many come to watch
    queued = await c.send_agenda(g.org_id, g.community_id, g.people["host"], g.start)
    assert queued == 6  # the host and five members
    async with services.uow() as uow:
        rows = await uow.outbox.list(limit=10_000)
    agendas = [r.payload for r in rows if r.payload.get("kind") == "show_and_tell_agenda"]
    assert {a["attending"] for a in agendas} == {1}

    # afterwards the host records who was there, the audience included
    clock.set(g.start + timedelta(minutes=40))
    given = await c.record_show_and_tell(
        g.org_id, g.community_id, g.people["host"], g.start, [g.people["eli"], g.people["ben"]]
    )
    assert [names[d.person_id] for d in given] == ["eli"]
    after = await c.agenda(g.org_id, g.community_id, g.start)
    assert [(names[s.person_id], s.attendance) for s in after.audience] == [("ben", "attended")]
    assert [(names[s.person_id], s.attendance) for s in after.demos] == [
        ("eli", "attended"),
        ("cai", "no_show"),
    ]
    assert any(
        r.kind == OutboxTopic.LMS_SCORE and r.payload["booking_id"] == str(again.booking_id)
        for r in await _rows(services)
    )


async def _rows(services: Services) -> list[Any]:
    async with services.uow() as uow:
        return list(await uow.outbox.list(limit=10_000))


async def test_the_sessions_one_event_invites_the_audience_too(
    calendar: Calendar,  # noqa: F811
    services: Services,
    org: Any,
    clock: FixedClock,
) -> None:
    g = await guild(services, org, capacity=2)
    c = services.communities
    await c.attend_show_and_tell(g.org_id, g.community_id, g.people["ben"], g.start)
    await settle(calendar, services, clock)
    # nobody demos yet, and the event exists for the audience alone
    ((event_id, attendees),) = calendar.live().items()
    assert attendees == emails("ben")
    await c.sign_up_demo(g.org_id, g.community_id, g.people["ana"], g.start, "Contract tables")
    await c.attend_show_and_tell(g.org_id, g.community_id, g.people["cai"], g.start)
    await settle(calendar, services, clock)
    assert calendar.live() == {event_id: emails("ana", "ben", "cai")}
    # the host's own event for the session is no clash for later sign-ups
    dev = await c.sign_up_demo(g.org_id, g.community_id, g.people["dev"], g.start, "SQL")
    assert dev.status == "confirmed"
    await settle(calendar, services, clock)
    assert calendar.live() == {event_id: emails("ana", "ben", "cai", "dev")}

    await c.leave_show_and_tell(g.org_id, g.community_id, g.people["ben"], g.start)
    await settle(calendar, services, clock)
    assert calendar.live() == {event_id: emails("ana", "cai", "dev")}
    (seat,) = [
        s
        for s in (await c.agenda(g.org_id, g.community_id, g.start)).audience
        if s.person_id == g.people["cai"]
    ]
    booking = await services.office_hours.get_booking(g.org_id, seat.booking_id)
    assert booking.calendar_event_id == event_id and booking.join_url.startswith("https://")
    # everyone leaves: the one event is cancelled
    for who in ("ana", "dev"):
        (mine,) = [
            s
            for s in (await c.agenda(g.org_id, g.community_id, g.start)).demos
            if s.person_id == g.people[who]
        ]
        await services.office_hours.cancel(g.org_id, mine.booking_id, "changed plans")
    await c.leave_show_and_tell(g.org_id, g.community_id, g.people["cai"], g.start)
    await settle(calendar, services, clock)
    assert calendar.live() == {}


async def test_an_event_held_for_the_audience_alone_blocks_no_demo_sign_up(
    services: Services, org: Any, clock: FixedClock
) -> None:
    """The host's calendar (Graph getSchedule) shows the session's event while only its audience
    holds places: that event is the session itself, not a meeting that takes its time."""
    async with FakeGraph() as graph:
        client = build_client(
            GraphConfig("t", "c", base_url=graph.base_url), credential=StaticToken()
        )
        try:
            office_hours = OfficeHoursService(
                services.uow, clock, GraphBusyTimes(client, services.uow), IcalendarInvitations()
            )
            services.communities.sessions = OfficeHoursSessions(office_hours, services.uow)
            g = await guild(services, org, capacity=2)
            c = services.communities
            await c.attend_show_and_tell(g.org_id, g.community_id, g.people["ben"], g.start)
            # the worker has put the session's event in Outlook: getSchedule shows it as busy
            end = g.start + timedelta(minutes=30)
            graph.busy[HOST] = [
                {
                    "status": "busy",
                    "start": {"dateTime": g.start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                    "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                }
            ]
            assert (await c.upcoming_show_and_tell(g.org_id, g.community_id, count=1)) == [g.start]
            ana = await c.sign_up_demo(g.org_id, g.community_id, g.people["ana"], g.start, "SQL")
            assert ana.status == "confirmed"
            assert graph.rejected == []
        finally:
            await client.close()


async def test_simultaneous_sign_ups_give_one_place_each(services: Services, org: Any) -> None:
    """Several requests for the same person at once (a double click, two devices, the bot and
    the LMS page): one audience place and one demo place, never two."""
    g = await guild(services, org, capacity=3)
    c = services.communities
    # the session's row exists already (a first insert of it would make the others wait)
    await c.attend_show_and_tell(g.org_id, g.community_id, g.people["cai"], g.start)
    watching = await asyncio.gather(
        *(
            c.attend_show_and_tell(g.org_id, g.community_id, g.people["ben"], g.start)
            for _ in range(8)
        )
    )
    assert len({s.booking_id for s in watching}) == 1
    assert all(s.audience and s.status == "confirmed" for s in watching)

    demos = await asyncio.gather(
        *(
            c.sign_up_demo(g.org_id, g.community_id, g.people["ana"], g.start, "RAG demo")
            for _ in range(8)
        ),
        return_exceptions=True,
    )
    placed = [d for d in demos if not isinstance(d, BaseException)]
    assert len(placed) == 1 and placed[0].status == "confirmed"
    assert all(isinstance(d, AlreadyBooked) for d in demos if isinstance(d, BaseException))

    agenda = await c.agenda(g.org_id, g.community_id, g.start)
    names = {v: k for k, v in g.people.items()}
    assert [names[s.person_id] for s in agenda.audience] == ["cai", "ben"]
    assert [names[s.person_id] for s in agenda.demos] == ["ana"]
    # one demo slot taken of three: the other two are still there for others
    assert [
        (await c.sign_up_demo(g.org_id, g.community_id, g.people[w], g.start, w)).status
        for w in ("dev", "eli")
    ] == ["confirmed", "confirmed"]
