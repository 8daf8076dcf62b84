"""Per-person facts for matching, kept in memory beside the expert index.

Per organisation: every person's time zone and name, the weekly caps and pause of people with
a profile, how many questions were offered to each expert this week, and the office-hours
summary of the week (who hosts bookable office hours, booked hours per host). A match reads
its shortlist's facts from here instead of querying the database; only the exact next free
slot of the few hosts who can reach the results shown is looked up per query (by the service,
through the short cache of `next_free.py`, which shares the office-hours change signal).

Freshness, kept incrementally (never a rebuild on a write):
- writes in this process mark what they changed (`changed`, `person_changed`,
  `office_hours_changed`), so the very next match sees them;
- expertise writes of other processes (profiles, pauses, routing offers) come from the ordered
  change log `expertise_change`, read at most `POLL_SECONDS` after the last look;
- office-hours bookings and types of other processes are re-read every `OFFICE_HOURS_SECONDS`;
  people's time zones and names every `PEOPLE_SECONDS` (a person never seen is read at once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from tortoise.functions import Count

from adapters.db.tables.expertise import ChangeRow, OfferRow, ProfileRow
from adapters.db.tables.people import PersonRow
from core.expertise.model import ExpertProfile
from core.expertise.ports import AvailabilityLookup, PersonFacts, WeekLoad
from core.expertise.ranking import week_start

#: how often the expertise change log is read for other processes' writes (seconds)
POLL_SECONDS = 1.0
#: how often office-hours load and hosts are re-read for other processes' writes (seconds)
OFFICE_HOURS_SECONDS = 10.0
#: how often every person's time zone and name are re-read (seconds)
PEOPLE_SECONDS = 300.0
#: change rows applied one by one at most; beyond, profiles and requests reload in bulk
CHANGE_BATCH = 5000

#: organisations with expertise writes in this process since their facts last looked
_changed: set[UUID] = set()
#: people whose time zone or name changed in this process, per organisation
_people: dict[UUID, set[UUID]] = {}
#: bumped by office-hours writes in this process (they do not always know the organisation)
_office_hours = [0]


def changed(org_id: UUID) -> None:
    """An expertise write of this process (profile, pause, offer): read the change log now."""
    _changed.add(org_id)


def person_changed(org_id: UUID, person_id: UUID) -> None:
    """A person's time zone or name changed in this process."""
    _people.setdefault(org_id, set()).add(person_id)


def office_hours_changed() -> None:
    """A booking or an office-hours type changed in this process."""
    _office_hours[0] += 1


def office_hours_generation() -> int:
    """Bumped by every office-hours write of this process (for caches of office-hours facts)."""
    return _office_hours[0]


@dataclass
class _OrgFacts:
    week: datetime
    last_change: int = 0
    zones: dict[UUID, str] = field(default_factory=dict)
    names: dict[UUID, str] = field(default_factory=dict)
    profiles: dict[UUID, ExpertProfile] = field(default_factory=dict)
    requests: dict[UUID, int] = field(default_factory=dict)
    load: WeekLoad = field(default_factory=WeekLoad)
    load_from: object = None
    load_generation: int = -1
    load_at: float = 0.0
    people_at: float = 0.0
    polled_at: float = 0.0


