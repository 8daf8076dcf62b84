"""Proactive notices from outbox NOTIFY rows, through a stored conversation reference, to a
local fake Bot Connector; throttling and Teams' 429s handled the way the outbox expects."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.endpoint import BotAuth, build_adapter
from bot.notifier import TeamsNotifier
from bot.throttle import ConversationThrottle
from core.delivery import PermanentError, SkippedError, TransientError
from core.ids import new_id
from core.outbox import OutboxMessage, OutboxTopic
from core.teams.model import ConversationRef
from tests.teams_connector import TENANT, FakeConnector


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
async def people(services: Any, connector: FakeConnector) -> Any:
    org = await services.people.create_organisation("contoso", "Contoso", [TENANT])
    hannah = await services.people.add_person(
        org.id, "Hannah Schmidt", "hannah@contoso.example", "Europe/Berlin"
    )
    stranger = await services.people.add_person(
        org.id, "Noah Williams", "noah@contoso.example", "America/Los_Angeles"
    )
    await services.teams.remember_conversation(
        ConversationRef(
            organisation_id=org.id,
            conversation_id="a:hannah-personal",
            conversation_type="personal",
            service_url=connector.url,
            tenant_id=TENANT,
            bot_id="28:peerlearn",
            bot_name="peerlearn",
            user_id="29:hannah",
            person_id=hannah.id,
        )
    )
    return org, hannah, stranger


def booking_notice(
    org_id: Any, person_id: Any, template: str = "booking_confirmed"
) -> OutboxMessage:
    return OutboxMessage(
        id=new_id(),
        organisation_id=org_id,
        kind=OutboxTopic.NOTIFY,
        aggregate_type="booking",
        aggregate_id=str(new_id()),
        payload={
            "person_id": str(person_id),
            "template": template,
            "fields": {
                "title": "Kubernetes clinic",
                "start_utc": "2026-03-24T09:00:00+00:00",
                "other_person": {"name": "Priya Raman", "email": "priya@contoso.example"},
            },
        },
        created_at=datetime(2026, 3, 23, 8, 0, tzinfo=UTC),
    )


def notifier(services: Any, sleeps: Sleeps, **kwargs: Any) -> TeamsNotifier:
    return TeamsNotifier(services, build_adapter(BotAuth()), sleep=sleeps, **kwargs)


async def test_a_booking_notice_arrives_in_the_personal_chat_in_local_time(
    services: Any, people: Any, connector: FakeConnector
) -> None:
    org, hannah, _ = people
    result = await notifier(services, Sleeps()).deliver(booking_notice(org.id, hannah.id))
    assert result["conversation_id"] == "a:hannah-personal"
    [sent] = connector.messages()
    assert sent.conversation_id == "a:hannah-personal"
    [card] = sent.cards
    assert card["body"][0]["text"] == "Booked: Kubernetes clinic"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["When"] == "Tue 24 Mar, 10:00 (Europe/Berlin)"
    assert facts["With"] == "Priya Raman"


async def test_someone_without_the_app_is_skipped_and_bad_rows_are_permanent(
    services: Any, people: Any, connector: FakeConnector
) -> None:
    org, _, stranger = people
    with pytest.raises(SkippedError):
        await notifier(services, Sleeps()).deliver(booking_notice(org.id, stranger.id))
    with pytest.raises(PermanentError):
        await notifier(services, Sleeps()).deliver(booking_notice(org.id, "not-a-uuid"))
    assert connector.sent == []


async def test_throttling_by_teams_is_retried_with_backoff(
    services: Any, people: Any, connector: FakeConnector
) -> None:
    org, hannah, _ = people
    connector.failures = [(429, None), (503, None)]
    sleeps = Sleeps()
    await notifier(services, sleeps).deliver(booking_notice(org.id, hannah.id))
    assert len(connector.messages()) == 1
    assert len(sleeps.delays) == 2
    assert sleeps.delays[1] > sleeps.delays[0]


async def test_a_long_retry_after_goes_back_to_the_outbox(
    services: Any, people: Any, connector: FakeConnector
) -> None:
    org, hannah, _ = people
    connector.failures = [(429, None), (429, None), (429, None), (429, None)]
    with pytest.raises(TransientError):
        await notifier(services, Sleeps(), retries=2).deliver(booking_notice(org.id, hannah.id))
    assert connector.messages() == []


async def test_an_uninstalled_app_is_a_permanent_failure(
    services: Any, people: Any, connector: FakeConnector
) -> None:
    org, hannah, _ = people
    connector.failures = [(403, None)]
    with pytest.raises(PermanentError):
        await notifier(services, Sleeps()).deliver(booking_notice(org.id, hannah.id))
    assert connector.attempts == 1


async def test_a_burst_to_one_chat_stays_within_the_per_conversation_limit(
    services: Any, people: Any, connector: FakeConnector
) -> None:
    org, hannah, _ = people
    now = [0.0]
    sleeps = Sleeps()

    async def sleep(seconds: float) -> None:
        sleeps.delays.append(seconds)
        now[0] += seconds

    throttle = ConversationThrottle(monotonic=lambda: now[0], sleep=sleep)
    sender = TeamsNotifier(services, build_adapter(BotAuth()), throttle=throttle, sleep=sleep)
    for _ in range(10):
        await sender.deliver(booking_notice(org.id, hannah.id))
    assert len(connector.messages()) == 10
    # 7 go at once, the 8th waits for the 1 s window, the 9th and 10th for the 2 s window
    assert sum(sleeps.delays) == pytest.approx(2.0)


async def test_the_outbox_worker_delivers_notify_rows_through_the_bot(
    settings: Any, services: Any, people: Any, connector: FakeConnector
) -> None:
    from app.delivery import delivery_registry
    from app.worker import Worker

    org, hannah, stranger = people
    delivered = booking_notice(org.id, hannah.id, "waitlist_promoted")
    skipped = booking_notice(org.id, stranger.id)
    async with services.uow() as uow:
        await uow.outbox.add(delivered)
        await uow.outbox.add(skipped)
        await uow.commit()
    async with delivery_registry(settings, services) as registry:
        stats = await Worker(services.uow, registry, services.clock).drain()
    assert stats.done == 1 and stats.skipped == 1
    [sent] = connector.messages()
    assert sent.cards[0]["body"][0]["text"] == "A seat opened up: Kubernetes clinic"
    async with services.uow() as uow:
        row = await uow.outbox.get(delivered.id)
    assert row is not None and row.status == "done"
    assert row.result["conversation_id"] == "a:hannah-personal"


async def _deliver_all(sender: TeamsNotifier, notices: list[OutboxMessage]) -> list[Any]:
    return await asyncio.gather(*(sender.deliver(n) for n in notices), return_exceptions=True)


async def test_two_workers_together_stay_within_the_per_conversation_limit(
    services: Any, people: Any, connector: FakeConnector, clock: Any
) -> None:
    """Two notifier instances (as in two worker processes) share one count per conversation
    through the database: together they send 7 in a second, not 7 each."""
    org, hannah, _ = people
    first = notifier(services, Sleeps(), max_wait=0.0)
    second = notifier(services, Sleeps(), max_wait=0.0)
    burst = [booking_notice(org.id, hannah.id) for _ in range(20)]
    outcomes = await asyncio.gather(
        _deliver_all(first, burst[:10]), _deliver_all(second, burst[10:])
    )
    results = [r for batch in outcomes for r in batch]
    assert len(connector.messages()) == 7
    throttled = [r for r in results if isinstance(r, TransientError)]
    assert len(throttled) == 13
    # each is told a time of its own: the first when the window frees up, the rest spaced out
    waits = sorted(r.retry_after for r in throttled)
    assert waits == pytest.approx([1.0 + 0.5 * i for i in range(13)])

    # a second later the 2-second window allows one more, whichever worker asks
    clock.advance(timedelta(seconds=1))
    await second.deliver(booking_notice(org.id, hannah.id))
    with pytest.raises(TransientError) as waited:
        await first.deliver(booking_notice(org.id, hannah.id))
    # behind the 13 already waiting (their last time is 7 s after the start)
    assert waited.value.retry_after == pytest.approx(6.5)
    assert len(connector.messages()) == 8


async def test_a_burst_drains_within_the_limits_in_few_attempts(
    services: Any, people: Any, connector: FakeConnector, clock: Any
) -> None:
    """80 notices to one chat, delivered by two workers the way the outbox does: a throttled
    row comes back at the time it was told. Every notice arrives, each in at most a few
    attempts (the outbox gives up after 8), and no window of Teams' limits is exceeded."""
    org, hannah, _ = people
    start = clock.now()
    workers = [notifier(services, Sleeps(), max_wait=0.0) for _ in range(2)]
    due = [(0.0, i, booking_notice(org.id, hannah.id)) for i in range(80)]
    sent_at, attempts = await _drain_like_the_outbox(workers, due, clock, start)
    assert len(connector.messages()) == 80
    assert max(attempts.values()) <= 3
    for t in sent_at:
        for seconds, limit in ((1.0, 7), (2.0, 8), (30.0, 60)):
            assert sum(1 for u in sent_at if t <= u < t + seconds - 1e-9) <= limit


