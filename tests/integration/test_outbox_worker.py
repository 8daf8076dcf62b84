"""The outbox worker against the real database: leases, ordering per aggregate, retries,
dead letters, and outcomes recorded only by the lease holder."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from app.worker import Worker, WorkerConfig
from core.clock import FixedClock
from core.delivery import (
    DeliveryError,
    HandlerRegistry,
    PermanentError,
    Result,
    RetryPolicy,
    SkippedError,
    TransientError,
)
from core.outbox import OutboxMessage, OutboxTopic
from core.services import Services

FAST = RetryPolicy(max_attempts=4, base=timedelta(seconds=10), cap=timedelta(minutes=5))


async def add_rows(
    services: Services, org_id: UUID, kind: str, aggregates: Sequence[str], **payload: Any
) -> list[OutboxMessage]:
    rows = []
    async with services.uow() as uow:
        for aggregate in aggregates:
            message = OutboxMessage(
                id=uuid4(),
                organisation_id=org_id,
                kind=kind,
                aggregate_type="booking",
                aggregate_id=aggregate,
                payload={"n": len(rows), **payload},
                created_at=services.clock.now(),
            )
            await uow.outbox.add(message)
            rows.append(message)
        await uow.commit()
    return rows


async def statuses(services: Services) -> dict[UUID, OutboxMessage]:
    async with services.uow() as uow:
        return {m.id: m for m in await uow.outbox.list(limit=10_000)}


def worker(services: Services, registry: HandlerRegistry, **config: Any) -> Worker:
    return Worker(
        services.uow,
        registry,
        services.clock,
        WorkerConfig(policy=FAST, **config),
        rng=random.Random(1),
    )


async def test_every_due_row_is_delivered_once_and_marked_done(
    services: Services, org: Any
) -> None:
    rows = await add_rows(services, org.id, OutboxTopic.NOTIFY, [f"b{i}" for i in range(30)])
    seen: Counter[UUID] = Counter()

    async def deliver(message: OutboxMessage) -> Result:
        seen[message.id] += 1
        return {"sent": True}

    registry = HandlerRegistry()
    registry.register(OutboxTopic.NOTIFY, deliver)
    stats = await worker(services, registry, batch_size=7).drain()
    assert stats.done == 30
    assert set(seen) == {r.id for r in rows} and max(seen.values()) == 1
    stored = await statuses(services)
    assert {m.status for m in stored.values()} == {"done"}
    assert all(m.result == {"sent": True} and m.attempts == 1 for m in stored.values())


async def test_a_cancel_is_never_claimed_while_its_create_is_still_failing(
    services: Services, org: Any, clock: FixedClock
) -> None:
    (create,) = await add_rows(services, org.id, OutboxTopic.CALENDAR_UPSERT, ["b1"])
    (cancel,) = await add_rows(services, org.id, OutboxTopic.CALENDAR_CANCEL, ["b1"])
    order: list[str] = []
    failures = {"left": 2}

    async def upsert(message: OutboxMessage) -> Result:
        order.append("create")
        if failures["left"]:
            failures["left"] -= 1
            raise TransientError("graph 503", retry_after=30)
        return {"event_id": "E1"}

    async def cancel_handler(message: OutboxMessage) -> Result:
        order.append("cancel")
        return {"cancelled": True}

    registry = HandlerRegistry()
    registry.register(OutboxTopic.CALENDAR_UPSERT, upsert)
    registry.register(OutboxTopic.CALENDAR_CANCEL, cancel_handler)
    w = worker(services, registry)
    for _ in range(3):
        await w.drain()
        clock.advance(timedelta(seconds=40))
    assert order == ["create", "create", "create", "cancel"]
    stored = await statuses(services)
    assert stored[create.id].status == "done" and stored[cancel.id].status == "done"


async def test_transient_failures_back_off_honouring_retry_after_then_dead_letter(
    services: Services, org: Any, clock: FixedClock
) -> None:
    (row,) = await add_rows(services, org.id, OutboxTopic.NOTIFY, ["b1"])

    async def throttled(message: OutboxMessage) -> Result:
        raise TransientError("graph 429", retry_after=120)

    registry = HandlerRegistry()
    registry.register(OutboxTopic.NOTIFY, throttled)
    w = worker(services, registry)
    await w.drain()
    stored = (await statuses(services))[row.id]
    assert stored.status == "pending" and stored.attempts == 1
    assert stored.next_attempt_at is not None
    wait = stored.next_attempt_at - clock.now()
    assert timedelta(seconds=120) <= wait <= timedelta(seconds=132)
    # not due yet: nothing is claimed
    assert (await w.drain()).claimed == 0
    for _ in range(3):
        clock.advance(timedelta(minutes=10))
        await w.drain()
    stored = (await statuses(services))[row.id]
    assert stored.status == "dead" and stored.attempts == 4
    assert stored.last_error is not None and "gave up after 4 attempts" in stored.last_error


async def test_permanent_failures_are_buried_and_skips_are_done(
    services: Services, org: Any
) -> None:
    bad, skip = await add_rows(services, org.id, OutboxTopic.NOTIFY, ["b1", "b2"])

    async def deliver(message: OutboxMessage) -> Result:
        if message.id == bad.id:
            raise PermanentError("graph 400: BadRequest")
        raise SkippedError("no licence")

    registry = HandlerRegistry()
    registry.register(OutboxTopic.NOTIFY, deliver)
    stats = await worker(services, registry).drain()
    assert (stats.dead, stats.skipped) == (1, 1)
    stored = await statuses(services)
    assert stored[bad.id].status == "dead" and stored[bad.id].attempts == 1
    assert stored[skip.id].status == "done" and stored[skip.id].result == {"skipped": "no licence"}


async def test_a_handler_bug_or_hang_never_stops_the_worker(services: Services, org: Any) -> None:
    rows = await add_rows(services, org.id, OutboxTopic.NOTIFY, ["b1", "b2", "b3"])

    async def deliver(message: OutboxMessage) -> Result:
        if message.id == rows[0].id:
            raise KeyError("eventId")
        if message.id == rows[1].id:
            await asyncio.sleep(5)
        return {"ok": True}

    registry = HandlerRegistry()
    registry.register(OutboxTopic.NOTIFY, deliver)
    stats = await worker(
        services, registry, handler_timeout=0.2, lease=timedelta(seconds=5)
    ).drain()
    assert (stats.retried, stats.done) == (2, 1)
    stored = await statuses(services)
    assert "KeyError" in (stored[rows[0].id].last_error or "")
    assert stored[rows[1].id].last_error == "timed out"


async def test_a_crashed_worker_s_rows_are_taken_over_after_the_lease_expires(
    services: Services, org: Any, clock: FixedClock
) -> None:
    rows = await add_rows(services, org.id, OutboxTopic.NOTIFY, ["b1", "b2"])
    async with services.uow() as uow:
        claimed = await uow.outbox.claim_due(clock.now(), clock.now() + timedelta(minutes=2), 10)
        await uow.commit()
    assert len(claimed) == 2
    delivered: list[UUID] = []

    async def deliver(message: OutboxMessage) -> Result:
        delivered.append(message.id)
        return {}

    registry = HandlerRegistry()
    registry.register(OutboxTopic.NOTIFY, deliver)
    w = worker(services, registry)
    assert (await w.drain()).claimed == 0  # still leased by the crashed worker
    clock.advance(timedelta(minutes=3))
    assert (await w.drain()).done == 2
    assert sorted(delivered) == sorted(r.id for r in rows)
    # the crashed worker comes back late: its outcome is refused
    late = claimed[0]
    late.status = "dead"
    async with services.uow() as uow:
        assert await uow.outbox.finish(late) is False
        await uow.commit()
    assert (await statuses(services))[late.id].status == "done"


async def test_batch_handlers_get_up_to_their_batch_size_and_answer_per_row(
    services: Services, org: Any
) -> None:
    await add_rows(services, org.id, OutboxTopic.CALENDAR_UPSERT, [f"b{i}" for i in range(45)])
    sizes: list[int] = []

    async def deliver_many(messages: Sequence[OutboxMessage]) -> list[Result | DeliveryError]:
        sizes.append(len(messages))
        return [
            TransientError("429", retry_after=1)
            if m.payload["n"] % 9 == 0
            else {"ok": m.payload["n"]}
            for m in messages
        ]

    registry = HandlerRegistry()
    registry.register_batch(OutboxTopic.CALENDAR_UPSERT, deliver_many, max_batch=20)
    stats = await worker(services, registry, batch_size=100).run_once()
    assert sorted(sizes) == [5, 20, 20]
    assert (stats.done, stats.retried) == (40, 5)


async def test_operators_can_retry_dead_rows_and_bury_stuck_ones(
    services: Services, org: Any
) -> None:
    dead, stuck = await add_rows(services, org.id, OutboxTopic.NOTIFY, ["b1", "b2"])

    async def deliver(message: OutboxMessage) -> Result:
        raise PermanentError("nope")

    registry = HandlerRegistry()
    registry.register(OutboxTopic.NOTIFY, deliver)
    await worker(services, registry).drain()
    assert await services.outbox.retry_dead() == 2
    revived = await statuses(services)
    assert revived[dead.id].status == "pending" and revived[dead.id].attempts == 0
    await services.outbox.bury(stuck.id, "person left the company")
    counts = await services.outbox.counts()
    assert counts == {"pending": 1, "in_flight": 0, "done": 0, "dead": 1}
    assert (await statuses(services))[stuck.id].last_error == "buried: person left the company"


async def test_claims_take_the_oldest_free_rows_and_bulk_outcomes_need_the_lease(
    services: Services, org: Any, clock: FixedClock
) -> None:
    rows = await add_rows(services, org.id, OutboxTopic.NOTIFY, [f"b{i}" for i in range(6)])
    lease = timedelta(minutes=2)
    async with services.uow() as uow:
        early = await uow.outbox.claim_due(clock.now(), clock.now() + lease, 2)
        await uow.commit()
    assert [m.id for m in early] == [r.id for r in rows[:2]]
    assert all(m.status == "in_flight" and m.attempts == 1 and m.lease_token for m in early)
    assert early[0].payload == {"n": 0} and early[0].created_at == rows[0].created_at
    clock.advance(timedelta(minutes=3))  # the first claim's lease has expired
    async with services.uow() as uow:
        # expired leases and pending rows together, oldest first, up to the limit
        later = await uow.outbox.claim_due(clock.now(), clock.now() + lease, 4)
        await uow.commit()
    assert [m.id for m in later] == [r.id for r in rows[:4]]
    assert [m.attempts for m in later] == [2, 2, 1, 1]
    for message in [*early, *later]:
        message.status, message.result, message.delivered_at = "done", {"ok": 1}, clock.now()
    async with services.uow() as uow:
        # the first claim lost its rows to the second: only the second may record them
        assert list(await uow.outbox.finish_many(early)) == [False, False]
        assert list(await uow.outbox.finish_many(later)) == [True] * 4
        await uow.commit()
    stored = await statuses(services)
    assert [stored[r.id].status for r in rows] == ["done"] * 4 + ["pending"] * 2
    assert stored[rows[0].id].result == {"ok": 1} and stored[rows[0].id].lease_token is None


async def test_one_drain_delivers_an_aggregate_s_rows_one_after_another_in_order(
    services: Services, org: Any
) -> None:
    chain = await add_rows(services, org.id, OutboxTopic.CALENDAR_UPSERT, ["b1"] * 4)
    others = await add_rows(services, org.id, OutboxTopic.CALENDAR_UPSERT, ["b2", "b3", "b4"])
    seen: list[UUID] = []
    in_flight: set[str] = set()

    async def deliver(messages: Sequence[OutboxMessage]) -> list[Result | DeliveryError]:
        aggregates = {m.aggregate_id for m in messages}
        assert not aggregates & in_flight, "two rows of one aggregate in flight at once"
        in_flight.update(aggregates)
        await asyncio.sleep(0.01)
        in_flight.difference_update(aggregates)
        seen.extend(m.id for m in messages)
        return [{} for _ in messages]

    registry = HandlerRegistry()
    registry.register_batch(OutboxTopic.CALENDAR_UPSERT, deliver, max_batch=2)
    stats = await worker(services, registry, batch_size=3, concurrency=3).drain()
    assert stats.done == 7 and stats.claimed == 7
    assert [i for i in seen if i in {r.id for r in chain}] == [r.id for r in chain]
    assert set(seen) == {r.id for r in chain + others}
