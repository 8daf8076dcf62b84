"""Office-hours repositories.

Seats: `take_seat` is one conditional UPDATE (`taken = taken + 1 WHERE id = ? AND taken <
capacity`). On PostgreSQL the row lock makes a concurrent UPDATE wait and re-check its WHERE
against the committed row; on SQLite every transaction holds the database's write lock. Either
way two transactions can never both see the last free seat.

Places: a partial unique index (`office_hours_booking_one_place`, migration 0006) allows one
active seat or waitlist place and one active audience place per person and session, so two
simultaneous sign-ups of the same person cannot both insert one; the loser gets
`PlaceAlreadyHeld` (on PostgreSQL its INSERT waits for the winner's commit first).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from adapters.db.repositories.outbox import next_seq
from adapters.db.sql import fetch_rows, select
from adapters.db.tables.officehours import BookingRow, OccurrenceRow, OfficeHoursTypeRow, QuotaRow
from adapters.search import expert_facts
from core.officehours.errors import DuplicateIdempotencyKey, PlaceAlreadyHeld
from core.officehours.model import (
    Booking,
    BookingStatus,
    Occurrence,
    OfficeHoursType,
    blackout_from,
    blackout_json,
    location_from,
    location_json,
    override_from,
    override_json,
    question_from,
    question_json,
    rule_from,
    rule_json,
)

_TYPES = select(
    OfficeHoursTypeRow,
    'FROM "office_hours_type" WHERE "organisation_id" = ? ORDER BY "title", "id"',
)
_ACTIVE_TYPES = select(
    OfficeHoursTypeRow,
    'FROM "office_hours_type" WHERE "organisation_id" = ?'
    ' AND NOT "paused" AND NOT "archived" ORDER BY "title", "id"',
)
_PERSON_BOOKINGS = select(
    BookingRow,
    'FROM "office_hours_booking"'
    ' WHERE "organisation_id" = ? AND "person_id" = ? AND "end_utc" > ?'
    ' ORDER BY "start_utc", "seq", "id" LIMIT ?',
)


def _type_fields(t: OfficeHoursType) -> dict[str, Any]:
    return {
        "organisation_id": t.organisation_id,
        "host_id": t.host_id,
        "owner_kind": t.owner_kind,
        "owner_id": t.owner_id,
        "title": t.title,
        "description": t.description,
        "topics": list(t.topics),
        "time_zone": t.time_zone,
        "rules": [rule_json(r) for r in t.rules],
        "overrides": [override_json(o) for o in t.overrides],
        "blackouts": [blackout_json(b) for b in t.blackouts],
        "questions": [question_json(q) for q in t.questions],
        "location": location_json(t.location),
        "slot_minutes": t.slot_minutes,
        "interval_minutes": t.interval_minutes,
        "capacity": t.capacity,
        "buffer_before_minutes": t.buffer_before_minutes,
        "buffer_after_minutes": t.buffer_after_minutes,
        "min_notice_minutes": t.min_notice_minutes,
        "horizon_days": t.horizon_days,
        "max_per_day": t.max_per_day,
        "max_per_week": t.max_per_week,
        "requires_approval": t.requires_approval,
        "paused": t.paused,
        "archived": t.archived,
    }


def _type(row: OfficeHoursTypeRow) -> OfficeHoursType:
    return OfficeHoursType(
        id=row.id,
        organisation_id=row.organisation_id,
        host_id=row.host_id,
        owner_kind=row.owner_kind,  # type: ignore[arg-type]
        owner_id=row.owner_id,
        title=row.title,
        description=row.description,
        topics=tuple(row.topics or ()),
        time_zone=row.time_zone,
        rules=tuple(rule_from(r, i) for i, r in enumerate(row.rules or ())),
        overrides=tuple(override_from(o, i) for i, o in enumerate(row.overrides or ())),
        blackouts=tuple(blackout_from(b, i) for i, b in enumerate(row.blackouts or ())),
        questions=tuple(question_from(q, i) for i, q in enumerate(row.questions or ())),
        location=location_from(row.location or None),
        slot_minutes=row.slot_minutes,
        interval_minutes=row.interval_minutes,
        capacity=row.capacity,
        buffer_before_minutes=row.buffer_before_minutes,
        buffer_after_minutes=row.buffer_after_minutes,
        min_notice_minutes=row.min_notice_minutes,
        horizon_days=row.horizon_days,
        max_per_day=row.max_per_day,
        max_per_week=row.max_per_week,
        requires_approval=row.requires_approval,
        paused=row.paused,
        archived=row.archived,
        created_at=row.created_at,
    )


class DbOfficeHoursTypes:
    async def add(self, t: OfficeHoursType) -> None:
        await OfficeHoursTypeRow.create(id=t.id, created_at=t.created_at, **_type_fields(t))
        expert_facts.office_hours_changed()

    async def get(self, org_id: UUID, type_id: UUID) -> OfficeHoursType | None:
        row = await OfficeHoursTypeRow.get_or_none(id=type_id, organisation_id=org_id)
        return _type(row) if row else None

    async def update(self, t: OfficeHoursType) -> None:
        await OfficeHoursTypeRow.filter(id=t.id, organisation_id=t.organisation_id).update(
            **_type_fields(t)
        )
        expert_facts.office_hours_changed()

    async def list(
        self,
        org_id: UUID,
        host_ids: Sequence[UUID] | None = None,
        include_inactive: bool = False,
        owner_id: UUID | None = None,
    ) -> Sequence[OfficeHoursType]:
        if host_ids is None and owner_id is None:
            # read on every LMS launch: a plain statement, no query building
            sql = _TYPES if include_inactive else _ACTIVE_TYPES
            return [_type(r) for r in await fetch_rows(OfficeHoursTypeRow, sql, [str(org_id)])]
        q = OfficeHoursTypeRow.filter(organisation_id=org_id)
        if host_ids is not None:
            q = q.filter(host_id__in=list(host_ids))
        if owner_id is not None:
            q = q.filter(owner_id=owner_id)
        if not include_inactive:
            q = q.filter(paused=False, archived=False)
        return [_type(r) for r in await q.order_by("title", "id")]


def _occurrence(row: OccurrenceRow) -> Occurrence:
    return Occurrence(
        id=row.id,
        organisation_id=row.organisation_id,
        type_id=row.type_id,
        host_id=row.host_id,
        start_utc=row.start_utc,
        end_utc=row.end_utc,
        capacity=row.capacity,
        taken=row.taken,
    )


class DbOccurrences:
    async def ensure(self, occurrence: Occurrence) -> Occurrence:
        # INSERT … ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite): never aborts the transaction
        await OccurrenceRow.bulk_create(
            [
                OccurrenceRow(
                    id=occurrence.id,
                    organisation_id=occurrence.organisation_id,
                    type_id=occurrence.type_id,
                    host_id=occurrence.host_id,
                    start_utc=occurrence.start_utc,
                    end_utc=occurrence.end_utc,
                    capacity=occurrence.capacity,
                    taken=0,
                )
            ],
            ignore_conflicts=True,
        )
        row = await OccurrenceRow.get(type_id=occurrence.type_id, start_utc=occurrence.start_utc)
        return _occurrence(row)

    async def get(self, occurrence_id: UUID) -> Occurrence | None:
        row = await OccurrenceRow.get_or_none(id=occurrence_id)
        return _occurrence(row) if row else None

    async def find(self, type_id: UUID, start_utc: datetime) -> Occurrence | None:
        row = await OccurrenceRow.get_or_none(type_id=type_id, start_utc=start_utc)
        return _occurrence(row) if row else None

    async def take_seat(self, occurrence_id: UUID) -> bool:
        changed = await OccurrenceRow.filter(id=occurrence_id, taken__lt=F("capacity")).update(
            taken=F("taken") + 1
        )
        expert_facts.office_hours_changed()
        return bool(changed)

    async def release_seat(self, occurrence_id: UUID) -> None:
        await OccurrenceRow.filter(id=occurrence_id, taken__gt=0).update(taken=F("taken") - 1)
        expert_facts.office_hours_changed()

    async def next_waitlist_position(self, occurrence_id: UUID) -> int:
        # the UPDATE locks the row until commit, so the value read back is ours alone
        await OccurrenceRow.filter(id=occurrence_id).update(waitlist_seq=F("waitlist_seq") + 1)
        row = await OccurrenceRow.get(id=occurrence_id)
        return row.waitlist_seq

    async def seats_taken(self, occurrence_id: UUID) -> int:
        row = await OccurrenceRow.get(id=occurrence_id)
        return row.taken

    async def count_session(self, type_id: UUID, periods: Sequence[tuple[str, int]]) -> bool:
        await QuotaRow.bulk_create(
            [QuotaRow(type_id=type_id, period=period, sessions=0) for period, _ in periods],
            ignore_conflicts=True,
        )
        for period, limit in periods:
            changed = await QuotaRow.filter(
                type_id=type_id, period=period, sessions__lt=limit
            ).update(sessions=F("sessions") + 1)
            if not changed:
                return False
        return True

    async def uncount_session(self, type_id: UUID, periods: Sequence[str]) -> None:
        await QuotaRow.filter(type_id=type_id, period__in=list(periods), sessions__gt=0).update(
            sessions=F("sessions") - 1
        )

    async def list_taken(
        self, org_id: UUID, host_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> Sequence[Occurrence]:
        rows = await OccurrenceRow.filter(
            organisation_id=org_id,
            host_id__in=list(host_ids),
            start_utc__lt=end,
            end_utc__gt=start,
            taken__gt=0,
        ).order_by("start_utc")
        return [_occurrence(r) for r in rows]


def _booking_fields(b: Booking) -> dict[str, Any]:
    return {
        "occurrence_id": b.occurrence_id,
        "start_utc": b.start_utc,
        "end_utc": b.end_utc,
        "status": b.status,
        "answers": dict(b.answers),
        "note": b.note,
        "waitlist_position": b.waitlist_position,
        "promoted_at": b.promoted_at,
        "cancel_reason": b.cancel_reason,
        "attendance": b.attendance,
        "rating": b.rating,
        "rating_comment": b.rating_comment,
        "sequence": b.sequence,
        "updated_at": b.updated_at,
    }


def _booking(row: BookingRow) -> Booking:
    return Booking(
        id=row.id,
        organisation_id=row.organisation_id,
        type_id=row.type_id,
        occurrence_id=row.occurrence_id,
        host_id=row.host_id,
        person_id=row.person_id,
        start_utc=row.start_utc,
        end_utc=row.end_utc,
        status=row.status,  # type: ignore[arg-type]
        created_at=row.created_at,
        updated_at=row.updated_at,
        idempotency_key=row.idempotency_key,
        answers=dict(row.answers or {}),
        note=row.note,
        waitlist_position=row.waitlist_position,
        promoted_at=row.promoted_at,
        cancel_reason=row.cancel_reason,
        attendance=row.attendance,  # type: ignore[arg-type]
        rating=row.rating,
        rating_comment=row.rating_comment,
        sequence=row.sequence,
        calendar_event_id=row.calendar_event_id,
        join_url=row.join_url,
        audience=row.audience,
    )


#: the partial unique index on active places (PostgreSQL names it, SQLite its columns)
ONE_PLACE = "office_hours_booking_one_place"
_ONE_PLACE_COLUMNS = "office_hours_booking.occurrence_id, office_hours_booking.person_id"


def _place_held(exc: IntegrityError) -> None:
    text = str(exc)
    if ONE_PLACE in text or _ONE_PLACE_COLUMNS in text:
        raise PlaceAlreadyHeld(
            "you already have a booking or waitlist place for this slot"
        ) from exc


class DbBookings:
    async def add(self, booking: Booking) -> None:
        try:
            await BookingRow.create(
                id=booking.id,
                organisation_id=booking.organisation_id,
                type_id=booking.type_id,
                host_id=booking.host_id,
                person_id=booking.person_id,
                idempotency_key=booking.idempotency_key,
                created_at=booking.created_at,
                seq=next_seq(),
                audience=booking.audience,
                **_booking_fields(booking),
            )
        except IntegrityError as exc:
            _place_held(exc)
            if booking.idempotency_key is None:
                raise
            raise DuplicateIdempotencyKey("this idempotency key is already used") from exc

    async def get(self, org_id: UUID, booking_id: UUID) -> Booking | None:
        row = await BookingRow.get_or_none(id=booking_id, organisation_id=org_id)
        return _booking(row) if row else None

    async def get_by_key(self, org_id: UUID, key: str) -> Booking | None:
        row = await BookingRow.get_or_none(organisation_id=org_id, idempotency_key=key)
        return _booking(row) if row else None

    async def update(self, booking: Booking) -> None:
        try:
            await BookingRow.filter(id=booking.id, organisation_id=booking.organisation_id).update(
                **_booking_fields(booking)
            )
        except IntegrityError as exc:
            _place_held(exc)  # moved onto a session where the person got a place meanwhile
            raise

    async def record_event(
        self, org_id: UUID, booking_id: UUID, event_id: str, join_url: str
    ) -> None:
        await BookingRow.filter(id=booking_id, organisation_id=org_id).update(
            calendar_event_id=event_id, join_url=join_url
        )

    async def record_occurrence_event(
        self, occurrence_id: UUID, event_id: str, join_url: str
    ) -> None:
        await BookingRow.filter(occurrence_id=occurrence_id, status="confirmed").update(
            calendar_event_id=event_id, join_url=join_url
        )
        await (
            BookingRow.filter(occurrence_id=occurrence_id)
            .exclude(status="confirmed")
            .update(calendar_event_id="", join_url="")
        )

    async def for_occurrence(
        self, occurrence_id: UUID, statuses: Sequence[BookingStatus] | None = None
    ) -> Sequence[Booking]:
        q = BookingRow.filter(occurrence_id=occurrence_id)
        if statuses is not None:
            q = q.filter(status__in=list(statuses))
        rows = await q.order_by("seq", "id")
        # seat holders in booking order, then the waitlist in line order (sorted here: SQLite and
        # PostgreSQL put NULL positions at opposite ends)
        rows.sort(key=lambda r: (r.status == "waitlisted", r.waitlist_position or 0))
        return [_booking(r) for r in rows]

    async def holds_place(self, occurrence_id: UUID, person_id: UUID) -> bool:
        return await BookingRow.filter(
            occurrence_id=occurrence_id,
            person_id=person_id,
            status__in=["pending", "confirmed", "waitlisted"],
        ).exists()

    async def for_person(
        self,
        org_id: UUID,
        person_id: UUID,
        start: datetime | None = None,
        statuses: Sequence[BookingStatus] | None = None,
        limit: int = 100,
    ) -> Sequence[Booking]:
        if start is not None and statuses is None:
            # read on every LMS launch: a plain statement, no query building
            rows = await fetch_rows(
                BookingRow, _PERSON_BOOKINGS, [str(org_id), str(person_id), start, limit]
            )
            return [_booking(r) for r in rows]
        q = BookingRow.filter(organisation_id=org_id, person_id=person_id)
        return await _listing(q, start, statuses, limit)

    async def for_host(
        self,
        org_id: UUID,
        host_id: UUID,
        start: datetime | None = None,
        statuses: Sequence[BookingStatus] | None = None,
        limit: int = 100,
    ) -> Sequence[Booking]:
        q = BookingRow.filter(organisation_id=org_id, host_id=host_id)
        return await _listing(q, start, statuses, limit)


async def _listing(
    q: Any, start: datetime | None, statuses: Sequence[BookingStatus] | None, limit: int
) -> list[Booking]:
    if start is not None:
        q = q.filter(end_utc__gt=start)
    if statuses is not None:
        q = q.filter(status__in=list(statuses))
    return [_booking(r) for r in await q.order_by("start_utc", "seq", "id").limit(limit)]