async def test_a_retry_after_from_teams_holds_every_worker_back(
    services: Any, people: Any, connector: FakeConnector, clock: Any
) -> None:
    org, hannah, _ = people
    connector.failures = [(429, "30")]
    with pytest.raises(TransientError) as told:
        await notifier(services, Sleeps()).deliver(booking_notice(org.id, hannah.id))
    assert told.value.retry_after == pytest.approx(30.0)
    attempts = connector.attempts
    # the other worker does not knock on Teams' door before the 30 s are over
    with pytest.raises(TransientError) as held:
        await notifier(services, Sleeps()).deliver(booking_notice(org.id, hannah.id))
    assert held.value.retry_after == pytest.approx(30.0)
    assert connector.attempts == attempts
    clock.advance(timedelta(seconds=31))
    await notifier(services, Sleeps()).deliver(booking_notice(org.id, hannah.id))
    assert len(connector.messages()) == 1


async def _colleagues(services: Any, org: Any, connector: FakeConnector, n: int) -> list[Any]:
    """`n` people of one tenant, each with their own 1:1 chat with the bot."""
    found = []
    for i in range(n):
        person = await services.people.add_person(
            org.id, f"Colleague {i}", f"colleague{i}@contoso.example", "Europe/Berlin"
        )
        await services.teams.remember_conversation(
            ConversationRef(
                organisation_id=org.id,
                conversation_id=f"a:colleague-{i}",
                conversation_type="personal",
                service_url=connector.url,
                tenant_id=TENANT,
                bot_id="28:peerlearn",
                bot_name="peerlearn",
                user_id=f"29:colleague-{i}",
                person_id=person.id,
            )
        )
        found.append(person)
    return found