class CachedExpertFacts:
    """`ExpertFacts` from memory, one `_OrgFacts` per organisation, built on first use."""

    def __init__(self) -> None:
        self._orgs: dict[UUID, _OrgFacts] = {}
        self._locks: dict[UUID, asyncio.Lock] = {}
        self._zone_names: dict[str, str] = {}

    def forget(self, org_id: UUID) -> None:
        self._orgs.pop(org_id, None)

    async def facts(
        self,
        org_id: UUID,
        person_ids: Collection[UUID],
        now: datetime,
        availability: AvailabilityLookup,
    ) -> dict[UUID, PersonFacts]:
        state = await self._fresh(org_id, now, availability)
        missing = [pid for pid in person_ids if pid not in state.zones]
        if missing:
            await self._load_people(state, org_id, missing)
        load = state.load
        out: dict[UUID, PersonFacts] = {}
        for pid in person_ids:
            zone_name = state.zones.get(pid)
            if zone_name is None:
                continue
            out[pid] = PersonFacts(
                person_id=pid,
                time_zone=zone_name,
                name=state.names.get(pid, ""),
                profile=state.profiles.get(pid),
                requests_this_week=state.requests.get(pid, 0),
                hours_this_week=float(load.hours.get(pid, 0.0)),
                hosts_office_hours=pid in load.hosts,
            )
        return out

    async def _fresh(
        self, org_id: UUID, now: datetime, availability: AvailabilityLookup
    ) -> _OrgFacts:
        lock = self._locks.setdefault(org_id, asyncio.Lock())
        async with lock:
            clock = time.monotonic()
            week = week_start(now)
            state = self._orgs.get(org_id)
            if state is None:
                _changed.discard(org_id)
                _people.pop(org_id, None)
                state = _OrgFacts(week=week)
                newest = await ChangeRow.filter(organisation_id=org_id).order_by("-id").first()
                state.last_change = newest.id if newest else 0
                await self._load_all_people(state, org_id)
                await self._load_profiles(state, org_id, None)
                await self._load_requests(state, org_id, None)
                state.polled_at = clock
                self._orgs[org_id] = state
            if org_id in _changed or clock - state.polled_at > POLL_SECONDS:
                _changed.discard(org_id)
                state.polled_at = clock
                await self._catch_up(state, org_id)
            if week != state.week:
                state.week = week
                await self._load_requests(state, org_id, None)
                state.load_at = 0.0
            dirty = _people.pop(org_id, None)
            if clock - state.people_at > PEOPLE_SECONDS:
                await self._load_all_people(state, org_id)
            elif dirty:
                await self._load_people(state, org_id, list(dirty))
            if (
                availability is not state.load_from
                or _office_hours[0] != state.load_generation
                or clock - state.load_at > OFFICE_HOURS_SECONDS
            ):
                state.load_generation = _office_hours[0]
                state.load = await availability.week_load(org_id, week)
                state.load_from = availability
                state.load_at = clock
            return state

    # loading ------------------------------------------------------------------------------
    def _zone(self, name: str) -> str:
        # 100,000 people share a few dozen zones: keep one string per zone
        return self._zone_names.setdefault(name, name)

    async def _load_all_people(self, state: _OrgFacts, org_id: UUID) -> None:
        rows = await PersonRow.filter(organisation_id=org_id).values_list("id", "time_zone", "name")
        state.zones = {_uuid(i): self._zone(str(z)) for i, z, _ in rows}
        state.names = {_uuid(i): str(n) for i, _, n in rows}
        state.people_at = time.monotonic()

    async def _load_people(self, state: _OrgFacts, org_id: UUID, ids: list[UUID]) -> None:
        # by primary key alone: with the organisation in the WHERE clause too, SQLite may pick
        # the organisation index and scan every person of a large organisation
        found: set[UUID] = set()
        for start in range(0, len(ids), 500):
            rows = await PersonRow.filter(id__in=ids[start : start + 500]).values_list(
                "id", "organisation_id", "time_zone", "name"
            )
            for pid, org, zone_name, name in rows:
                if _uuid(org) == org_id:
                    found.add(_uuid(pid))
                    state.zones[_uuid(pid)] = self._zone(str(zone_name))
                    state.names[_uuid(pid)] = str(name)
        for pid in set(ids) - found:
            state.zones.pop(pid, None)
            state.names.pop(pid, None)

    async def _load_profiles(
        self, state: _OrgFacts, org_id: UUID, people: Iterable[UUID] | None
    ) -> None:
        query = ProfileRow.filter(organisation_id=org_id)
        if people is not None:
            wanted = list(people)
            query = query.filter(person_id__in=wanted)
            for pid in wanted:
                state.profiles.pop(pid, None)
        else:
            state.profiles = {}
        rows = await query.values_list(
            "person_id", "weekly_request_cap", "weekly_hours_cap", "paused_until"
        )
        for pid, request_cap, hours_cap, paused in rows:
            person = _uuid(pid)
            state.profiles[person] = ExpertProfile(
                organisation_id=org_id,
                person_id=person,
                weekly_request_cap=int(request_cap),
                weekly_hours_cap=float(hours_cap),
                paused_until=paused,
            )

    async def _load_requests(
        self, state: _OrgFacts, org_id: UUID, experts: Iterable[UUID] | None
    ) -> None:
        query = OfferRow.filter(organisation_id=org_id, offered_at__gte=state.week)
        if experts is not None:
            wanted = list(experts)
            query = query.filter(expert_id__in=wanted)
            for pid in wanted:
                state.requests.pop(pid, None)
        else:
            state.requests = {}
        rows = (
            await query.annotate(n=Count("id")).group_by("expert_id").values_list("expert_id", "n")
        )
        for expert, n in rows:
            state.requests[_uuid(expert)] = int(n)

    async def _catch_up(self, state: _OrgFacts, org_id: UUID) -> None:
        """Apply the expertise changes written since the last look (idempotent re-reads)."""
        changes = (
            await ChangeRow.filter(organisation_id=org_id, id__gt=state.last_change)
            .order_by("id")
            .limit(CHANGE_BATCH)
            .values_list("id", "kind", "ref")
        )
        if not changes:
            return
        if len(changes) >= CHANGE_BATCH:
            newest = await ChangeRow.filter(organisation_id=org_id).order_by("-id").first()
            await self._load_profiles(state, org_id, None)
            await self._load_requests(state, org_id, None)
            state.last_change = newest.id if newest else state.last_change
            return
        profiles = {_uuid(ref) for _, kind, ref in changes if kind == "profile" and ref}
        offers = {_uuid(ref) for _, kind, ref in changes if kind == "offer" and ref}
        if profiles:
            await self._load_profiles(state, org_id, profiles)
        if offers:
            await self._load_requests(state, org_id, offers)
        state.last_change = int(changes[-1][0])


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


__all__ = [
    "CachedExpertFacts",
    "changed",
    "office_hours_changed",
    "office_hours_generation",
    "person_changed",
]
