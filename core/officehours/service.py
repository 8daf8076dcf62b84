"""Office-hours use cases: each public method is one unit of work.

Capacity is enforced by the storage, not by reading and then writing: every seat is taken with an
atomic conditional increment on the occurrence row (see `OccurrenceRepository.take_seat`), so no
number of simultaneous bookings can push `taken` above `capacity`. Everything that must reach the
outside (calendar events, notices, LMS scores) is an outbox row written in the same transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from core.clock import Clock
from core.errors import InvalidInput, PersonNotFound
from core.expertise.ports import WeekLoad
from core.ids import new_id
from core.officehours.errors import (
    AlreadyBooked,
    BookingNotFound,
    DuplicateIdempotencyKey,
    IdempotencyKeyReused,
    InvalidTransition,
    LimitReached,
    MissingAnswer,
    NotASlot,
    OfficeHoursNotFound,
    OfficeHoursPaused,
    PlaceAlreadyHeld,
    RatingNotAllowed,
    SlotBeyondHorizon,
    SlotFull,
    SlotInPast,
    SlotInsideNotice,
    SlotUnavailable,
)
from core.officehours.model import (
    Booking,
    BookingStatus,
    Interval,
    Occurrence,
    OfficeHoursType,
    OwnerKind,
    Slot,
    blackout_from,
    location_from,
    override_from,
    question_from,
    rule_from,
    validate,
)
from core.officehours.ports import BusyTimes, Invitation, InvitationRenderer
from core.officehours.slots import (
    Occupancy,
    bookable_window,
    compute_slots,
    is_slot_start,
    local_day,
    week_key,
)
from core.outbox import OutboxMessage, OutboxTopic
from core.people.model import Person
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.timezones import ensure_utc

log = logging.getLogger(__name__)

MAX_KEY = 200
_INT_FIELDS = (
    "slot_minutes",
    "interval_minutes",
    "capacity",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "horizon_days",
)
_OPTIONAL_INT_FIELDS = ("max_per_day", "max_per_week")


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    #: True when an earlier request with the same idempotency key already made this booking
    replayed: bool = False


def _int(spec: Mapping[str, Any], name: str) -> int:
    value = spec[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"'{name}' must be an integer")
    return value


def apply_spec(t: OfficeHoursType, spec: Mapping[str, Any]) -> OfficeHoursType:
    """Apply a JSON-like spec (create or partial update) to `t` and validate the result."""
    known = {
        "title",
        "description",
        "topics",
        "time_zone",
        "rules",
        "overrides",
        "blackouts",
        "questions",
        "location",
        "requires_approval",
        "paused",
        *_INT_FIELDS,
        *_OPTIONAL_INT_FIELDS,
    }
    unknown = sorted(set(spec) - known)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)[:200]}")
    for name in ("title", "description", "time_zone"):
        if name in spec:
            if not isinstance(spec[name], str):
                raise InvalidInput(f"'{name}' must be a string")
            setattr(t, name, spec[name])
    for name in _INT_FIELDS:
        if name in spec:
            setattr(t, name, _int(spec, name))
    for name in _OPTIONAL_INT_FIELDS:
        if name in spec:
            setattr(t, name, None if spec[name] is None else _int(spec, name))
    for name in ("requires_approval", "paused"):
        if name in spec:
            if not isinstance(spec[name], bool):
                raise InvalidInput(f"'{name}' must be true or false")
            setattr(t, name, spec[name])
    lists = {"topics", "rules", "overrides", "blackouts", "questions"}
    for name in lists & set(spec):
        if not isinstance(spec[name], list):
            raise InvalidInput(f"'{name}' must be a list")
    if "topics" in spec:
        if not all(isinstance(x, str) for x in spec["topics"]):
            raise InvalidInput("topics are strings")
        t.topics = tuple(dict.fromkeys(x.strip() for x in spec["topics"]))
    if "rules" in spec:
        t.rules = tuple(rule_from(r, i) for i, r in enumerate(spec["rules"]))
    if "overrides" in spec:
        t.overrides = tuple(override_from(o, i) for i, o in enumerate(spec["overrides"]))
    if "blackouts" in spec:
        t.blackouts = tuple(blackout_from(b, i) for i, b in enumerate(spec["blackouts"]))
    if "questions" in spec:
        t.questions = tuple(question_from(q, i) for i, q in enumerate(spec["questions"]))
    if "location" in spec:
        t.location = location_from(spec["location"])
    validate(t)
    return t


def person_json(p: Person) -> dict[str, Any]:
    return {"person_id": str(p.id), "name": p.name, "email": p.email}


class OfficeHoursService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        busy_times: BusyTimes,
        invitations: InvitationRenderer,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._busy = busy_times
        self._invitations = invitations

    # types --------------------------------------------------------------------------------
    async def create_type(
        self,
        org_id: UUID,
        host_id: UUID,
        spec: Mapping[str, Any],
        *,
        owner_kind: OwnerKind = "expert",
        owner_id: UUID | None = None,
    ) -> OfficeHoursType:
        """Publish a bookable type for `host_id` (an expert, or a community's session host)."""
        async with self._uow() as uow:
            host = await uow.people.get(org_id, host_id)
            if host is None:
                raise PersonNotFound("the host is not a person in this organisation")
            t = OfficeHoursType(
                id=new_id(),
                organisation_id=org_id,
                host_id=host_id,
                title="",
                time_zone=host.time_zone,
                rules=(),
                owner_kind=owner_kind,
                owner_id=owner_id,
                created_at=self._clock.now(),
            )
            apply_spec(t, spec)
            await uow.office_hours_types.add(t)
            await uow.commit()
        return t

    async def update_type(
        self, org_id: UUID, type_id: UUID, changes: Mapping[str, Any]
    ) -> OfficeHoursType:
        """Change a type; existing bookings keep their seats (capacity applies to new ones)."""
        async with self._uow() as uow:
            t = await self._type(uow, org_id, type_id)
            apply_spec(t, changes)
            await uow.office_hours_types.update(t)
            await uow.commit()
        return t

    async def set_paused(self, org_id: UUID, type_id: UUID, paused: bool) -> OfficeHoursType:
        return await self.update_type(org_id, type_id, {"paused": paused})

    async def archive_type(self, org_id: UUID, type_id: UUID) -> OfficeHoursType:
        """Hide a type for good; its existing bookings stay and can still be cancelled."""
        async with self._uow() as uow:
            t = await self._type(uow, org_id, type_id)
            t.archived = True
            await uow.office_hours_types.update(t)
            await uow.commit()
        return t

    async def get_type(self, org_id: UUID, type_id: UUID) -> OfficeHoursType:
        async with self._uow() as uow:
            return await self._type(uow, org_id, type_id)

    async def list_types(
        self,
        org_id: UUID,
        host_id: UUID | None = None,
        include_inactive: bool = False,
        owner_id: UUID | None = None,
    ) -> Sequence[OfficeHoursType]:
        async with self._uow() as uow:
            return await uow.office_hours_types.list(
                org_id,
                [host_id] if host_id else None,
                include_inactive=include_inactive,
                owner_id=owner_id,
            )

    # slots --------------------------------------------------------------------------------
    async def slots(
        self,
        org_id: UUID,
        type_id: UUID,
        start: datetime,
        end: datetime,
        *,
        include_full: bool = True,
    ) -> list[Slot]:
        """Slots of one type in [start, end); full ones (waitlist only) when `include_full`."""
        start, end = ensure_utc(start), ensure_utc(end)
        if end <= start:
            raise InvalidInput("'to' must be after 'from'")
        if end - start > timedelta(days=93):
            raise InvalidInput("ask for at most 93 days of slots at a time")
        async with self._uow() as uow:
            t = await self._type(uow, org_id, type_id)
            occupancy = await self._occupancy(uow, t, start, end)
        return compute_slots(t, start, end, self._clock.now(), occupancy, include_full=include_full)

    async def next_free_slots(
        self, org_id: UUID, person_ids: Sequence[UUID], after: datetime
    ) -> dict[UUID, datetime]:
        """The earliest bookable slot start per expert (those without one are left out)."""
        after = ensure_utc(after)
        ids = list(dict.fromkeys(person_ids))
        if not ids:
            return {}
        now = self._clock.now()
        async with self._uow() as uow:
            types = await uow.office_hours_types.list(org_id, ids)
            if not types:
                return {}
            horizon = max(bookable_window(t, now)[1] for t in types)
            end = max(horizon, after) + timedelta(days=1)
            occs = await uow.occurrences.list_taken(
                org_id, ids, after - timedelta(days=8), end + timedelta(days=8)
            )
        busy = await self._busy.busy(org_id, ids, after, end)
        by_host: dict[UUID, list[Occurrence]] = {}
        for o in occs:
            by_host.setdefault(o.host_id, []).append(o)
        best: dict[UUID, datetime] = {}
        for t in types:
            occupancy = _occupancy_from(t, by_host.get(t.host_id, []), busy.get(t.host_id, []))
            found = compute_slots(t, after, end, now, occupancy, limit=1)
            if found and (t.host_id not in best or found[0].start_utc < best[t.host_id]):
                best[t.host_id] = found[0].start_utc
        return best

    async def load_hours(
        self, org_id: UUID, person_ids: Sequence[UUID], week_start_utc: datetime
    ) -> dict[UUID, float]:
        """Hours of booked sessions each expert hosts in the 7 days from `week_start_utc`."""
        start = ensure_utc(week_start_utc)
        end = start + timedelta(days=7)
        ids = list(dict.fromkeys(person_ids))
        hours = dict.fromkeys(ids, 0.0)
        if not ids:
            return hours
        async with self._uow() as uow:
            occs = await uow.occurrences.list_taken(org_id, ids, start, end)
        for o in occs:
            if start <= o.start_utc < end and o.host_id in hours:
                hours[o.host_id] += (o.end_utc - o.start_utc).total_seconds() / 3600
        return hours

    async def week_load(self, org_id: UUID, week_start_utc: datetime) -> WeekLoad:
        """The matcher's cheap availability summary: who hosts bookable office hours, and each
        host's booked session hours in the 7 days from `week_start_utc` (as `load_hours`)."""
        start = ensure_utc(week_start_utc)
        end = start + timedelta(days=7)
        async with self._uow() as uow:
            types = await uow.office_hours_types.list(org_id, include_inactive=True)
            hosts = list(dict.fromkeys(t.host_id for t in types))
            occs = await uow.occurrences.list_taken(org_id, hosts, start, end) if hosts else []
        hours: dict[UUID, float] = {}
        for o in occs:
            if start <= o.start_utc < end:
                hours[o.host_id] = (
                    hours.get(o.host_id, 0.0) + (o.end_utc - o.start_utc).total_seconds() / 3600
                )
        return WeekLoad(frozenset(t.host_id for t in types if t.bookable), hours)

    # booking ------------------------------------------------------------------------------
    async def book(
        self,
        org_id: UUID,
        type_id: UUID,
        person_id: UUID,
        start: datetime,
        *,
        answers: Mapping[str, str] | None = None,
        note: str = "",
        idempotency_key: str | None = None,
        join_waitlist: bool = True,
        audience: bool = False,
    ) -> BookingResult:
        """Book a seat; when the slot is full, join its waitlist (or refuse with `slot_full`).

        A retried request with the same idempotency key returns the first booking. An
        `audience` place watches a group session without taking a seat: it is confirmed at
        once, however full the session, and asking again gives the place already held."""
        key = _clean_key(idempotency_key)
        start = ensure_utc(start)
        try:
            # the host's calendar is asked before the transaction opens (see `_fresh_busy`)
            async with self._uow() as uow:
                if key:
                    replay = await self._replay(uow, org_id, key, type_id, person_id, start)
                    if replay is not None:
                        return replay
                early = await uow.office_hours_types.get(org_id, type_id)
            busy = await self._fresh_busy(early, start)
            for attempt in range(2):
                try:
                    async with self._uow() as uow:
                        if key:
                            replay = await self._replay(uow, org_id, key, type_id, person_id, start)
                            if replay is not None:
                                return replay
                        booking = await self._book(
                            uow,
                            org_id,
                            type_id,
                            person_id,
                            start,
                            answers,
                            note,
                            key,
                            join_waitlist,
                            audience,
                            busy,
                        )
                        await uow.commit()
                        return BookingResult(booking)
                except PlaceAlreadyHeld:
                    # a simultaneous request gave this person such a place first (the storage
                    # allows one): asked again, this one is answered as if it had come second
                    if attempt:
                        raise
            raise AssertionError("unreachable")
        except (DuplicateIdempotencyKey, AlreadyBooked):
            # a concurrent request with the same key may have won the race: answer with its booking
            if not key:
                raise
            async with self._uow() as uow:
                replay = await self._replay(uow, org_id, key, type_id, person_id, start)
            if replay is None:
                raise
            return replay

    async def join_waitlist(
        self,
        org_id: UUID,
        type_id: UUID,
        person_id: UUID,
        start: datetime,
        *,
        idempotency_key: str | None = None,
    ) -> BookingResult:
        """Queue for a slot; if a seat is free after all, it is simply booked."""
        return await self.book(
            org_id, type_id, person_id, start, idempotency_key=idempotency_key, join_waitlist=True
        )

    async def _replay(
        self,
        uow: UnitOfWork,
        org_id: UUID,
        key: str,
        type_id: UUID,
        person_id: UUID,
        start: datetime,
    ) -> BookingResult | None:
        existing = await uow.bookings.get_by_key(org_id, key)
        if existing is None:
            return None
        if (existing.type_id, existing.person_id) != (type_id, person_id) or (
            existing.start_utc != start and existing.cancel_reason != "rescheduled"
        ):
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used for a different booking request"
            )
        return BookingResult(existing, replayed=True)

    async def _book(
        self,
        uow: UnitOfWork,
        org_id: UUID,
        type_id: UUID,
        person_id: UUID,
        start: datetime,
        answers: Mapping[str, str] | None,
        note: str,
        key: str | None,
        join_waitlist: bool,
        audience: bool = False,
        busy: _FreshBusy | None = None,
    ) -> Booking:
        t = await self._type(uow, org_id, type_id)
        if not t.bookable:
            raise OfficeHoursPaused("these office hours are paused and take no bookings")
        found = {p.id: p for p in await uow.people.get_many(org_id, [person_id, t.host_id])}
        person, host = found.get(person_id), found.get(t.host_id)
        if person is None:
            raise PersonNotFound("no such person in this organisation")
        if host is None:
            raise PersonNotFound("the host of these office hours is no longer here")
        clean_answers = _check_answers(t, answers or {})
        if len(note) > 2000:
            raise InvalidInput("notes are limited to 2000 characters")
        now = self._clock.now()
        await self._check_start(uow, t, start, now, busy)
        occ = await self._occurrence(uow, t, start)
        watching: Booking | None = None
        if await uow.bookings.holds_place(occ.id, person_id):
            places = await self._places_of(uow, occ.id, person_id)
            there = next((b for b in places if b.audience or b.status == "confirmed"), None)
            if audience and there is not None:
                # watching twice is one place; a confirmed presenter is there anyway
                return there
            if not audience:
                if any(not b.audience for b in places):
                    raise AlreadyBooked(
                        "you already have a booking or waitlist place for this slot"
                    )
                watching = places[0]
            # else: someone waiting for a seat comes to watch meanwhile
        status: BookingStatus
        position: int | None = None
        if audience:
            status = "confirmed"
        elif await uow.occurrences.take_seat(occ.id):
            status = "pending" if t.requires_approval else "confirmed"
            await self._session_opened(uow, t, occ)
            if watching is not None:
                # from the audience onto the agenda: the audience place gives way to the seat
                await self._leave_audience(uow, t, watching, host, person, now)
        elif join_waitlist:
            status = "waitlisted"
            position = await uow.occurrences.next_waitlist_position(occ.id)
        else:
            raise SlotFull("this slot is full", seats=t.capacity)
        booking = Booking(
            id=new_id(),
            organisation_id=org_id,
            type_id=t.id,
            occurrence_id=occ.id,
            host_id=t.host_id,
            person_id=person_id,
            start_utc=occ.start_utc,
            end_utc=occ.end_utc,
            status=status,
            created_at=now,
            updated_at=now,
            idempotency_key=key,
            answers=clean_answers,
            note=note.strip(),
            waitlist_position=position,
            audience=audience,
        )
        await uow.bookings.add(booking)
        if audience:
            # the host hears of sign-ups that take a seat, not of everyone who comes to watch
            await self._calendar_upsert(uow, t, booking, host, person, occ)
            await self._notify(uow, booking, person.id, "booking_confirmed", t, host)
        elif status == "confirmed":
            await self._calendar_upsert(uow, t, booking, host, person, occ)
            await self._notify(uow, booking, person.id, "booking_confirmed", t, host)
            await self._notify(uow, booking, host.id, "booking_received", t, person)
        elif status == "pending":
            await self._notify(uow, booking, person.id, "booking_requested", t, host)
            await self._notify(uow, booking, host.id, "approval_requested", t, person)
        else:
            await self._notify(uow, booking, person.id, "waitlist_joined", t, host)
        return booking

    async def _fresh_busy(self, t: OfficeHoursType | None, start: datetime) -> _FreshBusy | None:
        """The host's busy time over the slot at `start`, asked of their calendar afresh (not the
        slot pages' brief cache): a meeting added since the slots were shown must not be
        double-booked. Called before the booking's transaction opens, so a slow calendar (the
        adapter gives it a few seconds, then books without it) holds no connection or row lock;
        nothing is asked for a request refused anyway (unknown or paused type, not a slot)."""
        if t is None or not t.bookable:
            return None
        try:
            _check_time(t, start, self._clock.now())
        except InvalidInput:
            return None
        end = start + t.slot_length
        found = await self._busy.busy(t.organisation_id, [t.host_id], start, end, fresh=True)
        return _FreshBusy(t.host_id, start, end, tuple(found.get(t.host_id, [])))

    async def _check_start(
        self,
        uow: UnitOfWork,
        t: OfficeHoursType,
        start: datetime,
        now: datetime,
        busy: _FreshBusy | None,
    ) -> None:
        """Past, notice, horizon, rules, busy time and limits, each with its own code.

        `busy` is the host's calendar as `_fresh_busy` read it before the transaction; taken
        and limits are read here, inside it."""
        _check_time(t, start, now)
        end = start + t.slot_length
        if busy is None or (busy.host_id, busy.start, busy.end) != (t.host_id, start, end):
            # the type changed between the two reads (another host or slot length): ask again
            busy = await self._fresh_busy(t, start)
        occupancy = await self._occupancy(uow, t, start, end, busy=busy.busy if busy else ())
        tiny = start + timedelta(microseconds=1)
        if compute_slots(t, start, tiny, now, occupancy, include_full=True):
            return
        free = Occupancy(occupancy.taken, occupancy.busy)
        if compute_slots(t, start, tiny, now, free, include_full=True):
            raise LimitReached("the host's booking limit for that day or week is reached")
        booked = Occupancy(occupancy.taken, [i for i in occupancy.busy if i.key is not None])
        if compute_slots(t, start, tiny, now, booked, include_full=True):
            raise SlotUnavailable(
                "the host now has a meeting in their calendar at that time: please pick another slot"
            )
        raise SlotUnavailable("the host is busy at that time")

    async def _occurrence(self, uow: UnitOfWork, t: OfficeHoursType, start: datetime) -> Occurrence:
        return await uow.occurrences.ensure(
            Occurrence(
                id=new_id(),
                organisation_id=t.organisation_id,
                type_id=t.id,
                host_id=t.host_id,
                start_utc=start,
                end_utc=start + t.slot_length,
                capacity=t.capacity,
            )
        )

    async def cancel(
        self, org_id: UUID, booking_id: UUID, reason: str = "", *, by: UUID | None = None
    ) -> Booking:
        """Cancel a booking or waitlist place; a freed seat goes to the first in line."""
        reason = (reason or "").strip()
        if len(reason) > 1000:
            raise InvalidInput("a reason is limited to 1000 characters")
        async with self._uow() as uow:
            b = await self._booking(uow, org_id, booking_id)
            booking = await self._cancel(uow, b, reason or "cancelled", by)
            await uow.commit()
        return booking

    async def leave_audience(
        self, org_id: UUID, type_id: UUID, person_id: UUID, start: datetime, reason: str = ""
    ) -> Booking | None:
        """Give up the person's audience place at the sitting at `start`; None when they hold
        none there (a time that is not one of the type's slots is refused)."""
        start = ensure_utc(start)
        async with self._uow() as uow:
            _, occ = await self._sitting(uow, org_id, type_id, start)
            if occ is None:
                return None
            places = await self._places_of(uow, occ.id, person_id)
            watching = next((b for b in places if b.audience), None)
            if watching is None:
                return None
            booking = await self._cancel(uow, watching, reason or "left the audience", person_id)
            await uow.commit()
        return booking

    async def cancel_session(
        self, org_id: UUID, type_id: UUID, start: datetime, reason: str = ""
    ) -> list[Booking]:
        """The host calls off one sitting: every booking and waitlist place of it is cancelled
        and each person told, and its calendar event (one shared event for a group session)
        is cancelled once, with `reason` as the comment."""
        reason = (reason or "").strip()
        if len(reason) > 1000:
            raise InvalidInput("a reason is limited to 1000 characters")
        start = ensure_utc(start)
        async with self._uow() as uow:
            t, occ = await self._sitting(uow, org_id, type_id, start)
            if occ is None:
                return []
            now = self._clock.now()
            if occ.start_utc <= now:
                raise InvalidTransition("a session that has started can no longer be cancelled")
            host = await self._host(uow, t)
            group = occ if occ.capacity > 1 else None
            bookings = list(
                await uow.bookings.for_occurrence(occ.id, ("pending", "confirmed", "waitlisted"))
            )
            people = {
                p.id: p for p in await uow.people.get_many(org_id, [b.person_id for b in bookings])
            }
            for b in bookings:
                previous = b.status
                b.status, b.cancel_reason = "cancelled", reason or "cancelled by the host"
                b.updated_at = now
                b.sequence += 1
                await uow.bookings.update(b)
                if previous != "waitlisted" and not b.audience:
                    await uow.occurrences.release_seat(occ.id)
                person = people.get(b.person_id)
                if person is None:
                    continue
                if previous == "confirmed" and group is None:
                    await self._calendar_cancel(uow, t, b, host, person, b.cancel_reason)
                await self._notify(
                    uow, b, person.id, "booking_cancelled", t, host, reason=b.cancel_reason
                )
            if group is not None and bookings:
                await self._group_calendar(uow, t, group, host, reason or "cancelled by the host")
            await self._session_maybe_closed(uow, t, occ.id, occ.start_utc)
            await uow.commit()
        return bookings

    async def release(self, org_id: UUID, booking_id: UUID) -> Booking:
        """Give back a seat offered from the waitlist; it passes to the next in line."""
        async with self._uow() as uow:
            b = await self._booking(uow, org_id, booking_id)
            if b.promoted_at is None or not b.holds_seat:
                raise InvalidTransition("only a seat offered from the waitlist can be released")
            booking = await self._cancel(uow, b, "released the offered seat", b.person_id)
            await uow.commit()
        return booking

    async def _cancel(self, uow: UnitOfWork, b: Booking, reason: str, by: UUID | None) -> Booking:
        if b.status in ("cancelled", "declined"):
            raise InvalidTransition(f"this booking is already {b.status}")
        now = self._clock.now()
        if b.start_utc <= now:
            raise InvalidTransition("a session that has started can no longer be cancelled")
        t = await self._type(uow, b.organisation_id, b.type_id)
        previous = b.status
        b.status = "cancelled"
        b.cancel_reason = reason
        b.updated_at = now
        b.sequence += 1
        await uow.bookings.update(b)
        if b.audience:
            # an audience place frees no seat: only the calendar hears of it
            host = await self._host(uow, t)
            person = await self._person(uow, b.organisation_id, b.person_id)
            await self._audience_left(uow, t, b, host, person, reason)
        elif previous in ("pending", "confirmed"):
            await uow.occurrences.release_seat(b.occurrence_id)
            host = await self._host(uow, t)
            person = await self._person(uow, b.organisation_id, b.person_id)
            group = await self._group_occurrence(uow, b.occurrence_id)
            if previous == "confirmed" and group is None:
                await self._calendar_cancel(uow, t, b, host, person, reason)
            # tell the other side: the booker when the host cancelled, the host otherwise
            if by is not None and by == t.host_id:
                await self._notify(uow, b, person.id, "booking_cancelled", t, host, reason=reason)
            else:
                await self._notify(uow, b, host.id, "booking_cancelled", t, person, reason=reason)
            promoted = await self._promote(uow, t, b.occurrence_id)
            if previous == "confirmed" and group is not None and not promoted:
                await self._group_calendar(uow, t, group, host, reason)
            await self._session_maybe_closed(uow, t, b.occurrence_id, b.start_utc)
        return b

    async def _session_opened(self, uow: UnitOfWork, t: OfficeHoursType, occ: Occurrence) -> None:
        """The first seat of an occurrence makes it a booked session: count it against the
        per-day and per-week limits atomically, or refuse (the unit of work rolls back)."""
        periods = _periods(t, occ.start_utc)
        if not periods or await uow.occurrences.seats_taken(occ.id) != 1:
            return
        if not await uow.occurrences.count_session(t.id, periods):
            raise LimitReached("the host's booking limit for that day or week is reached")

    async def _session_maybe_closed(
        self, uow: UnitOfWork, t: OfficeHoursType, occurrence_id: UUID, start: datetime
    ) -> None:
        """After a seat was freed and the waitlist had its turn: an empty session no longer
        counts against the limits."""
        periods = _periods(t, start)
        if periods and await uow.occurrences.seats_taken(occurrence_id) == 0:
            await uow.occurrences.uncount_session(t.id, [p for p, _ in periods])

    async def _promote(self, uow: UnitOfWork, t: OfficeHoursType, occurrence_id: UUID) -> int:
        """Give freed seats to the waitlist in order; each promoted person is told.
        Returns how many were confirmed (their calendar update is written)."""
        waiting = await uow.bookings.for_occurrence(occurrence_id, ("waitlisted",))
        now = self._clock.now()
        confirmed = 0
        for w in waiting:
            if not await uow.occurrences.take_seat(occurrence_id):
                return confirmed
            w.status = "pending" if t.requires_approval else "confirmed"
            w.promoted_at = now
            w.updated_at = now
            w.sequence += 1
            await uow.bookings.update(w)
            host = await self._host(uow, t)
            person = await self._person(uow, w.organisation_id, w.person_id)
            if t.owner_kind == "community" and w.status == "confirmed":
                for place in await self._places_of(uow, occurrence_id, w.person_id):
                    if place.audience:
                        await self._leave_audience(uow, t, place, host, person, now)
            if w.status == "confirmed":
                await self._calendar_upsert(uow, t, w, host, person)
                confirmed += 1
            else:
                await self._notify(uow, w, host.id, "approval_requested", t, person)
            await self._notify(uow, w, person.id, "waitlist_promoted", t, host, can_release=True)
        return confirmed

    async def reschedule(self, org_id: UUID, booking_id: UUID, new_start: datetime) -> Booking:
        """Move a booking to another slot of the same type; the old seat goes to the waitlist."""
        new_start = ensure_utc(new_start)
        # the host's calendar is asked before the transaction opens (see `_fresh_busy`)
        async with self._uow() as uow:
            early = await uow.bookings.get(org_id, booking_id)
            early_type = (
                await uow.office_hours_types.get(org_id, early.type_id)
                if early is not None and early.holds_seat and not early.audience
                else None
            )
        busy = await self._fresh_busy(early_type, new_start)
        async with self._uow() as uow:
            b = await self._booking(uow, org_id, booking_id)
            if b.audience:
                raise InvalidTransition(
                    "an audience place is not moved: leave this session and attend the other one"
                )
            if not b.holds_seat:
                raise InvalidTransition("only a pending or confirmed booking can be rescheduled")
            now = self._clock.now()
            if b.start_utc <= now:
                raise InvalidTransition("a session that has started can no longer be moved")
            if new_start == b.start_utc:
                raise InvalidInput("the booking is already at that time")
            t = await self._type(uow, org_id, b.type_id)
            if not t.bookable:
                raise OfficeHoursPaused("these office hours are paused and take no bookings")
            await self._check_start(uow, t, new_start, now, busy)
            occ = await self._occurrence(uow, t, new_start)
            if await uow.bookings.holds_place(occ.id, b.person_id):
                raise AlreadyBooked("you already have a booking or waitlist place for that slot")
            old_occ, old_start = b.occurrence_id, b.start_utc
            # touch the two seat counters in id order, so two bookings swapping slots at the
            # same moment cannot deadlock on PostgreSQL's row locks
            if old_occ.int < occ.id.int:
                await uow.occurrences.release_seat(old_occ)
            if not await uow.occurrences.take_seat(occ.id):
                raise SlotFull("the new slot is full", seats=t.capacity)
            await self._session_opened(uow, t, occ)
            if old_occ.int > occ.id.int:
                await uow.occurrences.release_seat(old_occ)
            b.occurrence_id = occ.id
            b.start_utc, b.end_utc = occ.start_utc, occ.end_utc
            b.updated_at = now
            b.sequence += 1
            await uow.bookings.update(b)
            host = await self._host(uow, t)
            person = await self._person(uow, org_id, b.person_id)
            old_group = await self._group_occurrence(uow, old_occ)
            if b.status == "confirmed":
                if old_group is None and await self._group_occurrence(uow, occ.id) is not None:
                    # from a one-to-one event into a group session's shared one
                    await self._calendar_cancel(uow, t, b, host, person, "rescheduled")
                await self._calendar_upsert(uow, t, b, host, person)
            await self._notify(uow, b, person.id, "booking_rescheduled", t, host)
            await self._notify(uow, b, host.id, "booking_rescheduled", t, person)
            promoted = await self._promote(uow, t, old_occ)
            if b.status == "confirmed" and old_group is not None and not promoted:
                await self._group_calendar(uow, t, old_group, host, "rescheduled")
            await self._session_maybe_closed(uow, t, old_occ, old_start)
            await uow.commit()
        return b

    async def approve(self, org_id: UUID, booking_id: UUID) -> Booking:
        async with self._uow() as uow:
            b = await self._booking(uow, org_id, booking_id)
            if b.status != "pending":
                raise InvalidTransition(
                    f"only a pending booking can be approved (it is {b.status})"
                )
            t = await self._type(uow, org_id, b.type_id)
            b.status = "confirmed"
            b.updated_at = self._clock.now()
            b.sequence += 1
            await uow.bookings.update(b)
            host = await self._host(uow, t)
            person = await self._person(uow, org_id, b.person_id)
            await self._calendar_upsert(uow, t, b, host, person)
            await self._notify(uow, b, person.id, "booking_approved", t, host)
            await uow.commit()
        return b

    async def decline(self, org_id: UUID, booking_id: UUID, reason: str = "") -> Booking:
        reason = (reason or "").strip()[:1000]
        async with self._uow() as uow:
            b = await self._booking(uow, org_id, booking_id)
            if b.status != "pending":
                raise InvalidTransition(
                    f"only a pending booking can be declined (it is {b.status})"
                )
            t = await self._type(uow, org_id, b.type_id)
            b.status = "declined"
            b.cancel_reason = reason or "declined"
            b.updated_at = self._clock.now()
            b.sequence += 1
            await uow.bookings.update(b)
            await uow.occurrences.release_seat(b.occurrence_id)
            host = await self._host(uow, t)
            await self._notify(uow, b, b.person_id, "booking_declined", t, host, reason=reason)
            await self._promote(uow, t, b.occurrence_id)
            await self._session_maybe_closed(uow, t, b.occurrence_id, b.start_utc)
            await uow.commit()
        return b

    async def mark_attendance(self, org_id: UUID, booking_id: UUID, attended: bool) -> Booking:
        """Record attendance once the session has started; attendance is reported to the LMS."""
        async with self._uow() as uow:
            b = await self._booking(uow, org_id, booking_id)
            if b.status != "confirmed":
                raise InvalidTransition("attendance is marked on confirmed bookings only")
            now = self._clock.now()
            if now < b.start_utc:
                raise InvalidTransition("attendance can be marked once the session has started")
            b.attendance = "attended" if attended else "no_show"
            b.updated_at = now
            await uow.bookings.update(b)
            t = await self._type(uow, org_id, b.type_id)
            await uow.outbox.add(
                self._message(
                    b,
                    OutboxTopic.LMS_SCORE,
                    {
                        "person_id": str(b.person_id),
                        "activity_type": "office_hours" if t.owner_kind == "expert" else "session",
                        "activity_id": str(t.id),
                        "activity_title": t.title,
                        "booking_id": str(b.id),
                        "score_given": 1.0 if attended else 0.0,
                        "score_maximum": 1.0,
                        "activity_progress": "Completed" if attended else "Initialized",
                        "grading_progress": "FullyGraded",
                        "timestamp": now.isoformat(),
                    },
                )
            )
            await uow.commit()
        return b

    async def rate(self, org_id: UUID, booking_id: UUID, stars: int, comment: str = "") -> Booking:
        """A 1–5 rating with an optional comment, by an attendee after the session ended."""
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise InvalidInput("a rating is a whole number of stars from 1 to 5")
        comment = (comment or "").strip()
        if len(comment) > 2000:
            raise InvalidInput("a comment is limited to 2000 characters")
        async with self._uow() as uow:
            b = await self._booking(uow, org_id, booking_id)
            if b.status != "confirmed" or b.attendance == "no_show":
                raise RatingNotAllowed("only attendees of a confirmed session can rate it")
            now = self._clock.now()
            if now < b.end_utc:
                raise RatingNotAllowed("a session can be rated once it has ended")
            b.rating, b.rating_comment, b.updated_at = stars, comment, now
            await uow.bookings.update(b)
            await uow.commit()
        return b

    # reading ------------------------------------------------------------------------------
    async def get_booking(self, org_id: UUID, booking_id: UUID) -> Booking:
        async with self._uow() as uow:
            return await self._booking(uow, org_id, booking_id)

    async def bookings_for_person(
        self, org_id: UUID, person_id: UUID, *, upcoming: bool = True, limit: int = 100
    ) -> Sequence[Booking]:
        """Someone's bookings and waitlist places (upcoming ones by default), soonest first."""
        if not 1 <= limit <= 500:
            raise InvalidInput("limit is 1–500")
        since = self._clock.now() if upcoming else None
        async with self._uow() as uow:
            return await uow.bookings.for_person(org_id, person_id, since, limit=limit)

    async def bookings_for_host(
        self, org_id: UUID, host_id: UUID, *, upcoming: bool = True, limit: int = 100
    ) -> Sequence[Booking]:
        if not 1 <= limit <= 500:
            raise InvalidInput("limit is 1–500")
        since = self._clock.now() if upcoming else None
        async with self._uow() as uow:
            return await uow.bookings.for_host(org_id, host_id, since, limit=limit)

    async def waitlist(self, org_id: UUID, type_id: UUID, start: datetime) -> Sequence[Booking]:
        """The waitlist of one slot, first in line first."""
        start = ensure_utc(start)
        async with self._uow() as uow:
            _, occ = await self._sitting(uow, org_id, type_id, start)
            if occ is None:
                return []
            return await uow.bookings.for_occurrence(occ.id, ("waitlisted",))

    async def invitation(self, org_id: UUID, booking_id: UUID) -> bytes:
        """The booking's .ics invitation (cancelled bookings get a CANCEL)."""
        async with self._uow() as uow:
            b = await self._booking(uow, org_id, booking_id)
            t = await self._type(uow, org_id, b.type_id)
            host = await self._host(uow, t)
            person = await self._person(uow, org_id, b.person_id)
        cancelled = b.status in ("cancelled", "declined")
        # the Teams meeting the calendar sync created for it, once the worker has delivered it
        join_url = b.join_url if b.status == "confirmed" else ""
        return self._invitations.render(
            Invitation(
                uid=b.ics_uid,
                sequence=b.sequence,
                method="CANCEL" if cancelled else "REQUEST",
                status="CANCELLED"
                if cancelled
                else ("CONFIRMED" if b.status == "confirmed" else "TENTATIVE"),
                start_utc=b.start_utc,
                end_utc=b.end_utc,
                stamp=b.updated_at,
                summary=_subject(t, host),
                description=_body(t, b)
                + (f"\n\nJoin the Teams meeting: {join_url}" if join_url else ""),
                location=join_url or t.location.describe(),
                organizer_name=host.name,
                organizer_email=host.email,
                attendees=((person.name, person.email),),
                url=join_url,
            )
        )

    # helpers ------------------------------------------------------------------------------
    async def _type(self, uow: UnitOfWork, org_id: UUID, type_id: UUID) -> OfficeHoursType:
        t = await uow.office_hours_types.get(org_id, type_id)
        if t is None:
            raise OfficeHoursNotFound("no such office hours in this organisation")
        return t

    async def _sitting(
        self, uow: UnitOfWork, org_id: UUID, type_id: UUID, start: datetime
    ) -> tuple[OfficeHoursType, Occurrence | None]:
        """The office hours and the occurrence at `start` (None while nobody has booked it);
        a time that is not one of their slots is refused."""
        t = await self._type(uow, org_id, type_id)
        if not is_slot_start(t, start):
            raise NotASlot("that time is not one of the slots these office hours offer")
        return t, await uow.occurrences.find(t.id, start)

    async def _places_of(
        self, uow: UnitOfWork, occurrence_id: UUID, person_id: UUID
    ) -> list[Booking]:
        """The person's pending, confirmed or waitlisted places at an occurrence: one, or an
        audience place next to a place in line for a seat."""
        places = await uow.bookings.for_occurrence(
            occurrence_id, ("pending", "confirmed", "waitlisted")
        )
        return [b for b in places if b.person_id == person_id]

    async def _leave_audience(
        self,
        uow: UnitOfWork,
        t: OfficeHoursType,
        b: Booking,
        host: Person,
        person: Person,
        now: datetime,
    ) -> None:
        """An audience place gives way to a seat the person takes at the same sitting (the
        seat's calendar change follows; a group session's event keeps them as attendee)."""
        reason = "took a seat at the session"
        b.status, b.cancel_reason = "cancelled", reason
        b.updated_at = now
        b.sequence += 1
        await uow.bookings.update(b)
        if await self._group_occurrence(uow, b.occurrence_id) is None:
            await self._calendar_cancel(uow, t, b, host, person, reason)

    async def _audience_left(
        self,
        uow: UnitOfWork,
        t: OfficeHoursType,
        b: Booking,
        host: Person,
        person: Person,
        reason: str,
    ) -> None:
        """After an audience place was cancelled: a one-to-one event is cancelled, a group
        session's shared event loses the attendee (and is cancelled when nobody is left)."""
        group = await self._group_occurrence(uow, b.occurrence_id)
        if group is None:
            await self._calendar_cancel(uow, t, b, host, person, reason)
        else:
            await self._group_calendar(uow, t, group, host, reason)

    async def _booking(self, uow: UnitOfWork, org_id: UUID, booking_id: UUID) -> Booking:
        b = await uow.bookings.get(org_id, booking_id)
        if b is None:
            raise BookingNotFound("no such booking in this organisation")
        return b

    async def _person(self, uow: UnitOfWork, org_id: UUID, person_id: UUID) -> Person:
        p = await uow.people.get(org_id, person_id)
        if p is None:
            raise PersonNotFound("no such person in this organisation")
        return p

    async def _host(self, uow: UnitOfWork, t: OfficeHoursType) -> Person:
        return await self._person(uow, t.organisation_id, t.host_id)

    async def _occupancy(
        self,
        uow: UnitOfWork,
        t: OfficeHoursType,
        start: datetime,
        end: datetime,
        *,
        busy: Sequence[Interval] | None = None,
    ) -> Occupancy:
        """Seats taken and the host's busy time around [start, end); `busy` when the caller has
        already asked the host's calendar, else the (briefly cached) calendar is asked."""
        # what the rules need to see: the whole ISO week (per-week limit), the local day
        # (per-day limit), or only what overlaps the slots with their buffers
        if t.max_per_week is not None:
            lo, hi = start - timedelta(days=8), end + timedelta(days=8)
        elif t.max_per_day is not None:
            lo, hi = start - timedelta(days=2), end + timedelta(days=2)
        else:
            lo = start - timedelta(minutes=t.buffer_before_minutes)
            hi = end + t.slot_length + timedelta(minutes=t.buffer_after_minutes)
        occs = await uow.occurrences.list_taken(t.organisation_id, [t.host_id], lo, hi)
        if busy is None:
            found = await self._busy.busy(t.organisation_id, [t.host_id], start, end)
            busy = found.get(t.host_id, [])
        return _occupancy_from(t, occs, busy)

    def _message(self, b: Booking, kind: str, payload: dict[str, Any]) -> OutboxMessage:
        return OutboxMessage(
            id=new_id(),
            organisation_id=b.organisation_id,
            kind=kind,
            aggregate_type="booking",
            aggregate_id=str(b.id),
            payload=payload,
            created_at=self._clock.now(),
        )

    def _event(
        self, t: OfficeHoursType, b: Booking, host: Person, person: Person
    ) -> dict[str, Any]:
        return {
            "booking_id": str(b.id),
            "office_hours_id": str(t.id),
            "ics_uid": b.ics_uid,
            "sequence": b.sequence,
            "organizer": person_json(host),
            "attendees": [person_json(person)],
            "start_utc": b.start_utc.isoformat(),
            "end_utc": b.end_utc.isoformat(),
            "time_zone": t.time_zone,
            "subject": _subject(t, host),
            "body": _body(t, b),
            "location": t.location.describe(),
            "is_online_meeting": t.location.online,
        }

    async def _calendar_upsert(
        self,
        uow: UnitOfWork,
        t: OfficeHoursType,
        b: Booking,
        host: Person,
        person: Person,
        occ: Occurrence | None = None,
    ) -> None:
        """`occ`, when the caller has the booking's occurrence at hand, saves reading it."""
        if occ is not None and occ.id == b.occurrence_id:
            group = occ if occ.capacity > 1 else None
        else:
            group = await self._group_occurrence(uow, b.occurrence_id)
        if group is not None:
            await self._group_calendar(uow, t, group, host)
            return
        await uow.outbox.add(
            self._message(b, OutboxTopic.CALENDAR_UPSERT, self._event(t, b, host, person))
        )

    async def _group_occurrence(self, uow: UnitOfWork, occurrence_id: UUID) -> Occurrence | None:
        """The occurrence when it is a group session (more than one seat), else None. Its
        capacity is fixed when it is first booked, so a session never switches kind."""
        occ = await uow.occurrences.get(occurrence_id)
        return occ if occ is not None and occ.capacity > 1 else None

    async def _group_calendar(
        self,
        uow: UnitOfWork,
        t: OfficeHoursType,
        occ: Occurrence,
        host: Person,
        reason: str | None = None,
    ) -> None:
        """A group session keeps one event on the host's calendar, owned by the occurrence: each
        change writes a row (the first creates the event, later ones patch its attendees, which
        are looked up when the row is delivered), and when a seat was given up (`reason`) with
        nobody confirmed left, the event is cancelled. Rows of one aggregate are delivered in
        order, so an update never overtakes the create."""
        payload: dict[str, Any] = {
            "occurrence_id": str(occ.id),
            "office_hours_id": str(t.id),
            "organizer": person_json(host),
            "attendees_from": "aggregate",
            "start_utc": occ.start_utc.isoformat(),
            "end_utc": occ.end_utc.isoformat(),
            "time_zone": t.time_zone,
            "subject": _subject(t, host),
            "body": t.description.strip(),
            "location": t.location.describe(),
            "is_online_meeting": t.location.online,
        }
        kind = OutboxTopic.CALENDAR_UPSERT
        if reason is not None and not await uow.bookings.for_occurrence(occ.id, ("confirmed",)):
            kind = OutboxTopic.CALENDAR_CANCEL
            payload["reason"] = reason or "cancelled"
        await uow.outbox.add(
            OutboxMessage(
                id=new_id(),
                organisation_id=t.organisation_id,
                kind=kind,
                aggregate_type="occurrence",
                aggregate_id=str(occ.id),
                payload=payload,
                created_at=self._clock.now(),
            )
        )

    async def _calendar_cancel(
        self,
        uow: UnitOfWork,
        t: OfficeHoursType,
        b: Booking,
        host: Person,
        person: Person,
        reason: str,
    ) -> None:
        payload = self._event(t, b, host, person)
        payload["reason"] = reason
        await uow.outbox.add(self._message(b, OutboxTopic.CALENDAR_CANCEL, payload))

    async def _notify(
        self,
        uow: UnitOfWork,
        b: Booking,
        person_id: UUID,
        template: str,
        t: OfficeHoursType,
        other: Person,
        **extra: Any,
    ) -> None:
        fields: dict[str, Any] = {
            "booking_id": str(b.id),
            "office_hours_id": str(t.id),
            "title": t.title,
            "start_utc": b.start_utc.isoformat(),
            "end_utc": b.end_utc.isoformat(),
            "status": b.status,
            "other_person": person_json(other),
            **extra,
        }
        await uow.outbox.add(
            self._message(
                b,
                OutboxTopic.NOTIFY,
                {"person_id": str(person_id), "template": template, "fields": fields},
            )
        )


