"""Outbox rows delivered to the fake Graph by the real worker, the real msgraph-sdk and the real
database, with faults injected: nothing lost, nothing done twice."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from app.delivery import delivery_registry
from app.settings import Settings
from app.worker import DrainStats, Worker, WorkerConfig
from core.calendar import Attendee, CalendarEventSpec
from core.clock import FixedClock
from core.delivery import HandlerRegistry, Result, RetryPolicy
from core.outbox import OutboxMessage, OutboxTopic
from core.people.model import ExternalIdentity
from core.services import Services
from tests.fakes.fake_graph import FakeGraph, Faults, StaticToken

SME = "priya.raman@acme.example"
POLICY = RetryPolicy(max_attempts=12, base=timedelta(seconds=5), cap=timedelta(minutes=2))


def booking_spec(booking: str, *attendees: str, hour: int = 9) -> CalendarEventSpec:
    start = datetime(2026, 3, 24, hour, 0, tzinfo=UTC)
    return CalendarEventSpec(
        organizer_email=SME,
        subject=f"Office hours ({booking})",
        start=start,
        end=start + timedelta(minutes=30),
        attendees=tuple(Attendee(a) for a in attendees),
        time_zone="Asia/Kolkata",
        booking_id=booking,
    )


async def write(
    services: Services, org_id: UUID, kind: str, aggregate: str, payload: dict[str, Any]
) -> OutboxMessage:
    message = OutboxMessage(
        id=uuid4(),
        organisation_id=org_id,
        kind=kind,
        aggregate_type="booking",
        aggregate_id=aggregate,
        payload=payload,
        created_at=services.clock.now(),
    )
    async with services.uow() as uow:
        await uow.outbox.add(message)
        await uow.commit()
    return message


async def book(services: Services, org_id: UUID, count: int) -> list[str]:
    bookings = [f"b{i:03d}" for i in range(count)]
    for i, b in enumerate(bookings):
        spec = booking_spec(b, f"learner{i}@acme.example", hour=8 + i % 9)
        await write(services, org_id, OutboxTopic.CALENDAR_UPSERT, b, spec.to_payload())
    return bookings


@asynccontextmanager
async def graph_worker(
    services: Services, graph: FakeGraph, **config: Any
) -> AsyncIterator[Worker]:
    settings = Settings(
        database_url="sqlite://:memory:",
        graph_base_url=graph.base_url,
        graph_learning_provider_id="peerlearn-provider",
        public_url="https://peerlearn.acme.example",
    )
    async with delivery_registry(settings, services, graph_credential=StaticToken()) as registry:
        config.setdefault("policy", POLICY)
        yield Worker(
            services.uow, registry, services.clock, WorkerConfig(**config), rng=random.Random(3)
        )


async def drain_until_settled(
    worker: Worker, services: Services, clock: FixedClock, rounds: int = 40
) -> DrainStats:
    total = DrainStats()
    for _ in range(rounds):
        total.add(await worker.drain())
        counts = await services.outbox.counts()
        if counts["pending"] == 0 and counts["in_flight"] == 0:
            return total
        clock.advance(timedelta(minutes=3))
    raise AssertionError(f"outbox did not settle: {await services.outbox.counts()}")


def events_per_booking(graph: FakeGraph) -> Counter[str]:
    return Counter(e["subject"] for e in graph.events.values())


async def rows(services: Services) -> list[OutboxMessage]:
    async with services.uow() as uow:
        return list(await uow.outbox.list(limit=10_000))


async def test_throttling_and_outages_for_a_while_lose_nothing_and_double_nothing(
    services: Services, org: Any, clock: FixedClock
) -> None:
    bookings = await book(services, org.id, 60)
    faults = Faults(throttle_rate=0.2, unavailable_rate=0.1, retry_after="7")
    async with FakeGraph(faults) as graph, graph_worker(services, graph, batch_size=25) as w:
        stats = await drain_until_settled(w, services, clock)
    assert stats.retried > 0  # the faults really happened
    assert events_per_booking(graph) == {f"Office hours ({b})": 1 for b in bookings}
    stored = await rows(services)
    assert {r.status for r in stored} == {"done"}
    assert all(r.result["event_id"] in graph.events for r in stored)
    assert all(r.result["join_url"].startswith("https://teams.microsoft.com/") for r in stored)
    assert graph.rejected == []


async def test_timeouts_replayed_creates_never_make_a_second_event(
    services: Services, org: Any, clock: FixedClock
) -> None:
    bookings = await book(services, org.id, 3)
    async with (
        FakeGraph() as graph,
        graph_worker(services, graph, handler_timeout=0.3, lease=timedelta(seconds=30)) as w,
    ):
        # Graph is slow: the event gets created, but the answer comes after we gave up
        graph.faults.script.extend([("slow", 0.6)] * 3)
        first = await w.drain()
        assert first.retried == 3
        await asyncio.sleep(0.5)  # the slow requests finish on the server side
        clock.advance(timedelta(minutes=5))
        await drain_until_settled(w, services, clock)
    assert events_per_booking(graph) == {f"Office hours ({b})": 1 for b in bookings}


async def test_a_worker_killed_mid_batch_is_replaced_after_its_lease_and_nothing_is_doubled(
    services: Services, org: Any, clock: FixedClock
) -> None:
    bookings = await book(services, org.id, 30)
    async with FakeGraph(Faults(latency=0.3)) as graph:
        async with graph_worker(services, graph, lease=timedelta(minutes=2)) as doomed:
            task = asyncio.create_task(doomed.run_once())
            # killed once its $batch requests are on the wire (the claim is committed)
            while graph.http_requests == 0:
                await asyncio.sleep(0.01)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert (await services.outbox.counts())["in_flight"] == 30
        await asyncio.sleep(0.3)  # the server finishes what it received
        async with graph_worker(services, graph) as replacement:
            assert (await replacement.drain()).claimed == 0  # still leased
            clock.advance(timedelta(minutes=3))
            graph.faults.latency = 0
            await drain_until_settled(replacement, services, clock)
    assert events_per_booking(graph) == {f"Office hours ({b})": 1 for b in bookings}
    assert {r.status for r in await rows(services)} == {"done"}


async def test_a_booking_cancelled_while_its_create_still_fails_ends_as_one_cancelled_event(
    services: Services, org: Any, clock: FixedClock
) -> None:
    spec = booking_spec("b1", "ana.souza@acme.example")
    await write(services, org.id, OutboxTopic.CALENDAR_UPSERT, "b1", spec.to_payload())
    await write(
        services,
        org.id,
        OutboxTopic.CALENDAR_CANCEL,
        "b1",
        {**spec.to_payload(), "reason": "expert is ill"},
    )
    async with FakeGraph() as graph, graph_worker(services, graph) as w:
        graph.fail_next(4, 503, "")
        await drain_until_settled(w, services, clock)
    (event,) = graph.events.values()
    assert event["isCancelled"] is True and event["cancelComment"] == "expert is ill"
    assert sum(graph.cancel_calls.values()) == 1
    assert {r.status for r in await rows(services)} == {"done"}
    link = await services.outbox.calendar_event("booking", "b1")
    assert link is not None and link.cancelled and link.event_id == event["id"]
    assert link.join_url == event["onlineMeeting"]["joinUrl"]


async def test_group_session_updates_keep_one_event_with_every_attendee(
    services: Services, org: Any, clock: FixedClock
) -> None:
    seats = ["mei.lin@acme.example"]
    async with FakeGraph() as graph, graph_worker(services, graph) as w:
        for learner in [
            "mei.lin@acme.example",
            "ravi.shankar@acme.example",
            "zoe.anderson@acme.example",
        ]:
            if learner not in seats:
                seats.append(learner)
            spec = booking_spec("occ-1", *seats)
            await write(services, org.id, OutboxTopic.CALENDAR_UPSERT, "occ-1", spec.to_payload())
            await drain_until_settled(w, services, clock)
    (event,) = graph.events.values()
    assert sorted(a["emailAddress"]["address"] for a in event["attendees"]) == sorted(seats)
    link = await services.outbox.calendar_event("booking", "occ-1")
    assert link is not None and not link.cancelled and link.event_id == event["id"]
    assert link.ical_uid == event["iCalUId"] and link.join_url.startswith("https://teams.")


async def test_a_failing_calendar_does_not_hold_back_the_booking_s_chat_notice(
    services: Services, org: Any, clock: FixedClock
) -> None:
    await write(
        services,
        org.id,
        OutboxTopic.CALENDAR_UPSERT,
        "b1",
        booking_spec("b1", "a@acme.example").to_payload(),
    )
    notice = await write(services, org.id, OutboxTopic.NOTIFY, "b1", {"template": "booked"})
    sent: list[UUID] = []

    async def notify(message: OutboxMessage) -> Result:
        sent.append(message.id)
        return {"sent": True}

    async with FakeGraph() as graph, graph_worker(services, graph) as w:
        w._registry.register(OutboxTopic.NOTIFY, notify)
        graph.fail_next(1, 503, "")
        await w.drain()
    assert sent == [notice.id]


async def test_bad_data_from_graph_is_handled_without_crashing_the_worker(
    services: Services, org: Any, clock: FixedClock
) -> None:
    await book(services, org.id, 1)  # one row: the typed SDK path
    async with FakeGraph(Faults(bad_data=True)) as graph, graph_worker(services, graph) as w:
        await drain_until_settled(w, services, clock)
        await book(services, org.id, 5)  # several rows: the $batch path
        await drain_until_settled(w, services, clock)
    stored = await rows(services)
    assert {r.status for r in stored} == {"done"}
    assert all(r.result["event_id"] and r.result["join_url"] == "" for r in stored)


async def test_an_answer_without_an_event_id_is_retried_then_dead_lettered_not_crashed(
    services: Services, org: Any, clock: FixedClock
) -> None:
    await book(services, org.id, 2)
    async with (
        FakeGraph(Faults(drop_ids=True)) as graph,
        graph_worker(
            services, graph, policy=RetryPolicy(max_attempts=3, base=timedelta(seconds=1))
        ) as w,
    ):
        await drain_until_settled(w, services, clock)
    stored = await rows(services)
    assert {r.status for r in stored} == {"dead"}
    assert all("without an event id" in (r.last_error or "") for r in stored)
    # the replays carried the same transaction id: still one event per booking
    assert len(graph.events) == 2


async def test_completions_reach_viva_learning_once_and_unlicensed_learners_are_skipped(
    services: Services, org: Any, clock: FixedClock
) -> None:
    licensed = await services.people.add_person(
        org.id,
        "Mei Lin",
        "mei.lin@acme.example",
        "Asia/Singapore",
        identities=[ExternalIdentity("teams", "tenant-acme", "aad-mei")],
    )
    unlicensed = await services.people.add_person(
        org.id,
        "Jack Taylor",
        "jack.taylor@acme.example",
        "Australia/Lord_Howe",
        identities=[ExternalIdentity("teams", "tenant-acme", "aad-jack")],
    )
    cohort = str(uuid4())
    for person in (licensed, unlicensed):
        payload = {
            "cohort_id": cohort,
            "community_id": str(uuid4()),
            "person_id": str(person.id),
            "title": "Prompting for analysts, spring cohort",
            "completed_at": clock.now().isoformat(),
        }
        await write(services, org.id, OutboxTopic.LEARNING_COMPLETION, f"c:{person.id}", payload)
    faults = Faults(unlicensed={"aad-jack"})
    async with FakeGraph(faults) as graph, graph_worker(services, graph) as w:
        graph.fail_next(1, 429, "3")
        await drain_until_settled(w, services, clock)
    (activity,) = graph.activities.values()
    assert activity["learnerUserId"] == "aad-mei" and activity["status"] == "completed"
    assert len(graph.contents) == 1
    by_person = {r.payload["person_id"]: r for r in await rows(services)}
    assert by_person[str(unlicensed.id)].result["skipped"].startswith("no licence")
    assert by_person[str(licensed.id)].result["activity_id"] == activity["id"]
    assert graph.rejected == []


async def test_a_community_gets_one_teams_channel_however_often_it_is_asked(
    services: Services, org: Any, clock: FixedClock
) -> None:
    for _ in range(2):
        await write(
            services,
            org.id,
            OutboxTopic.TEAMS_CHANNEL,
            "community-1",
            {
                "team_id": "team-42",
                "display_name": "GenAI Guild",
                "description": "Prompts and wins",
            },
        )
    async with FakeGraph() as graph, graph_worker(services, graph) as w:
        await drain_until_settled(w, services, clock)
    (channel,) = graph.channels["team-42"]
    assert {r.result["channel_id"] for r in await rows(services)} == {channel["id"]}


async def test_without_graph_settings_graph_rows_are_skipped_and_the_log_says_why(
    services: Services, org: Any, clock: FixedClock, caplog: Any
) -> None:
    await book(services, org.id, 2)
    async with delivery_registry(Settings(database_url="sqlite://:memory:"), services) as registry:
        assert isinstance(registry, HandlerRegistry)
        stats = await Worker(services.uow, registry, clock).drain()
    assert stats.skipped == 2
    assert "Microsoft Graph is not configured" in caplog.text
    assert {r.result["skipped"] for r in await rows(services)} == {
        "Microsoft Graph is not configured"
    }


async def test_the_in_process_relay_of_serve_delivers_in_the_background_and_stops_cleanly(
    services: Services, org: Any
) -> None:
    from app.delivery import run_worker

    bookings = await book(services, org.id, 5)
    async with FakeGraph() as graph:
        settings = Settings(database_url="sqlite://:memory:", graph_base_url=graph.base_url)
        stop = asyncio.Event()
        relay = asyncio.create_task(
            run_worker(settings, services, stop, graph_credential=StaticToken())
        )
        for _ in range(200):
            if (await services.outbox.counts())["done"] == 5:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(relay, 10)
    assert events_per_booking(graph) == {f"Office hours ({b})": 1 for b in bookings}


async def test_a_booking_made_in_office_hours_reaches_outlook_and_its_ics_gets_the_join_link(
    services: Services, org: Any, clock: FixedClock
) -> None:
    host = await services.people.add_person(
        org.id, "Jonas Becker", "jonas@acme.example", "Europe/Berlin"
    )
    learner = await services.people.add_person(
        org.id, "Mei Lin", "mei@acme.example", "Asia/Singapore"
    )
    spec = {
        "title": "Kubernetes clinic",
        "rules": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
        "slot_minutes": 30,
        "interval_minutes": 30,
        "horizon_days": 21,
    }
    t = await services.office_hours.create_type(org.id, host.id, spec)
    start = datetime(2026, 3, 24, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Berlin
    booking = (await services.office_hours.book(org.id, t.id, learner.id, start)).booking
    async with FakeGraph() as graph, graph_worker(services, graph) as w:
        await drain_until_settled(w, services, clock)
        (event,) = graph.live_events("jonas@acme.example")
        assert [a["emailAddress"]["address"] for a in event["attendees"]] == ["mei@acme.example"]
        assert event["start"] == {"dateTime": "2026-03-24T08:00:00", "timeZone": "UTC"}
        join_url = event["onlineMeeting"]["joinUrl"]
        ics = (await services.office_hours.invitation(org.id, booking.id)).decode()
        assert join_url in ics.replace("\r\n ", "")

        await services.office_hours.cancel(org.id, booking.id, "expert is ill")
        await drain_until_settled(w, services, clock)
    assert graph.live_events("jonas@acme.example") == []
    assert graph.events[event["id"]]["cancelComment"] == "expert is ill"
