"""The matcher's read model of people's facts: what a write changes counts in the next match,
without a rebuild; other processes' writes arrive within the documented bounds; the exact next
free slot is looked up only for hosts who can still reach the results shown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.search import expert_facts
from adapters.search.expert_facts import CachedExpertFacts
from core.clock import FixedClock
from core.expertise.ports import WeekLoad
from core.services import Services
from tests.integration.expertise_world import history, kubernetes_threads, person

K8S = "Our Kubernetes deployment keeps crashing after an upgrade. How do we roll back?"
RULES = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)]


def read_model(services: Services) -> CachedExpertFacts:
    facts = services.expertise._facts
    assert isinstance(facts, CachedExpertFacts)
    return facts


def other_process_wrote() -> None:
    """Forget this process's own change marks: as if another process had written."""
    expert_facts._changed.clear()
    expert_facts._people.clear()


async def test_pauses_requests_zones_and_bookings_count_in_the_next_match(
    services: Services, org: Any, clock: FixedClock
) -> None:
    ana = await person(services, org, "ana", "Europe/Berlin")
    ben = await person(services, org, "ben")
    asker = await person(services, org, "asker")
    learner = await person(services, org, "learner")
    await history(services, org, kubernetes_threads("ana", 6) + kubernetes_threads("ben", 6))
    facts = read_model(services)
    availability = services.expertise.availability
    now = clock.now()

    first = await services.expertise.match(org.id, K8S, asker_id=asker, top=2)
    assert {e.person_id for e in first.experts} == {ana, ben}
    before = await facts.facts(org.id, [ana, ben], now, availability)
    assert before[ana].profile is None and before[ana].requests_this_week == 0
    assert not before[ana].hosts_office_hours

    await services.expertise.update_profile(org.id, ana, paused_until=now + timedelta(days=3))
    result = await services.expertise.match(org.id, K8S, asker_id=asker, top=2)
    assert result.experts[1].person_id == ana
    assert any(r.startswith("away until") for r in result.experts[1].reasons)

    question, _ = await services.expertise.ask(org.id, asker, K8S)
    (offer,) = await services.expertise.route(org.id, question.id, k=1)
    await services.people.update_person(org.id, ben, time_zone="America/New_York")
    t = await services.office_hours.create_type(
        org.id, ben, {"title": "Clinic", "rules": RULES, "slot_minutes": 60}
    )
    slots = await services.office_hours.slots(org.id, t.id, now, now + timedelta(days=7))
    await services.office_hours.book(org.id, t.id, learner, slots[0].start_utc)

    after = await facts.facts(org.id, [ana, ben], now, availability)
    assert after[ana].profile is not None and after[ana].profile.paused_until is not None
    assert after[offer.expert_id].requests_this_week == 1
    assert after[ben].time_zone == "America/New_York"
    assert after[ben].hosts_office_hours and after[ben].hours_this_week == 1.0
    result = await services.expertise.match(org.id, K8S, asker_id=asker, top=2)
    ben_reasons = next(e.reasons for e in result.experts if e.person_id == ben)
    assert any(r.startswith("free ") for r in ben_reasons)
    assert any("working-day overlap" in r for r in ben_reasons)