@dataclass(frozen=True)
class _FreshBusy:
    """The host's calendar over one slot, read before the booking's transaction opened."""

    host_id: UUID
    start: datetime
    end: datetime
    busy: tuple[Interval, ...]


def _check_time(t: OfficeHoursType, start: datetime, now: datetime) -> None:
    """Past, notice, horizon and the type's rules, each with its own code."""
    if start <= now:
        raise SlotInPast("that time has already passed")
    earliest, latest = bookable_window(t, now)
    if start < earliest:
        raise SlotInsideNotice(
            f"book at least {t.min_notice_minutes} minutes ahead",
            min_notice_minutes=t.min_notice_minutes,
        )
    if start > latest:
        raise SlotBeyondHorizon(
            f"bookings open {t.horizon_days} days ahead", horizon_days=t.horizon_days
        )
    if not is_slot_start(t, start):
        raise NotASlot("that time is not one of the slots these office hours offer")


def _occupancy_from(
    t: OfficeHoursType, occs: Sequence[Occurrence], busy: Sequence[Interval]
) -> Occupancy:
    taken: dict[datetime, int] = {}
    days: Counter[Any] = Counter()
    weeks: Counter[Any] = Counter()
    # the calendar shows peerlearn's own session events too: one exactly covering a booked
    # occurrence is that occurrence (kept below with its key, so a group session stays open)
    own = {(o.start_utc, o.end_utc) for o in occs if o.taken > 0}
    intervals = [i for i in busy if (i.start, i.end) not in own]
    if t.owner_kind == "community":
        # a community session's event can hold only its audience (no seat taken): an event
        # exactly covering one of its sittings is that sitting, not a clash
        intervals = [
            i
            for i in intervals
            if i.end - i.start != t.slot_length or not is_slot_start(t, i.start)
        ]
    for o in occs:
        if o.taken <= 0:
            continue
        intervals.append(Interval(o.start_utc, o.end_utc, (o.type_id, o.start_utc)))
        if o.type_id == t.id:
            taken[o.start_utc] = o.taken
            day = local_day(t, o.start_utc)
            days[day] += 1
            weeks[week_key(day)] += 1
    return Occupancy(taken, intervals, days, weeks)


