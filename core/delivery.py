"""Delivering outbox rows: the handler contract every adapter implements, and the retry policy.

A handler receives one `OutboxMessage` and either returns a result dict (stored on the row, e.g.
the Graph event id) or raises one of the classified errors below. Anything else it raises counts
as transient (the worker never crashes on a handler's bug; the row is retried, then dead-lettered).

Adapters register by outbox kind from `app/` (the composition root):

    registry.register(OutboxTopic.NOTIFY, notifier.deliver)
    registry.register_batch(OutboxTopic.CALENDAR_UPSERT, calendar.deliver_many, max_batch=20)
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.outbox import OutboxMessage

Result = dict[str, Any]
Handler = Callable[[OutboxMessage], Awaitable[Result]]
#: delivers several rows of one kind at once (e.g. one Graph `$batch`); returns, in order, one
#: result dict or one DeliveryError per message
BatchHandler = Callable[[Sequence[OutboxMessage]], Awaitable[list["Result | DeliveryError"]]]


class DeliveryError(Exception):
    """A classified delivery failure; `reason` is stored on the row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientError(DeliveryError):
    """Worth retrying later (throttling, timeouts, 5xx); `retry_after` is the receiver's hint."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Retrying cannot help (bad request, missing permission): the row is buried with the reason."""


class SkippedError(DeliveryError):
    """Nothing to do and nothing wrong (no licence, feature off): the row is done, marked skipped."""


@dataclass(frozen=True)
class Route:
    kind: str
    handler: Handler | None = None
    batch_handler: BatchHandler | None = None
    max_batch: int = 1


class HandlerRegistry:
    """Outbox kind → the adapter that delivers it."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def register(self, kind: str, handler: Handler) -> None:
        self._routes[kind] = Route(kind, handler=handler)

    def register_batch(self, kind: str, handler: BatchHandler, max_batch: int = 20) -> None:
        if not 1 <= max_batch <= 20:
            raise ValueError("a batch holds 1 to 20 messages")
        self._routes[kind] = Route(kind, batch_handler=handler, max_batch=max_batch)

    def route(self, kind: str) -> Route | None:
        return self._routes.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._routes)

    def __contains__(self, kind: object) -> bool:
        return kind in self._routes


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, honouring the receiver's `Retry-After`."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(hours=1)
    #: each delay is scaled by a random factor in [1 - jitter, 1]
    jitter: float = 0.5

    def delay(
        self, attempts: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> timedelta:
        """How long to wait before attempt number `attempts + 1` (`attempts` ≥ 1 already made)."""
        r = (rng or random).random()
        exponent = min(max(attempts - 1, 0), 30)
        backoff = min(self.cap.total_seconds(), self.base.total_seconds() * (2**exponent))
        backoff *= 1 - self.jitter * r
        if retry_after is not None and retry_after >= 0:
            # never earlier than the receiver asked; a little spread so retries do not stampede
            hinted = min(self.cap.total_seconds(), retry_after) * (1 + 0.1 * r)
            return timedelta(seconds=hinted)
        return timedelta(seconds=backoff)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
