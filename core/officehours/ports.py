"""Ports of the office-hours feature: its repositories, busy time and invitations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from core.officehours.model import Booking, BookingStatus, Interval, Occurrence, OfficeHoursType


class OfficeHoursTypeRepository(Protocol):
    async def add(self, t: OfficeHoursType) -> None: ...

    async def get(self, org_id: UUID, type_id: UUID) -> OfficeHoursType | None: ...

    async def update(self, t: OfficeHoursType) -> None: ...

    async def list(
        self,
        org_id: UUID,
        host_ids: Sequence[UUID] | None = None,
        include_inactive: bool = False,
        owner_id: UUID | None = None,
    ) -> Sequence[OfficeHoursType]: ...


class OccurrenceRepository(Protocol):
    async def ensure(self, occurrence: Occurrence) -> Occurrence:
        """The occurrence of (type, start): inserted when new, the stored one otherwise.
        Safe when several transactions ensure the same one at once."""
        ...

    async def get(self, occurrence_id: UUID) -> Occurrence | None: ...

    async def find(self, type_id: UUID, start_utc: datetime) -> Occurrence | None: ...

    async def take_seat(self, occurrence_id: UUID) -> bool:
        """Atomically take one seat if one is free; False when full."""
        ...

    async def release_seat(self, occurrence_id: UUID) -> None: ...

    async def next_waitlist_position(self, occurrence_id: UUID) -> int: ...

    async def seats_taken(self, occurrence_id: UUID) -> int:
        """The counter as this transaction sees it (after its own changes)."""
        ...

    async def count_session(self, type_id: UUID, periods: Sequence[tuple[str, int]]) -> bool:
        """Count one more booked session in each (period, limit); False, counting nothing
        that sticks, when one period is at its limit (the caller rolls back)."""
        ...

    async def uncount_session(self, type_id: UUID, periods: Sequence[str]) -> None: ...

    async def list_taken(
        self, org_id: UUID, host_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> Sequence[Occurrence]:
        """Occurrences with at least one seat taken, of these hosts, overlapping [start, end)."""
        ...


class BookingRepository(Protocol):
    async def add(self, booking: Booking) -> None:
        """Raises `DuplicateIdempotencyKey` when the key is already stored."""
        ...

    async def get(self, org_id: UUID, booking_id: UUID) -> Booking | None: ...

    async def get_by_key(self, org_id: UUID, key: str) -> Booking | None: ...

    async def update(self, booking: Booking) -> None: ...

    async def for_occurrence(
        self, occurrence_id: UUID, statuses: Sequence[BookingStatus] | None = None
    ) -> Sequence[Booking]:
        """Bookings of one occurrence; waitlisted ones in line order."""
        ...

    async def record_event(
        self, org_id: UUID, booking_id: UUID, event_id: str, join_url: str
    ) -> None:
        """Store a one-to-one booking's calendar event and join link (written only by the
        calendar sync, never by `update`, so a concurrent change cannot erase them)."""
        ...

    async def record_occurrence_event(
        self, occurrence_id: UUID, event_id: str, join_url: str
    ) -> None:
        """A group session's shared event: set on its confirmed bookings, cleared on the rest."""
        ...

    async def holds_place(self, occurrence_id: UUID, person_id: UUID) -> bool:
        """Whether the person has a pending, confirmed or waitlisted booking there."""
        ...

    async def for_person(
        self,
        org_id: UUID,
        person_id: UUID,
        start: datetime | None = None,
        statuses: Sequence[BookingStatus] | None = None,
        limit: int = 100,
    ) -> Sequence[Booking]: ...

    async def for_host(
        self,
        org_id: UUID,
        host_id: UUID,
        start: datetime | None = None,
        statuses: Sequence[BookingStatus] | None = None,
        limit: int = 100,
    ) -> Sequence[Booking]: ...


class BusyTimes(Protocol):
    """Known busy time of people outside peerlearn (their calendars).

    Answers may come from a short cache (slot pages); `fresh=True` asks the calendar again, as
    booking does, so a meeting added since the slots were shown is not double-booked."""

    async def busy(
        self,
        org_id: UUID,
        person_ids: Sequence[UUID],
        start: datetime,
        end: datetime,
        *,
        fresh: bool = False,
    ) -> dict[UUID, list[Interval]]: ...


@dataclass(frozen=True)
class Invitation:
    """Everything an .ics invitation says; built by the core, rendered by an adapter."""

    uid: str
    sequence: int
    method: str
    status: str
    start_utc: datetime
    end_utc: datetime
    stamp: datetime
    summary: str
    description: str
    location: str
    organizer_name: str
    organizer_email: str | None
    attendees: tuple[tuple[str, str | None], ...]
    #: the Teams join link, when the calendar sync has made the meeting
    url: str = ""


class InvitationRenderer(Protocol):
    def render(self, invitation: Invitation) -> bytes:
        """The invitation as an iCalendar (text/calendar) document."""
        ...
