"""The outbox relay: claims due rows with a lease, delivers them through the registered handlers
outside any transaction, and records each outcome (done, retry later with backoff, dead).

Exactly-once from the receiver's point of view rests on three things: a row is leased to one
worker at a time (conditional UPDATE, `FOR UPDATE SKIP LOCKED` on PostgreSQL); only the holder of
the lease may record the outcome; every call carries the row id as its idempotency key, so a
delivery repeated after a crash or an expired lease is recognised by the receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from core.clock import Clock
from core.delivery import (
    DeliveryError,
    HandlerRegistry,
    PermanentError,
    Result,
    RetryPolicy,
    Route,
    SkippedError,
    TransientError,
)
from core.outbox import OutboxMessage
from core.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    #: rows claimed per round
    batch_size: int = 200
    #: handler calls (or batch requests) running at once
    concurrency: int = 4
    #: how long a claimed row belongs to this worker; must outlast the handler timeout
    lease: timedelta = timedelta(minutes=2)
    handler_timeout: float = 60.0
    #: pause when nothing is due
    idle_seconds: float = 1.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.concurrency < 1:
            raise ValueError("batch size and concurrency must be at least 1")
        if self.lease.total_seconds() <= self.handler_timeout:
            raise ValueError("the lease must outlast the handler timeout")


@dataclass
class DrainStats:
    claimed: int = 0
    done: int = 0
    skipped: int = 0
    retried: int = 0
    dead: int = 0
    #: outcomes not recorded because the lease had passed to someone else
    lost_leases: int = 0
    rounds: int = 0

    def add(self, other: DrainStats) -> None:
        for name in ("claimed", "done", "skipped", "retried", "dead", "lost_leases", "rounds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


Outcome = Result | DeliveryError
#: rows delivered together: one batch request, or one row for a one-at-a-time handler
Unit = tuple[Route, list[OutboxMessage]]


class Worker:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        registry: HandlerRegistry,
        clock: Clock,
        config: WorkerConfig | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._uow = uow
        self._registry = registry
        self._clock = clock
        self.config = config or WorkerConfig()
        self._rng = rng or random.Random()

    async def run_once(self) -> DrainStats:
        """Claim one round of due rows, deliver them, record the outcomes."""
        stats = DrainStats(rounds=1)
        kinds = self._registry.kinds()
        if not kinds:
            return stats
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = list(
                await uow.outbox.claim_due(
                    now, now + self.config.lease, self.config.batch_size, kinds
                )
            )
            await uow.commit()
        stats.claimed = len(claimed)
        if not claimed:
            return stats
        gate = asyncio.Semaphore(self.config.concurrency)

        async def unit(route: Route, messages: list[OutboxMessage]) -> list[Outcome]:
            async with gate:
                return await self._deliver(route, messages)

        units = self._units(claimed)
        outcomes = await asyncio.gather(*(unit(r, ms) for r, ms in units))
        await self._record([(ms, out) for (_, ms), out in zip(units, outcomes, strict=True)], stats)
        return stats

    async def drain(self, max_rounds: int | None = None) -> DrainStats:
        """Deliver until nothing is due now (or after `max_rounds` claims)."""
        return await self._pump(None, max_rounds)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; database outages are waited out, never fatal."""
        log.info(
            "outbox worker started (kinds: %s, concurrency %d)",
            ", ".join(self._registry.kinds()) or "none",
            self.config.concurrency,
        )
        failures = 0
        while not stop.is_set():
            try:
                await self._pump(stop)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                pause = min(30.0, self.config.idle_seconds * 2**failures)
                log.warning("outbox worker round failed; retrying in %.1fs", pause, exc_info=True)
                await _wait(stop, pause)
                continue
            await _wait(stop, self.config.idle_seconds)
        log.info("outbox worker stopped")

    async def _pump(self, stop: asyncio.Event | None, max_claims: int | None = None) -> DrainStats:
        """A pipeline: keep `concurrency` deliveries in flight, claim the next rows and record
        finished ones in the background while they fly, until nothing is due and nothing is in
        flight (or `stop`).

        One claim and one recording transaction at a time; whatever finishes while a recording
        runs goes into the next one. A row's successor in its aggregate becomes claimable only
        once the row's outcome is recorded, so every recording is followed by another claim.
        """
        total = DrainStats()
        kinds = self._registry.kinds()
        if not kinds:
            return total
        limit = self.config.concurrency
        waiting: deque[Unit] = deque()
        running: dict[asyncio.Task[list[Outcome]], list[OutboxMessage]] = {}
        finished: list[tuple[list[OutboxMessage], list[Outcome]]] = []
        claiming: asyncio.Task[list[OutboxMessage]] | None = None
        recording: asyncio.Task[None] | None = None
        may_have_more = True
        # a recording committed while a claim was reading: the claim may have missed the rows
        # it unblocked
        recorded_meanwhile = False
        try:
            while stop is None or not stop.is_set():
                rounds_left = max_claims is None or total.rounds < max_claims
                if claiming is None and may_have_more and len(waiting) < limit and rounds_left:
                    claiming = asyncio.create_task(self._claim(kinds))
                    total.rounds += 1
                    recorded_meanwhile = False
                if recording is None and finished:
                    recording = asyncio.create_task(self._record(finished, total))
                    finished = []
                self._start(waiting, running)
                watched: set[asyncio.Future[Any]] = set(running)
                watched.update(t for t in (claiming, recording) if t is not None)
                if not watched:
                    break
                done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task is claiming:
                        claiming = None
                        claimed: list[OutboxMessage] = task.result()
                        total.claimed += len(claimed)
                        waiting.extend(self._units(claimed))
                        full = len(claimed) >= self.config.batch_size
                        may_have_more = full or recorded_meanwhile
                    elif task is recording:
                        recording = None
                        task.result()
                        may_have_more = True
                        recorded_meanwhile = claiming is not None
                    else:
                        delivery = cast(asyncio.Task[list[Outcome]], task)
                        finished.append((running.pop(delivery), delivery.result()))
        finally:
            if claiming is not None:
                claimed_late = await asyncio.gather(claiming, return_exceptions=True)
                if isinstance(claimed_late[0], list):
                    total.claimed += len(claimed_late[0])
                    waiting.extend(self._units(claimed_late[0]))
            if running:
                results = await asyncio.gather(*running, return_exceptions=True)
                finished += [
                    (messages, outcome)
                    for messages, outcome in zip(running.values(), results, strict=True)
                    if isinstance(outcome, list)
                ]
            if recording is not None:
                await asyncio.gather(recording, return_exceptions=True)
            if finished:
                await self._record(finished, total)
            if waiting:
                await self._release([m for _, messages in waiting for m in messages])
        return total

    def _start(
        self,
        waiting: deque[Unit],
        running: dict[asyncio.Task[list[Outcome]], list[OutboxMessage]],
    ) -> None:
        while waiting and len(running) < self.config.concurrency:
            route, messages = waiting.popleft()
            running[asyncio.create_task(self._deliver(route, messages))] = messages

    async def _claim(self, kinds: list[str]) -> list[OutboxMessage]:
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = list(
                await uow.outbox.claim_due(
                    now, now + self.config.lease, self.config.batch_size, kinds
                )
            )
            await uow.commit()
        return claimed

    async def _release(self, messages: list[OutboxMessage]) -> None:
        """Hand back rows claimed but never started (stopping): due again at once."""
        now = self._clock.now()
        for message in messages:
            message.status, message.next_attempt_at = "pending", now
            message.attempts = max(0, message.attempts - 1)
        async with self._uow() as uow:
            await uow.outbox.finish_many(messages)
            await uow.commit()

    def _units(self, claimed: Sequence[OutboxMessage]) -> list[tuple[Route, list[OutboxMessage]]]:
        by_kind: dict[str, list[OutboxMessage]] = {}
        for message in claimed:
            by_kind.setdefault(message.kind, []).append(message)
        units: list[tuple[Route, list[OutboxMessage]]] = []
        for kind, messages in by_kind.items():
            route = self._registry.route(kind)
            if route is None:
                continue
            size = route.max_batch if route.batch_handler else 1
            for i in range(0, len(messages), size):
                units.append((route, messages[i : i + size]))
        return units

    async def _deliver(self, route: Route, messages: list[OutboxMessage]) -> list[Outcome]:
        try:
            async with asyncio.timeout(self.config.handler_timeout):
                if route.batch_handler is not None:
                    outcomes = list(await route.batch_handler(messages))
                    if len(outcomes) != len(messages):
                        raise PermanentError("the batch handler answered the wrong number of rows")
                    return outcomes
                assert route.handler is not None
                return [await route.handler(messages[0])]
        except DeliveryError as exc:
            return [exc] * len(messages)
        except TimeoutError:
            return [TransientError("timed out")] * len(messages)
        except Exception as exc:
            # a handler bug must not stop the worker: retried, then dead-lettered with the reason
            log.exception("outbox handler for %s failed unexpectedly", route.kind)
            return [TransientError(f"unexpected {type(exc).__name__}: {exc}")] * len(messages)

    async def _record(
        self, finished: list[tuple[list[OutboxMessage], list[Outcome]]], stats: DrainStats
    ) -> None:
        if not finished:
            return
        now = self._clock.now()
        policy = self.config.policy
        messages: list[OutboxMessage] = []
        for batch, outcomes in finished:
            for message, outcome in zip(batch, outcomes, strict=True):
                self._apply(message, outcome, now, policy)
                messages.append(message)
        async with self._uow() as uow:
            kept = await uow.outbox.finish_many(messages)
            await uow.commit()
        for message, ok in zip(messages, kept, strict=True):
            if not ok:
                stats.lost_leases += 1
                log.warning("outbox row %s: lease lost before its outcome was recorded", message.id)
            elif message.status == "done" and "skipped" in message.result:
                stats.skipped += 1
            elif message.status == "done":
                stats.done += 1
            elif message.status == "dead":
                stats.dead += 1
                log.warning("outbox row %s is dead: %s", message.id, message.last_error)
            else:
                stats.retried += 1

    def _apply(
        self, message: OutboxMessage, outcome: Outcome, now: datetime, policy: RetryPolicy
    ) -> None:
        """The row's next state after one delivery attempt."""
        message.lease_until = None
        if isinstance(outcome, dict):
            message.status, message.result, message.last_error = "done", outcome, None
            message.delivered_at = now
        elif isinstance(outcome, SkippedError):
            message.status, message.result = "done", {"skipped": outcome.reason}
            message.last_error, message.delivered_at = None, now
        elif isinstance(outcome, TransientError) and not policy.exhausted(message.attempts):
            message.status, message.last_error = "pending", outcome.reason
            delay = policy.delay(message.attempts, outcome.retry_after, self._rng)
            message.next_attempt_at = now + delay
        else:
            reason = outcome.reason if isinstance(outcome, DeliveryError) else str(outcome)
            if isinstance(outcome, TransientError):
                reason = f"gave up after {message.attempts} attempts: {reason}"
            message.status, message.last_error = "dead", reason


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
