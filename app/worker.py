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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

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

        async def unit(route: Route, messages: list[OutboxMessage]) -> None:
            async with gate:
                outcomes = await self._deliver(route, messages)
            await self._record(messages, outcomes, stats)

        await asyncio.gather(*(unit(r, ms) for r, ms in self._units(claimed)))
        return stats

    async def drain(self, max_rounds: int | None = None) -> DrainStats:
        """Run rounds until nothing is due now (or `max_rounds`)."""
        total = DrainStats()
        while max_rounds is None or total.rounds < max_rounds:
            stats = await self.run_once()
            total.add(stats)
            if stats.claimed == 0:
                break
        return total

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
                stats = await self.run_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                pause = min(30.0, self.config.idle_seconds * 2**failures)
                log.warning("outbox worker round failed; retrying in %.1fs", pause, exc_info=True)
                await _wait(stop, pause)
                continue
            if stats.claimed == 0:
                await _wait(stop, self.config.idle_seconds)
        log.info("outbox worker stopped")

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
        self, messages: list[OutboxMessage], outcomes: list[Outcome], stats: DrainStats
    ) -> None:
        now = self._clock.now()
        policy = self.config.policy
        for message, outcome in zip(messages, outcomes, strict=True):
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
        async with self._uow() as uow:
            kept = [await uow.outbox.finish(message) for message in messages]
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


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
