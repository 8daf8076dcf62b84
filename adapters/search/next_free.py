"""The next free office-hours slot per host, kept briefly in memory for matching.

Every "find an expert" shows each top expert's next free slot, which costs three reads (the
hosts' types with their rules, their taken occurrences, their calendar busy times) and the slot
computation. The answer changes only when office hours change, so it is cached per
(organisation, host):

- any office-hours write of this process (a type created, edited, paused or archived; a seat
  taken or released) drops the whole cache before the next match (the change signal of
  `expert_facts.office_hours_changed`);
- writes of other processes and calendar busy times are seen at most `NEXT_FREE_SECONDS` later;
- an entry serves later queries only while its slot has not started (a slot found after `a`
  is still the first one after any later `b` up to that slot), and only for `after` at most
  `NEXT_FREE_SECONDS` past the one it was computed for (minimum notice moves with the clock).

A stale entry only affects what is shown: a booking always rechecks the slot's capacity.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from adapters.search import expert_facts
from core.expertise.ports import AvailabilityLookup, WeekLoad

#: how long another process's office-hours write (or a calendar change) may go unseen (seconds)
NEXT_FREE_SECONDS = 10.0
#: entries kept at most; beyond, the cache starts afresh
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class _Entry:
    after: datetime
    slot: datetime | None
    at: float


class CachedNextFree:
    """An `AvailabilityLookup` whose `next_free_slots` answers from memory when it can."""

    def __init__(self, inner: AvailabilityLookup, ttl: float = NEXT_FREE_SECONDS) -> None:
        self.inner = inner
        self._ttl = ttl
        self._entries: dict[tuple[UUID, UUID], _Entry] = {}
        self._generation = expert_facts.office_hours_generation()

    async def week_load(self, org_id: UUID, week_start_utc: datetime) -> WeekLoad:
        return await self.inner.week_load(org_id, week_start_utc)

    async def load_hours(
        self, org_id: UUID, person_ids: list[UUID], week_start_utc: datetime
    ) -> Mapping[UUID, float]:
        return await self.inner.load_hours(org_id, person_ids, week_start_utc)

    async def next_free_slots(
        self, org_id: UUID, person_ids: Sequence[UUID], after: datetime
    ) -> dict[UUID, datetime]:
        generation = expert_facts.office_hours_generation()
        if generation != self._generation or len(self._entries) > MAX_ENTRIES:
            self._entries.clear()
            self._generation = generation
        clock = time.monotonic()
        found: dict[UUID, datetime] = {}
        missing: list[UUID] = []
        for pid in dict.fromkeys(person_ids):
            entry = self._entries.get((org_id, pid))
            if entry is None or not self._serves(entry, after, clock):
                missing.append(pid)
            elif entry.slot is not None:
                found[pid] = entry.slot
        if not missing:
            return found
        fresh = await self.inner.next_free_slots(org_id, missing, after)
        found.update(fresh)
        # a write while the slots were computed may not be in them: keep them for this answer only
        if expert_facts.office_hours_generation() == generation:
            for pid in missing:
                self._entries[(org_id, pid)] = _Entry(after, fresh.get(pid), clock)
        return found

    def _serves(self, entry: _Entry, after: datetime, clock: float) -> bool:
        if (
            clock - entry.at > self._ttl
            or not 0 <= (after - entry.after).total_seconds() <= self._ttl
        ):
            return False
        return entry.slot is None or entry.slot >= after


__all__ = ["NEXT_FREE_SECONDS", "CachedNextFree"]
