"""The matcher's cache of each host's next free office-hours slot: a booking, cancellation or
type change in this process shows in the very next match; other processes' writes within
`NEXT_FREE_SECONDS`; a cached slot that has started is never shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.search import expert_facts, next_free
from adapters.search.next_free import CachedNextFree
from core.clock import FixedClock
from core.expertise.ports import WeekLoad
from core.services import Services
from tests.integration.expertise_world import history, kubernetes_threads, person

K8S = "Our Kubernetes deployment keeps crashing after an upgrade. How do we roll back?"
RULES = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)]


async def test_a_booking_makes_the_next_match_show_the_next_slot(
    services: Services, org: Any, clock: FixedClock
) -> None:
    ana = await person(services, org, "ana")
    learner = await person(services, org, "learner")
    await history(services, org, kubernetes_threads("ana", 6))
    assert isinstance(services.expertise.availability, CachedNextFree)
    now = clock.now()
    t = await services.office_hours.create_type(
        org.id,
        ana,
        {
            "title": "Clinic",
            "rules": RULES,
            "slot_minutes": 60,
            "interval_minutes": 60,
            "capacity": 1,
        },
    )
    first, second = (await services.office_hours.slots(org.id, t.id, now, now + timedelta(days=7)))[
        :2
    ]

    def shown(result: Any) -> datetime | None:
        return next(e.next_free for e in result.experts if e.person_id == ana)

    assert shown(await services.expertise.match(org.id, K8S)) == first.start_utc
    assert shown(await services.expertise.match(org.id, K8S)) == first.start_utc  # from memory
    booked = await services.office_hours.book(org.id, t.id, learner, first.start_utc)
    assert shown(await services.expertise.match(org.id, K8S)) == second.start_utc

    await services.office_hours.cancel(org.id, booked.booking.id, by=learner)
    assert shown(await services.expertise.match(org.id, K8S)) == first.start_utc
    await services.office_hours.set_paused(org.id, t.id, True)
    assert shown(await services.expertise.match(org.id, K8S)) is None


class CountingSlots:
    def __init__(self, slots: Mapping[UUID, datetime]) -> None:
        self.slots = dict(slots)
        self.asked: list[list[UUID]] = []

    async def next_free_slots(
        self, org_id: UUID, person_ids: Sequence[UUID], after: datetime
    ) -> dict[UUID, datetime]:
        self.asked.append(list(person_ids))
        return {p: s for p, s in self.slots.items() if p in person_ids and s >= after}

    async def load_hours(
        self, org_id: UUID, person_ids: Sequence[UUID], week_start_utc: datetime
    ) -> dict[UUID, float]:
        return {}

    async def week_load(self, org_id: UUID, week_start_utc: datetime) -> WeekLoad:
        return WeekLoad(frozenset(self.slots))


async def test_cached_slots_are_reused_until_a_write_the_ttl_or_the_slot_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org, ana, ben, nobody = uuid4(), uuid4(), uuid4(), uuid4()
    now = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    soon, tomorrow = now + timedelta(seconds=5), now + timedelta(days=1)
    inner = CountingSlots({ana: soon, ben: tomorrow})
    cache = CachedNextFree(inner)
    clock = [1000.0]
    monkeypatch.setattr(next_free.time, "monotonic", lambda: clock[0])

    assert await cache.next_free_slots(org, [ana, ben, nobody], now) == {ana: soon, ben: tomorrow}
    assert await cache.next_free_slots(org, [ana, ben, nobody], now) == {ana: soon, ben: tomorrow}
    assert await cache.next_free_slots(org, [ana], now + timedelta(seconds=3)) == {ana: soon}
    assert len(inner.asked) == 1
    # ana's slot has started: only she is computed again
    later = now + timedelta(seconds=6)
    assert await cache.next_free_slots(org, [ana, ben], later) == {ben: tomorrow}
    assert inner.asked[-1] == [ana]
    # an office-hours write of this process drops everything
    expert_facts.office_hours_changed()
    await cache.next_free_slots(org, [ben, nobody], later)
    assert inner.asked[-1] == [ben, nobody]
    # another process's write shows within NEXT_FREE_SECONDS
    inner.slots[nobody] = later + timedelta(hours=1)
    assert nobody not in await cache.next_free_slots(org, [nobody], later)
    clock[0] += next_free.NEXT_FREE_SECONDS + 1
    assert (await cache.next_free_slots(org, [nobody], later))[nobody] == later + timedelta(hours=1)
    assert len(inner.asked) == 4
    # nor is an entry used for a time more than NEXT_FREE_SECONDS after (or before) its own
    await cache.next_free_slots(org, [ben], later)
    await cache.next_free_slots(
        org, [ben], later + timedelta(seconds=next_free.NEXT_FREE_SECONDS + 1)
    )
    await cache.next_free_slots(org, [ben], later)
    assert len(inner.asked) == 7
    # another organisation never shares entries
    await cache.next_free_slots(uuid4(), [ben], later)
    assert len(inner.asked) == 8
