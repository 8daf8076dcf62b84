"""Calendar sync: what a CALENDAR_UPSERT / CALENDAR_CANCEL outbox payload holds, the port an
external calendar implements, and the delivery handler that turns outbox rows into calendar calls.

Payload contract (built at write time with `CalendarEventSpec.to_payload()`; the office-hours
spelling — `organizer: {email}`, `start_utc`, `end_utc`, `is_online_meeting` — is read too):

- the outbox row's aggregate is the calendar event's owner: a booking for one-to-one sessions, the
  session occurrence for group sessions. A group session's payload says
  `"attendees_from": "aggregate"`: its attendees are looked up when the row is delivered (who
  holds a confirmed seat then), so booking stays O(1) however big the session, and every patch
  sends the one event's current full list;
- `calendar.upsert` creates the event the first time (idempotent: the transaction id is the outbox
  row id) and patches it afterwards; `calendar.cancel` cancels it with `reason` as the comment;
- the event id comes from the payload when known, otherwise from the result of the aggregate's
  earlier delivered upsert (rows of one aggregate are delivered in order).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from core.delivery import DeliveryError, PermanentError, Result, SkippedError
from core.outbox import OutboxMessage


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str = ""


@dataclass(frozen=True)
class CalendarEventSpec:
    """One session as the organizer's calendar should show it."""

    organizer_email: str
    subject: str
    start: datetime
    end: datetime
    attendees: tuple[Attendee, ...] = ()
    body: str = ""
    #: a Teams meeting is attached when true; `location` is free text (room, URL) otherwise
    online: bool = True
    location: str = ""
    #: the organizer's IANA zone, so Outlook shows the event in it
    time_zone: str = "UTC"
    booking_id: str | None = None
    event_id: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "organizer_email": self.organizer_email,
            "subject": self.subject,
            "start": self.start.astimezone(UTC).isoformat(),
            "end": self.end.astimezone(UTC).isoformat(),
            "attendees": [{"email": a.email, "name": a.name} for a in self.attendees],
            "body": self.body,
            "online": self.online,
            "location": self.location,
            "time_zone": self.time_zone,
            "booking_id": self.booking_id,
            "event_id": self.event_id,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CalendarEventSpec:
        """Parse a payload; a malformed one is a permanent failure (retrying cannot fix it)."""
        try:
            start = _utc(payload.get("start") or payload["start_utc"])
            end = _utc(payload.get("end") or payload["end_utc"])
            attendees = tuple(
                Attendee(str(a["email"]), str(a.get("name") or ""))
                if isinstance(a, dict)
                else Attendee(str(a))
                for a in payload.get("attendees") or ()
            )
            organizer = _organizer(payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentError(f"calendar payload is malformed: {exc!r}") from exc
        if end <= start:
            raise PermanentError("calendar payload ends before it starts")
        return cls(
            organizer_email=organizer,
            subject=str(payload.get("subject") or "Office hours"),
            start=start,
            end=end,
            attendees=attendees,
            body=str(payload.get("body") or ""),
            online=bool(payload.get("online", payload.get("is_online_meeting", True))),
            location=str(payload.get("location") or ""),
            time_zone=str(payload.get("time_zone") or "UTC"),
            booking_id=_opt(payload.get("booking_id")),
            event_id=_opt(payload.get("event_id")),
        )


def _organizer(payload: dict[str, Any]) -> str:
    """The organizer's address: `organizer_email`, or `organizer.email` (office-hours payloads)."""
    organizer = payload.get("organizer")
    email = payload.get("organizer_email") or (
        organizer.get("email") if isinstance(organizer, dict) else None
    )
    if not email:
        raise KeyError("organizer_email")
    return str(email)


def _utc(value: Any) -> datetime:
    when = datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return when.astimezone(UTC)


def _opt(value: Any) -> str | None:
    return str(value) if value else None


@dataclass(frozen=True)
class EventRef:
    """What the calendar gave back: stored as the outbox result and recorded on the booking."""

    event_id: str
    ical_uid: str = ""
    join_url: str = ""

    def as_result(self) -> Result:
        return {"event_id": self.event_id, "ical_uid": self.ical_uid, "join_url": self.join_url}


@dataclass(frozen=True)
class CalendarLink:
    """Where a booking (or group session) lives in its organizer's calendar: shown by the bot,
    the LTI pages and the `.ics` as the Teams join link."""

    organisation_id: UUID
    aggregate_type: str
    aggregate_id: str
    event_id: str
    ical_uid: str
    join_url: str
    cancelled: bool
    updated_at: datetime


class CalendarLinkRepository(Protocol):
    async def save(self, link: CalendarLink) -> None: ...

    async def get(self, aggregate_type: str, aggregate_id: str) -> CalendarLink | None: ...


@dataclass(frozen=True)
class UpsertEvent:
    transaction_id: str
    spec: CalendarEventSpec
    event_id: str | None = None


@dataclass(frozen=True)
class CancelEvent:
    organizer_email: str
    event_id: str
    comment: str = ""


CalendarOp = UpsertEvent | CancelEvent


class CalendarSync(Protocol):
    """An external calendar (Microsoft Graph, or an in-memory fake in tests).

    `apply` runs several independent operations (possibly as one batch request) and returns one
    `EventRef` or one classified `DeliveryError` per operation, in order.
    """

    async def apply(self, ops: Sequence[CalendarOp]) -> list[EventRef | DeliveryError]: ...


#: (aggregate_type, aggregate_id) → the event id an earlier delivered row of it recorded
EventIdLookup = Callable[[str, str], Awaitable[str | None]]
#: told about every created, updated or cancelled event, e.g. to keep the booking's join URL
EventRecorder = Callable[[OutboxMessage, EventRef], Awaitable[None]]
#: (organisation_id, aggregate_type, aggregate_id) → the attendees the aggregate's event has now
AttendeeLookup = Callable[[UUID, str, str], Awaitable[list[Attendee]]]


@dataclass
class CalendarDelivery:
    """Outbox handler for calendar rows, batch-capable."""

    calendar: CalendarSync
    lookup_event_id: EventIdLookup
    recorders: list[EventRecorder] = field(default_factory=list)
    #: resolves `"attendees_from": "aggregate"` payloads (group sessions)
    current_attendees: AttendeeLookup | None = None

    async def deliver(self, message: OutboxMessage) -> Result:
        (outcome,) = await self.deliver_many([message])
        if isinstance(outcome, DeliveryError):
            raise outcome
        return outcome

    async def deliver_many(self, messages: Sequence[OutboxMessage]) -> list[Result | DeliveryError]:
        outcomes: list[Result | DeliveryError | None] = [None] * len(messages)
        ops: list[CalendarOp] = []
        slots: list[int] = []
        for index, message in enumerate(messages):
            try:
                op = await self._operation(message)
            except DeliveryError as exc:
                outcomes[index] = exc
                continue
            ops.append(op)
            slots.append(index)
        if ops:
            answers = await self.calendar.apply(ops)
            for index, op, answer in zip(slots, ops, answers, strict=True):
                if isinstance(answer, DeliveryError):
                    outcomes[index] = answer
                    continue
                for record in self.recorders:
                    await record(messages[index], answer)
                if isinstance(op, CancelEvent):
                    outcomes[index] = {"event_id": answer.event_id, "cancelled": True}
                else:
                    outcomes[index] = answer.as_result()
        return [o if o is not None else PermanentError("not delivered") for o in outcomes]

    async def _operation(self, message: OutboxMessage) -> CalendarOp:
        payload = message.payload
        known = _opt(payload.get("event_id")) or await self.lookup_event_id(
            message.aggregate_type, message.aggregate_id
        )
        if message.kind.endswith("cancel"):
            try:
                organizer = _organizer(payload)
            except KeyError as exc:
                raise PermanentError("calendar cancel without an organizer") from exc
            if not known:
                raise SkippedError("no calendar event was created for it")
            return CancelEvent(str(organizer), known, str(payload.get("reason") or ""))
        spec = CalendarEventSpec.from_payload(payload)
        if payload.get("attendees_from") == "aggregate":
            if self.current_attendees is None:
                raise PermanentError("no attendee lookup for a group session's event")
            attendees = await self.current_attendees(
                message.organisation_id, message.aggregate_type, message.aggregate_id
            )
            if not attendees and not known:
                # everyone left before the event was made: the cancel that follows has nothing
                # to cancel either
                raise SkippedError("nobody holds a seat any more")
            spec = replace(spec, attendees=tuple(attendees))
        return UpsertEvent(str(message.id), spec, known)
