"""Teams' per-conversation send limits, kept per process with sliding windows.

Teams allows a bot, per conversation: 7 sends a second, 8 per 2 s, 60 per 30 s, 1800 an hour.
Staying under them avoids 429s; the notifier still backs off when Teams says 429 anyway
(several processes share the limits, and Teams also limits per tenant).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

TEAMS_WINDOWS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))


class Throttled(Exception):
    """Sending now would mean waiting longer than the caller allows."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"conversation send limit reached; retry in {wait:.1f}s")
        self.wait = wait


class ConversationThrottle:
    def __init__(
        self,
        windows: tuple[tuple[float, int], ...] = TEAMS_WINDOWS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_conversations: int = 10_000,
    ) -> None:
        self._windows = windows
        self._longest = max(seconds for seconds, _ in windows)
        self._now = monotonic
        self._sleep = sleep
        self._sent: OrderedDict[str, deque[float]] = OrderedDict()
        self._max = max_conversations

    def delay(self, conversation_id: str) -> float:
        """Seconds until one more send to this conversation stays within every window."""
        sent = self._sent.get(conversation_id)
        if not sent:
            return 0.0
        now = self._now()
        while sent and now - sent[0] >= self._longest:
            sent.popleft()
        wait = 0.0
        for seconds, limit in self._windows:
            in_window = [t for t in sent if now - t < seconds]
            if len(in_window) >= limit:
                # the oldest send that must leave the window before one more fits
                oldest = in_window[len(in_window) - limit]
                wait = max(wait, oldest + seconds - now)
        return wait

    def record(self, conversation_id: str) -> None:
        sent = self._sent.setdefault(conversation_id, deque())
        sent.append(self._now())
        self._sent.move_to_end(conversation_id)
        while len(self._sent) > self._max:
            self._sent.popitem(last=False)

    async def acquire(self, conversation_id: str, max_wait: float) -> None:
        """Wait for a free send slot (up to `max_wait` seconds) and take it."""
        while True:
            wait = self.delay(conversation_id)
            if wait <= 0:
                self.record(conversation_id)
                return
            if wait > max_wait:
                raise Throttled(wait)
            await self._sleep(wait)