async def test_two_workers_together_stay_within_the_per_tenant_limit(
    services: Any, people: Any, connector: FakeConnector, clock: Any
) -> None:
    """80 notices to 80 different chats of one tenant at once, by two workers: Teams' 50
    requests a second per app and tenant hold across both (each chat alone is far from its
    own limit). The rest are told times of their own, 50 a second; drained the way the outbox
    does, every notice arrives in a few attempts and no second carries more than 50 sends."""
    org, _, _ = people
    colleagues = await _colleagues(services, org, connector, 80)
    workers = [notifier(services, Sleeps(), max_wait=0.0) for _ in range(2)]
    burst = [booking_notice(org.id, p.id) for p in colleagues]
    outcomes = await asyncio.gather(
        _deliver_all(workers[0], burst[:40]), _deliver_all(workers[1], burst[40:])
    )
    results = [r for batch in outcomes for r in batch]
    assert len(connector.messages()) == 50
    throttled = [r for r in results if isinstance(r, TransientError)]
    assert len(throttled) == 30
    waits = sorted(r.retry_after for r in throttled)
    assert waits == pytest.approx([1.0 + 0.02 * i for i in range(30)])

    start = clock.now()
    due = [
        (r.retry_after, i, n)
        for i, (r, n) in enumerate(zip(results, burst, strict=True))
        if isinstance(r, TransientError)
    ]
    # and meanwhile 40 more arrive, a tenth of a second apart
    due += [(0.1 * k, 100 + k, booking_notice(org.id, colleagues[k].id)) for k in range(40)]
    later, attempts = await _drain_like_the_outbox(workers, due, clock, start)
    sent_at = [0.0] * 50 + later
    assert len(connector.messages()) == 120
    assert max(attempts.values()) <= 3
    for t in sent_at:
        assert sum(1 for u in sent_at if t <= u < t + 1.0 - 1e-9) <= 50


async def _drain_like_the_outbox(
    workers: list[Any], due: list[tuple[float, int, Any]], clock: Any, start: datetime
) -> tuple[list[float], dict[int, int]]:
    """Deliver `(at, id, notice)` in time order over the workers (by id), retrying a throttled
    notice when it was told to, as the outbox does; returns when each was sent and the attempts."""
    attempts: dict[int, int] = {}
    sent_at: list[float] = []
    while due:
        due.sort(key=lambda d: (d[0], d[1]))
        at, i, notice = due.pop(0)
        clock.set(start + timedelta(seconds=at))
        attempts[i] = attempts.get(i, 0) + 1
        try:
            await workers[i % 2].deliver(notice)
        except TransientError as exc:
            assert exc.retry_after is not None
            due.append((at + exc.retry_after, i, notice))
        else:
            sent_at.append(at)
    return sent_at, attempts
