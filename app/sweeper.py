"""Routing on a schedule: questions whose offers timed out move on to the next experts without
anyone running `peerlearn experts sweep`. The outbox worker runs it (`peerlearn worker`, and the
in-process worker of `serve`) every `PEERLEARN_ROUTING_SWEEP_SECONDS`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from core.clock import Clock
from core.expertise.service import ExpertiseService

log = logging.getLogger(__name__)


class RoutingSweeper:
    """Runs `ExpertiseService.sweep` once per `interval` of the injected clock."""

    def __init__(self, expertise: ExpertiseService, clock: Clock, interval: timedelta) -> None:
        if interval <= timedelta(0):
            raise ValueError("the sweep interval must be positive")
        self._expertise = expertise
        self._clock = clock
        self.interval = interval
        self._next: datetime | None = None

    @property
    def next_due(self) -> datetime | None:
        return self._next

    async def tick(self) -> int | None:
        """Sweep when due (the first call sweeps at once): the offers expired, or None when it
        was not time yet."""
        now = self._clock.now()
        if self._next is not None and now < self._next:
            return None
        self._next = now + self.interval
        return await self._expertise.sweep()

    async def run(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        """Sweep on schedule until `stop`; a failed sweep (database away) is tried next time."""
        log.info("routing sweep every %s", self.interval)
        while not stop.is_set():
            try:
                expired = await self.tick()
                if expired:
                    log.info(
                        "routing sweep: %d offers timed out, their questions moved on", expired
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("routing sweep failed; trying again next time", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)


def sweeper_for(
    interval_seconds: int, expertise: ExpertiseService, clock: Clock
) -> RoutingSweeper | None:
    """The sweeper a worker runs, or None when the setting turns it off (0)."""
    if interval_seconds <= 0:
        return None
    return RoutingSweeper(expertise, clock, timedelta(seconds=interval_seconds))
