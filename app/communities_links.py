"""Glue between communities and their neighbours: tags from the expertise feature's shared
skill vocabulary, show-and-tell sessions on office hours. Lives in `app/` because sibling
features never import each other."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from core.communities.ports import BookingFigures, SessionSeat
from core.errors import InvalidInput
from core.expertise.service import ExpertiseService
from core.officehours.errors import NotASlot
from core.officehours.model import Booking
from core.officehours.service import OfficeHoursService
from core.ports import UnitOfWorkFactory


class SkillVocabularyTags:
    """`core.communities.ports.TagVocabulary` over the organisation's skill vocabulary: a tag
    is known when it names a skill or one of its aliases, and is stored as the skill's name."""

    def __init__(self, expertise: ExpertiseService) -> None:
        self._expertise = expertise

    async def normalise(self, org_id: UUID, tags: Sequence[str]) -> tuple[list[str], list[str]]:
        ids, unknown = await self._expertise.resolve_tags(org_id, tags, strict=False)
        if not ids:
            return [], list(unknown)
        names = {s.id: s.name for s in await self._expertise.skills(org_id)}
        return [names[i] for i in ids if i in names], list(unknown)


#: said when a show-and-tell start is not one of the session's own times
NOT_A_SESSION = "that time is not one of this show-and-tell's sessions: pick one of its next dates"


class OfficeHoursSessions:
    """`core.communities.ports.SessionBooking` over office hours: a show-and-tell is a weekly
    session type owned by the community, one slot a week whose seats are demo slots; people
    who come to watch hold audience places (bookings that take no seat)."""

    def __init__(self, office_hours: OfficeHoursService, uow: UnitOfWorkFactory) -> None:
        self._oh = office_hours
        self._uow = uow

    async def create_weekly(
        self,
        org_id: UUID,
        community_id: UUID,
        host_id: UUID,
        title: str,
        description: str,
        weekday: int,
        start: str,
        minutes: int,
        time_zone: str,
        capacity: int,
    ) -> UUID:
        try:
            begin = datetime.strptime(start, "%H:%M")
        except (TypeError, ValueError):
            raise InvalidInput("a session starts at a time such as 16:00") from None
        finish = begin + timedelta(minutes=minutes)
        if finish.day != begin.day:
            raise InvalidInput("a session ends on the day it starts")
        spec = {
            "title": title,
            "description": description,
            "time_zone": time_zone,
            "rules": [{"weekday": weekday, "start": start, "end": finish.strftime("%H:%M")}],
            "slot_minutes": minutes,
            "interval_minutes": minutes,
            "capacity": capacity,
            "min_notice_minutes": 0,
            "horizon_days": 56,
        }
        t = await self._oh.create_type(
            org_id, host_id, spec, owner_kind="community", owner_id=community_id
        )
        return t.id

    async def session_ids(self, org_id: UUID, community_id: UUID) -> Sequence[UUID]:
        types = await self._oh.list_types(org_id, owner_id=community_id)
        return [t.id for t in types if t.owner_kind == "community"]

    async def next_starts(
        self, org_id: UUID, session_id: UUID, after: datetime, count: int
    ) -> Sequence[datetime]:
        slots = await self._oh.slots(
            org_id, session_id, after, after + timedelta(days=56), include_full=True
        )
        return [s.start_utc for s in slots[:count]]

    async def sign_up(
        self, org_id: UUID, session_id: UUID, person_id: UUID, start: datetime, note: str
    ) -> SessionSeat:
        result = await self._oh.book(org_id, session_id, person_id, start, note=note)
        return _seat(result.booking)

    async def attend(
        self, org_id: UUID, session_id: UUID, person_id: UUID, start: datetime
    ) -> SessionSeat:
        try:
            result = await self._oh.book(org_id, session_id, person_id, start, audience=True)
        except NotASlot:
            raise NotASlot(NOT_A_SESSION) from None
        return _seat(result.booking)

    async def leave(
        self, org_id: UUID, session_id: UUID, person_id: UUID, start: datetime
    ) -> SessionSeat | None:
        try:
            left = await self._oh.leave_audience(org_id, session_id, person_id, start)
        except NotASlot:
            raise NotASlot(NOT_A_SESSION) from None
        return _seat(left) if left is not None else None

    async def seats(self, org_id: UUID, session_id: UUID, start: datetime) -> Sequence[SessionSeat]:
        async with self._uow() as uow:
            occurrence = await uow.occurrences.find(session_id, start)
            if occurrence is None or occurrence.organisation_id != org_id:
                return []
            bookings = await uow.bookings.for_occurrence(occurrence.id, ("confirmed", "waitlisted"))
        # the agenda follows sign-up order; the waitlist its line order
        ordered = sorted(
            bookings,
            key=lambda b: (b.status != "confirmed", b.waitlist_position or 0, b.created_at),
        )
        return [_seat(b) for b in ordered]

    async def mark_attendance(self, org_id: UUID, booking_id: UUID, attended: bool) -> None:
        await self._oh.mark_attendance(org_id, booking_id, attended)

    async def invitation(self, org_id: UUID, booking_id: UUID) -> bytes:
        return await self._oh.invitation(org_id, booking_id)


def _seat(b: Booking) -> SessionSeat:
    return SessionSeat(
        b.id, b.person_id, b.start_utc, b.status, b.note, b.attendance, audience=b.audience
    )


class OfficeHoursFigures:
    """`core.communities.ports.BookingStats` over office hours bookings: bookings and
    attendance in a period, and the hours each host spent in sessions that were booked."""

    def __init__(self, office_hours: OfficeHoursService, uow: UnitOfWorkFactory) -> None:
        self._oh = office_hours
        self._uow = uow

    async def figures(
        self, org_id: UUID, host_ids: Sequence[UUID] | None, start: datetime, end: datetime
    ) -> BookingFigures:
        if host_ids is None:
            types = await self._oh.list_types(org_id, include_inactive=True)
            host_ids = list(dict.fromkeys(t.host_id for t in types))
        bookings = attended = 0
        hours: dict[UUID, float] = {}
        async with self._uow() as uow:
            for host in host_ids:
                rows = await uow.bookings.for_host(
                    org_id, host, start, statuses=("confirmed",), limit=100_000
                )
                seen: set[UUID] = set()
                for b in rows:
                    if not start <= b.start_utc < end:
                        continue
                    bookings += 1
                    attended += b.attendance == "attended"
                    if b.occurrence_id not in seen:
                        seen.add(b.occurrence_id)
                        span = (b.end_utc - b.start_utc).total_seconds() / 3600
                        hours[host] = hours.get(host, 0.0) + span
        return BookingFigures(bookings, attended, hours)
