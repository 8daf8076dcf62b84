"""Teams' send limits: shared by every process through the database (`SharedThrottle`, what
the outbox notifier uses), or kept in one process (`ConversationThrottle`).

Teams allows a bot, per conversation: 7 sends a second, 8 per 2 s, 60 per 30 s, 1800 an hour;
and per app and tenant 50 requests a second. A send takes from both its conversation's and its
tenant's budget. Staying under them avoids 429s; the notifier still backs off when Teams says
429 anyway, and a 429's Retry-After holds the conversation for everyone.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from core.teams.limits import TEAMS_WINDOWS, TENANT_WINDOWS, send_key, tenant_key
from core.teams.service import TeamsService


class Throttled(Exception):
    """Sending now would mean waiting longer than the caller allows."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"Teams send limit reached; retry in {wait:.1f}s")
        self.wait = wait


class SendLimiter(Protocol):
    async def acquire(
        self, conversation_id: str, max_wait: float, tenant_id: str | None = None
    ) -> None:
        """Wait for a free send slot in the conversation and, given `tenant_id`, in the
        tenant's budget (up to `max_wait` seconds) and take it, or raise Throttled."""
        ...

    async def hold(self, conversation_id: str, seconds: float) -> None:
        """Teams asked to wait: no sends to the conversation for `seconds`."""
        ...


class SharedThrottle:
    """Limits counted in the database, so two workers together stay under Teams' limits."""

    def __init__(
        self,
        teams: TeamsService,
        windows: tuple[tuple[float, int], ...] = TEAMS_WINDOWS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tenant_windows: tuple[tuple[float, int], ...] = TENANT_WINDOWS,
    ) -> None:
        self._teams = teams
        self._windows = windows
        self._tenant_windows = tenant_windows
        self._sleep = sleep

    async def acquire(
        self, conversation_id: str, max_wait: float, tenant_id: str | None = None
    ) -> None:
        waited = 0.0
        while True:
            wait = await self._teams.reserve_send(
                conversation_id,
                self._windows,
                tenant_id=tenant_id,
                tenant_windows=self._tenant_windows,
            )
            if wait <= 0:
                return
            if waited + wait > max_wait:
                raise Throttled(wait)
            await self._sleep(wait)
            waited += wait

    async def hold(self, conversation_id: str, seconds: float) -> None:
        await self._teams.hold_sends(conversation_id, seconds)


class ConversationThrottle:
    def __init__(
        self,
        windows: tuple[tuple[float, int], ...] = TEAMS_WINDOWS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_conversations: int = 10_000,
        tenant_windows: tuple[tuple[float, int], ...] = TENANT_WINDOWS,
    ) -> None:
        self._windows = windows
        self._tenant_windows = tenant_windows
        self._now = monotonic
        self._sleep = sleep
        self._sent: OrderedDict[str, deque[float]] = OrderedDict()
        self._held: dict[str, float] = {}
        self._max = max_conversations

    def delay(self, conversation_id: str, tenant_id: str | None = None) -> float:
        """Seconds until one more send to this conversation (and, given `tenant_id`, in the
        tenant) stays within every window."""
        key = send_key(conversation_id)
        now = self._now()
        wait = max(0.0, self._held.get(key, 0.0) - now, self._delay(key, self._windows, now))
        if tenant_id is not None:
            wait = max(wait, self._delay(tenant_key(tenant_id), self._tenant_windows, now))
        return wait

    def _delay(self, key: str, windows: tuple[tuple[float, int], ...], now: float) -> float:
        wait = 0.0
        sent = self._sent.get(key)
        if not sent:
            return wait
        longest = max(seconds for seconds, _ in windows)
        while sent and now - sent[0] >= longest:
            sent.popleft()
        for seconds, limit in windows:
            in_window = [t for t in sent if now - t < seconds]
            if len(in_window) >= limit:
                # the oldest send that must leave the window before one more fits
                oldest = in_window[len(in_window) - limit]
                wait = max(wait, oldest + seconds - now)
        return wait

    def record(self, conversation_id: str, tenant_id: str | None = None) -> None:
        keys = [send_key(conversation_id)]
        if tenant_id is not None:
            keys.append(tenant_key(tenant_id))
        for key in keys:
            sent = self._sent.setdefault(key, deque())
            sent.append(self._now())
            self._sent.move_to_end(key)
        while len(self._sent) > self._max:
            self._sent.popitem(last=False)

    async def acquire(
        self, conversation_id: str, max_wait: float, tenant_id: str | None = None
    ) -> None:
        """Wait for a free send slot (up to `max_wait` seconds) and take it."""
        while True:
            wait = self.delay(conversation_id, tenant_id)
            if wait <= 0:
                self.record(conversation_id, tenant_id)
                return
            if wait > max_wait:
                raise Throttled(wait)
            await self._sleep(wait)

    async def hold(self, conversation_id: str, seconds: float) -> None:
        key = send_key(conversation_id)
        self._held[key] = max(self._held.get(key, 0.0), self._now() + seconds)
        if len(self._held) > self._max:
            self._held.pop(next(iter(self._held)))
