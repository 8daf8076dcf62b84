"""Per-person facts looked up in the database on every match (no read model).

The default when no cached read model is wired in (small installs, the quality bench): a few
queries for the shortlist per match. `adapters/search/expert_facts.py` keeps the same facts
in memory instead.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from core.expertise.ports import AvailabilityLookup, PersonFacts
from core.expertise.ranking import week_start
from core.ports import UnitOfWorkFactory


class LookupFacts:
    """`ExpertFacts` straight from the database, for the people asked about only."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def facts(
        self,
        org_id: UUID,
        person_ids: Collection[UUID],
        now: datetime,
        availability: AvailabilityLookup,
    ) -> dict[UUID, PersonFacts]:
        ids = list(dict.fromkeys(person_ids))
        if not ids:
            return {}
        week = week_start(now)
        async with self._uow() as uow:
            people = {p.id: p for p in await uow.people.get_many(org_id, ids)}
            present = [pid for pid in ids if pid in people]
            profiles = await uow.expertise.get_profiles(org_id, present)
            requests = await uow.expertise.requests_since(org_id, present, week)
        hours = await availability.load_hours(org_id, present, week) if present else {}
        # whether someone hosts office hours is left unknown: their free slot is looked up
        return {
            pid: PersonFacts(
                person_id=pid,
                time_zone=people[pid].time_zone,
                name=people[pid].name,
                profile=profiles.get(pid),
                requests_this_week=requests.get(pid, 0),
                hours_this_week=float(hours.get(pid, 0.0)),
            )
            for pid in present
        }