async def test_other_processes_writes_arrive_within_the_documented_bounds(
    services: Services, org: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = await person(services, org, "ana")
    await history(services, org, kubernetes_threads("ana", 3))
    facts = read_model(services)
    availability = services.expertise.availability
    now = clock.now()
    monkeypatch.setattr(expert_facts, "POLL_SECONDS", 3600.0)
    monkeypatch.setattr(expert_facts, "PEOPLE_SECONDS", 3600.0)
    assert (await facts.facts(org.id, [ana], now, availability))[ana].profile is None

    await services.expertise.update_profile(org.id, ana, weekly_request_cap=1)
    await services.people.update_person(org.id, ana, time_zone="Asia/Tokyo")
    other_process_wrote()
    stale = (await facts.facts(org.id, [ana], now, availability))[ana]
    assert stale.profile is None and stale.time_zone == "Europe/Berlin"

    # the change log is read once the poll interval has passed; people on their own interval
    monkeypatch.setattr(expert_facts, "POLL_SECONDS", 0.0)
    fresh = (await facts.facts(org.id, [ana], now, availability))[ana]
    assert fresh.profile is not None and fresh.profile.weekly_request_cap == 1
    assert fresh.time_zone == "Europe/Berlin"
    monkeypatch.setattr(expert_facts, "PEOPLE_SECONDS", 0.0)
    assert (await facts.facts(org.id, [ana], now, availability))[ana].time_zone == "Asia/Tokyo"

    # someone the read model never saw (imported elsewhere) is read at once
    newcomer = await person(services, org, "newcomer", "Europe/Lisbon")
    other_process_wrote()
    seen = await facts.facts(org.id, [newcomer], now, availability)
    assert seen[newcomer].time_zone == "Europe/Lisbon"
    # people of another organisation are never facts of this one
    other = await services.people.create_organisation("globex", "Globex")
    stranger = await services.people.add_person(other.id, "Hank", "hank@globex.example")
    assert await facts.facts(org.id, [stranger.id], now, availability) == {}


async def test_a_new_week_starts_with_no_requests(
    services: Services, org: Any, clock: FixedClock
) -> None:
    asker = await person(services, org, "asker")
    ana = await person(services, org, "ana")
    await history(services, org, kubernetes_threads("ana", 3))
    question, _ = await services.expertise.ask(org.id, asker, K8S)
    await services.expertise.route(org.id, question.id, k=1)
    facts = read_model(services)
    availability = services.expertise.availability
    assert (await facts.facts(org.id, [ana], clock.now(), availability))[ana].requests_this_week
    clock.advance(timedelta(days=7))
    fresh = await facts.facts(org.id, [ana], clock.now(), availability)
    assert fresh[ana].requests_this_week == 0


class CountingSlots:
    """Office hours where everyone hosts and is free soon; remembers whose slot was asked for."""

    def __init__(self, hosts: Sequence[UUID], free: datetime) -> None:
        self.hosts = list(hosts)
        self.free = free
        self.asked: list[UUID] = []

    async def next_free_slots(
        self, org_id: UUID, person_ids: Sequence[UUID], after: datetime
    ) -> dict[UUID, datetime]:
        self.asked.extend(person_ids)
        return {p: self.free for p in person_ids if p in self.hosts}

    async def load_hours(
        self, org_id: UUID, person_ids: Sequence[UUID], week_start_utc: datetime
    ) -> dict[UUID, float]:
        return {}

    async def week_load(self, org_id: UUID, week_start_utc: datetime) -> WeekLoad:
        return WeekLoad(frozenset(self.hosts))


async def test_the_next_free_slot_is_looked_up_only_for_hosts_who_can_reach_the_top(
    services: Services, org: Any, clock: FixedClock
) -> None:
    strong = await person(services, org, "strong")
    weak = await person(services, org, "weak")
    await history(services, org, kubernetes_threads("strong", 8) + kubernetes_threads("weak", 1))
    slots = CountingSlots([strong, weak], clock.now() + timedelta(hours=20))
    services.expertise.availability = slots
    result = await services.expertise.match(org.id, K8S, top=1)
    assert result.experts[0].person_id == strong
    assert any(r.startswith("free ") for r in result.experts[0].reasons)
    # the weak match cannot reach the top even when free tomorrow: no slot computed for them
    assert slots.asked == [strong]

    slots.asked.clear()
    result = await services.expertise.match(org.id, K8S, top=2)
    assert [e.person_id for e in result.experts] == [strong, weak]
    assert sorted(slots.asked) == sorted([strong, weak])
    assert all(any(r.startswith("free ") for r in e.reasons) for e in result.experts)