def _periods(t: OfficeHoursType, start: datetime) -> list[tuple[str, int]]:
    """The limit periods (local day, ISO week) a session at `start` counts in, with limits."""
    day = local_day(t, start)
    periods: list[tuple[str, int]] = []
    if t.max_per_day is not None:
        periods.append((f"d{day.isoformat()}", t.max_per_day))
    if t.max_per_week is not None:
        year, week = week_key(day)
        periods.append((f"w{year}-{week:02d}", t.max_per_week))
    return periods


def _check_answers(t: OfficeHoursType, answers: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(answers, Mapping):
        raise InvalidInput("answers is an object of question key → text")
    keys = {q.key for q in t.questions}
    unknown = [k for k in answers if k not in keys]
    if unknown:
        raise InvalidInput(f"unknown question(s): {', '.join(map(str, unknown))[:200]}")
    clean: dict[str, str] = {}
    for k, v in answers.items():
        if not isinstance(v, str) or len(v) > 2000:
            raise InvalidInput(f"the answer to '{k}' must be text of at most 2000 characters")
        if v.strip():
            clean[k] = v.strip()
    for q in t.questions:
        if q.required and q.key not in clean:
            raise MissingAnswer(f"please answer: {q.label}", question=q.key)
    return clean


def _clean_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key:
        return None
    if len(key) > MAX_KEY or not key.isprintable():
        raise InvalidInput(f"an Idempotency-Key is 1–{MAX_KEY} printable characters")
    return key


def _subject(t: OfficeHoursType, host: Person) -> str:
    return f"{t.title} with {host.name}"


def _body(t: OfficeHoursType, b: Booking) -> str:
    parts = [t.description.strip()] if t.description.strip() else []
    if t.topics:
        parts.append("Topics: " + ", ".join(t.topics))
    for q in t.questions:
        if q.key in b.answers:
            parts.append(f"{q.label}\n{b.answers[q.key]}")
    if b.note:
        parts.append(f"Note: {b.note}")
    return "\n\n".join(parts)
