"""In-memory unit of work for office-hours use cases: the rules run without a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any
from uuid import UUID

from core.officehours.errors import DuplicateIdempotencyKey
from core.officehours.model import Booking, BookingStatus, Interval, Occurrence, OfficeHoursType
from core.outbox import OutboxMessage
from core.people.model import Person


class Store:
    def __init__(self) -> None:
        self.people: dict[UUID, Person] = {}
        self.types: dict[UUID, OfficeHoursType] = {}
        self.occurrences: dict[UUID, Occurrence] = {}
        self.waitlist_seq: dict[UUID, int] = {}
        self.quota: dict[tuple[UUID, str], int] = {}
        self.bookings: dict[UUID, Booking] = {}
        self.outbox: list[OutboxMessage] = []


class FakePeople:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def get(self, org_id: UUID, person_id: UUID) -> Person | None:
        p = self.s.people.get(person_id)
        return p if p and p.organisation_id == org_id else None

    async def get_many(self, org_id: UUID, person_ids: Sequence[UUID]) -> list[Person]:
        return [p for i in person_ids if (p := await self.get(org_id, i))]


class FakeTypes:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, t: OfficeHoursType) -> None:
        self.s.types[t.id] = replace(t)

    async def get(self, org_id: UUID, type_id: UUID) -> OfficeHoursType | None:
        t = self.s.types.get(type_id)
        return replace(t) if t and t.organisation_id == org_id else None

    async def update(self, t: OfficeHoursType) -> None:
        self.s.types[t.id] = replace(t)

    async def list(
        self,
        org_id: UUID,
        host_ids: Any = None,
        include_inactive: bool = False,
        owner_id: Any = None,
    ) -> list[OfficeHoursType]:
        return [
            replace(t)
            for t in self.s.types.values()
            if t.organisation_id == org_id
            and (host_ids is None or t.host_id in host_ids)
            and (include_inactive or t.bookable)
        ]


class FakeOccurrences:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def ensure(self, occurrence: Occurrence) -> Occurrence:
        found = await self.find(occurrence.type_id, occurrence.start_utc)
        if found:
            return found
        self.s.occurrences[occurrence.id] = occurrence
        return occurrence

    async def get(self, occurrence_id: UUID) -> Occurrence | None:
        return self.s.occurrences.get(occurrence_id)

    async def find(self, type_id: UUID, start_utc: datetime) -> Occurrence | None:
        return next(
            (
                o
                for o in self.s.occurrences.values()
                if (o.type_id, o.start_utc) == (type_id, start_utc)
            ),
            None,
        )

    async def take_seat(self, occurrence_id: UUID) -> bool:
        o = self.s.occurrences[occurrence_id]
        if o.taken >= o.capacity:
            return False
        self.s.occurrences[occurrence_id] = replace(o, taken=o.taken + 1)
        return True

    async def release_seat(self, occurrence_id: UUID) -> None:
        o = self.s.occurrences[occurrence_id]
        self.s.occurrences[occurrence_id] = replace(o, taken=max(0, o.taken - 1))

    async def next_waitlist_position(self, occurrence_id: UUID) -> int:
        self.s.waitlist_seq[occurrence_id] = self.s.waitlist_seq.get(occurrence_id, 0) + 1
        return self.s.waitlist_seq[occurrence_id]

    async def seats_taken(self, occurrence_id: UUID) -> int:
        return self.s.occurrences[occurrence_id].taken

    async def count_session(self, type_id: UUID, periods: Sequence[tuple[str, int]]) -> bool:
        if any(self.s.quota.get((type_id, p), 0) >= limit for p, limit in periods):
            return False
        for p, _ in periods:
            self.s.quota[(type_id, p)] = self.s.quota.get((type_id, p), 0) + 1
        return True

    async def uncount_session(self, type_id: UUID, periods: Sequence[str]) -> None:
        for p in periods:
            self.s.quota[(type_id, p)] = max(0, self.s.quota.get((type_id, p), 0) - 1)

    async def list_taken(
        self, org_id: UUID, host_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> list[Occurrence]:
        return sorted(
            (
                o
                for o in self.s.occurrences.values()
                if o.organisation_id == org_id
                and o.host_id in host_ids
                and o.start_utc < end
                and o.end_utc > start
                and o.taken > 0
            ),
            key=lambda o: o.start_utc,
        )


class FakeBookings:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, booking: Booking) -> None:
        if booking.idempotency_key and any(
            b.idempotency_key == booking.idempotency_key
            and b.organisation_id == booking.organisation_id
            for b in self.s.bookings.values()
        ):
            raise DuplicateIdempotencyKey("taken")
        self.s.bookings[booking.id] = replace(booking)

    async def get(self, org_id: UUID, booking_id: UUID) -> Booking | None:
        b = self.s.bookings.get(booking_id)
        return replace(b) if b and b.organisation_id == org_id else None

    async def get_by_key(self, org_id: UUID, key: str) -> Booking | None:
        return next(
            (
                replace(b)
                for b in self.s.bookings.values()
                if b.organisation_id == org_id and b.idempotency_key == key
            ),
            None,
        )

    async def update(self, booking: Booking) -> None:
        self.s.bookings[booking.id] = replace(booking)

    async def holds_place(self, occurrence_id: UUID, person_id: UUID) -> bool:
        return any(
            b.occurrence_id == occurrence_id
            and b.person_id == person_id
            and b.status in ("pending", "confirmed", "waitlisted")
            for b in self.s.bookings.values()
        )

    async def record_event(
        self, org_id: UUID, booking_id: UUID, event_id: str, join_url: str
    ) -> None:
        b = self.s.bookings.get(booking_id)
        if b is not None and b.organisation_id == org_id:
            self.s.bookings[b.id] = replace(b, calendar_event_id=event_id, join_url=join_url)

    async def record_occurrence_event(
        self, occurrence_id: UUID, event_id: str, join_url: str
    ) -> None:
        for b in list(self.s.bookings.values()):
            if b.occurrence_id == occurrence_id:
                keep = b.status == "confirmed"
                self.s.bookings[b.id] = replace(
                    b, calendar_event_id=event_id if keep else "", join_url=join_url if keep else ""
                )

    async def for_occurrence(
        self, occurrence_id: UUID, statuses: Sequence[BookingStatus] | None = None
    ) -> list[Booking]:
        found = [
            replace(b)
            for b in self.s.bookings.values()
            if b.occurrence_id == occurrence_id and (statuses is None or b.status in statuses)
        ]
        return sorted(found, key=lambda b: (b.status == "waitlisted", b.waitlist_position or 0))

    async def for_person(
        self,
        org_id: UUID,
        person_id: UUID,
        start: Any = None,
        statuses: Any = None,
        limit: int = 100,
    ) -> list[Booking]:
        return [replace(b) for b in self.s.bookings.values() if b.person_id == person_id][:limit]

    async def for_host(
        self, org_id: UUID, host_id: UUID, start: Any = None, statuses: Any = None, limit: int = 100
    ) -> list[Booking]:
        return [replace(b) for b in self.s.bookings.values() if b.host_id == host_id][:limit]


class FakeOutbox:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, message: OutboxMessage) -> None:
        self.s.outbox.append(message)


class NoCalendarLinks:
    """No calendar sync has delivered anything yet."""

    async def get(self, aggregate_type: str, aggregate_id: str) -> None:
        return None


class FakeUnitOfWork:
    """Changes go to a copy of the store and replace it only on commit."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def __aenter__(self) -> FakeUnitOfWork:
        work = Store()
        for name, value in vars(self._store).items():
            setattr(work, name, type(value)(value))
        self._work = work
        self.people = FakePeople(work)
        self.office_hours_types = FakeTypes(work)
        self.occurrences = FakeOccurrences(work)
        self.bookings = FakeBookings(work)
        self.outbox = FakeOutbox(work)
        self.calendar_links = NoCalendarLinks()
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._committed and exc_type is None:
            for name, value in vars(self._work).items():
                setattr(self._store, name, value)

    async def commit(self) -> None:
        self._committed = True


class NoBusy:
    async def busy(
        self,
        org_id: UUID,
        person_ids: Sequence[UUID],
        start: datetime,
        end: datetime,
        *,
        fresh: bool = False,
    ) -> dict[UUID, list[Interval]]:
        return {}


class TextInvitations:
    def render(self, invitation: Any) -> bytes:
        return f"{invitation.method} {invitation.uid} {invitation.sequence}".encode()
