"""Office-hours types (an expert's bookable availability), occurrences and bookings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any, Literal, NamedTuple
from uuid import UUID

from core.errors import InvalidInput
from core.officehours.errors import InvalidSchedule, OverlappingRules
from core.timezones import zone

LocationKind = Literal["teams", "room", "url"]
#: who owns a bookable type: an expert's office hours, or a community's show-and-tell session
OwnerKind = Literal["expert", "community"]
BookingStatus = Literal["pending", "confirmed", "waitlisted", "cancelled", "declined"]
Attendance = Literal["attended", "no_show"]

ACTIVE: tuple[BookingStatus, ...] = ("pending", "confirmed")
#: a window written as ending at "24:00" ends at the next local midnight
END_OF_DAY = time(23, 59, 59, 999999)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Window:
    """A wall-clock window in the host's zone, e.g. 09:00–12:00."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidSchedule("availability times are wall-clock times without an offset")
        if self.end <= self.start:
            raise InvalidSchedule(f"a window must end after it starts ({self.label})")

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def end_on(self, day: date, tz: tzinfo) -> datetime:
        """The aware end of this window on local `day` ("24:00" is the next midnight)."""
        if self.end == END_OF_DAY:
            return datetime.combine(day + timedelta(days=1), time(0), tz)
        return datetime.combine(day, self.end, tz)

    @property
    def end_seconds(self) -> int:
        """Wall-clock seconds from midnight to the end (86,400 for "24:00")."""
        if self.end == END_OF_DAY:
            return 86_400
        return self.end.hour * 3600 + self.end.minute * 60 + self.end.second

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class WeeklyRule:
    """Available every `weekday` (0 = Monday) inside `window`, in the host's zone."""

    weekday: int
    window: Window

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidSchedule("weekday is 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True)
class DateOverride:
    """On `day` the weekly rules are replaced by `windows`; no windows means a day off."""

    day: date
    windows: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Blackout:
    """Whole days (inclusive, host's zone) without office hours: holidays, conferences."""

    first_day: date
    last_day: date
    reason: str = ""

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise InvalidSchedule("a blackout ends on or after the day it starts")

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Question:
    """A custom question the booker answers (e.g. 'What do you want to cover?')."""

    key: str
    label: str
    required: bool = False


@dataclass(frozen=True)
class Location:
    """A Teams meeting (created by the calendar sync), or a room or URL given as text."""

    kind: LocationKind = "teams"
    text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("teams", "room", "url"):
            raise InvalidInput("location kind is teams, room or url")
        if self.kind != "teams" and not self.text.strip():
            raise InvalidInput(f"a {self.kind} location needs its text")
        if len(self.text) > 500:
            raise InvalidInput("location text is limited to 500 characters")

    @property
    def online(self) -> bool:
        return self.kind == "teams"

    def describe(self) -> str:
        return "Microsoft Teams meeting" if self.kind == "teams" else self.text


@dataclass
class OfficeHoursType:
    id: UUID
    organisation_id: UUID
    host_id: UUID
    title: str
    time_zone: str
    rules: tuple[WeeklyRule, ...]
    slot_minutes: int = 30
    interval_minutes: int = 30
    capacity: int = 1
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 240
    horizon_days: int = 30
    max_per_day: int | None = None
    max_per_week: int | None = None
    requires_approval: bool = False
    description: str = ""
    topics: tuple[str, ...] = ()
    overrides: tuple[DateOverride, ...] = ()
    blackouts: tuple[Blackout, ...] = ()
    questions: tuple[Question, ...] = ()
    location: Location = field(default_factory=Location)
    paused: bool = False
    archived: bool = False
    owner_kind: OwnerKind = "expert"
    #: the community (or other owner) a session type belongs to; None for an expert's own
    owner_id: UUID | None = None
    created_at: datetime | None = None

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    @property
    def bookable(self) -> bool:
        return not self.paused and not self.archived

    def windows_on(self, day: date) -> tuple[Window, ...]:
        """The availability windows on a local `day` after overrides and blackouts."""
        if any(b.covers(day) for b in self.blackouts):
            return ()
        for override in self.overrides:
            if override.day == day:
                return override.windows
        wd = day.weekday()
        return tuple(r.window for r in self.rules if r.weekday == wd)


@dataclass(frozen=True)
class Occurrence:
    """One sitting of a type at one start: the seat counter every booking goes through."""

    id: UUID
    organisation_id: UUID
    type_id: UUID
    host_id: UUID
    start_utc: datetime
    end_utc: datetime
    capacity: int
    taken: int = 0


@dataclass
class Booking:
    id: UUID
    organisation_id: UUID
    type_id: UUID
    occurrence_id: UUID
    host_id: UUID
    person_id: UUID
    start_utc: datetime
    end_utc: datetime
    status: BookingStatus
    created_at: datetime
    updated_at: datetime
    idempotency_key: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    note: str = ""
    #: place in the waitlist of its occurrence (lower is earlier); None when never waitlisted
    waitlist_position: int | None = None
    promoted_at: datetime | None = None
    cancel_reason: str = ""
    attendance: Attendance | None = None
    rating: int | None = None
    rating_comment: str = ""
    #: iCalendar SEQUENCE: bumped on every change attendees' calendars must pick up
    sequence: int = 0
    #: the Outlook event holding this booking (for a group session: the occurrence's one shared
    #: event) and its Teams join link; filled in by the calendar sync once delivered, empty
    #: without Graph or while waiting, and cleared when the booking no longer has a seat
    calendar_event_id: str = ""
    join_url: str = ""
    #: an audience place: the person watches a group session (a community's show-and-tell)
    #: without taking one of its seats, so it never waits in line and frees nothing on leaving
    audience: bool = False

    @property
    def holds_seat(self) -> bool:
        return self.status in ACTIVE and not self.audience

    @property
    def ics_uid(self) -> str:
        return f"{self.id}@peerlearn"


class Slot(NamedTuple):
    """A bookable start. Times are kept as POSIX seconds because slot lists are large and built
    in hot loops; `start_utc` and `end_utc` give them as aware UTC datetimes."""

    start_ts: float
    end_ts: float
    seats_left: int
    capacity: int

    @property
    def start_utc(self) -> datetime:
        return datetime.fromtimestamp(self.start_ts, UTC)

    @property
    def end_utc(self) -> datetime:
        return datetime.fromtimestamp(self.end_ts, UTC)


@dataclass(frozen=True)
class Interval:
    """A busy interval in UTC; `key` marks an occurrence so its own slot stays bookable."""

    start: datetime
    end: datetime
    key: tuple[UUID, datetime] | None = None


# validation ---------------------------------------------------------------------------------
def _bounded(name: str, value: int, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidSchedule(f"{name} must be a whole number from {lo} to {hi}")


def validate(t: OfficeHoursType) -> None:
    """Refuse a type that would produce nonsense slots; overlapping rules get their own code."""
    title = " ".join((t.title or "").split())
    if not title or len(title) > 200:
        raise InvalidInput("a title of 1–200 characters is required")
    t.title = title
    if len(t.description) > 5000:
        raise InvalidInput("descriptions are limited to 5000 characters")
    zone(t.time_zone)
    _bounded("slot_minutes", t.slot_minutes, 5, 480)
    _bounded("interval_minutes", t.interval_minutes, 5, 1440)
    _bounded("capacity", t.capacity, 1, 500)
    _bounded("buffer_before_minutes", t.buffer_before_minutes, 0, 240)
    _bounded("buffer_after_minutes", t.buffer_after_minutes, 0, 240)
    _bounded("min_notice_minutes", t.min_notice_minutes, 0, 60 * 24 * 60)
    _bounded("horizon_days", t.horizon_days, 1, 365)
    if t.max_per_day is not None:
        _bounded("max_per_day", t.max_per_day, 1, 100)
    if t.max_per_week is not None:
        _bounded("max_per_week", t.max_per_week, 1, 500)
    if len(t.topics) > 20 or any(not x.strip() or len(x) > 80 for x in t.topics):
        raise InvalidInput("up to 20 topics of 1–80 characters")
    if not t.rules and not any(o.windows for o in t.overrides):
        raise InvalidSchedule("add at least one weekly rule or dated window")
    if len(t.rules) > 100 or len(t.overrides) > 400 or len(t.blackouts) > 200:
        raise InvalidSchedule("too many rules, overrides or blackouts")
    for wd in range(7):
        _no_overlap([r.window for r in t.rules if r.weekday == wd], WEEKDAYS[wd])
    days = [o.day for o in t.overrides]
    if len(set(days)) != len(days):
        raise OverlappingRules("each date may be overridden only once")
    for o in t.overrides:
        _no_overlap(list(o.windows), o.day.isoformat())
    keys = [q.key for q in t.questions]
    if len(set(keys)) != len(keys) or len(keys) > 10:
        raise InvalidInput("up to 10 questions with distinct keys")
    for q in t.questions:
        if not q.key.strip() or len(q.key) > 40 or not q.label.strip() or len(q.label) > 300:
            raise InvalidInput("a question needs a key (≤ 40) and a label (≤ 300 characters)")


def _no_overlap(windows: list[Window], where: str) -> None:
    ordered = sorted(windows, key=lambda w: w.start)
    for a, b in pairwise(ordered):
        if a.overlaps(b):
            raise OverlappingRules(
                f"availability windows {a.label} and {b.label} overlap on {where}",
                day=where,
            )


def parse_time(value: Any, what: str) -> time:
    if not isinstance(value, str):
        raise InvalidSchedule(f"{what} must be a time such as '09:30'")
    if value in ("24:00", "24:00:00"):
        return END_OF_DAY
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise InvalidSchedule(
            f"{what} must be a time such as '09:30', got {value[:20]!r}"
        ) from None
    if parsed.tzinfo is not None:
        raise InvalidSchedule(f"{what} is a wall-clock time in the host's zone, without offset")
    return parsed


def parse_date(value: Any, what: str) -> date:
    if not isinstance(value, str):
        raise InvalidSchedule(f"{what} must be a date such as '2026-04-06'")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidSchedule(f"{what} must be a date such as '2026-04-06'") from None


def window_from(data: Any, what: str) -> Window:
    if not isinstance(data, dict):
        raise InvalidSchedule(f"{what} must be an object with start and end")
    return Window(
        parse_time(data.get("start"), f"{what}.start"), parse_time(data.get("end"), f"{what}.end")
    )


def rule_from(data: Any, index: int) -> WeeklyRule:
    """`{"weekday": "mon" | 0, "start": "09:00", "end": "12:00"}` → a rule."""
    if not isinstance(data, dict):
        raise InvalidSchedule(f"rules[{index}] must be an object")
    wd = data.get("weekday")
    if isinstance(wd, str) and wd.lower()[:3] in WEEKDAYS:
        wd = WEEKDAYS.index(wd.lower()[:3])
    if isinstance(wd, bool) or not isinstance(wd, int):
        raise InvalidSchedule(f"rules[{index}].weekday is mon…sun or 0…6")
    return WeeklyRule(wd, window_from(data, f"rules[{index}]"))


def override_from(data: Any, index: int) -> DateOverride:
    if not isinstance(data, dict):
        raise InvalidSchedule(f"overrides[{index}] must be an object")
    windows = data.get("windows") or []
    if not isinstance(windows, list):
        raise InvalidSchedule(f"overrides[{index}].windows must be a list")
    return DateOverride(
        parse_date(data.get("date"), f"overrides[{index}].date"),
        tuple(window_from(w, f"overrides[{index}].windows[{i}]") for i, w in enumerate(windows)),
    )


def blackout_from(data: Any, index: int) -> Blackout:
    if not isinstance(data, dict):
        raise InvalidSchedule(f"blackouts[{index}] must be an object")
    first = parse_date(data.get("from"), f"blackouts[{index}].from")
    last = parse_date(data.get("to", data.get("from")), f"blackouts[{index}].to")
    return Blackout(first, last, str(data.get("reason") or "")[:200])


def question_from(data: Any, index: int) -> Question:
    if not isinstance(data, dict):
        raise InvalidInput(f"questions[{index}] must be an object")
    return Question(
        str(data.get("key") or ""), str(data.get("label") or ""), bool(data.get("required"))
    )


def location_from(data: Any) -> Location:
    if data is None:
        return Location()
    if not isinstance(data, dict):
        raise InvalidInput("location must be an object with kind and text")
    return Location(data.get("kind", "teams"), str(data.get("text") or ""))


def rule_json(r: WeeklyRule) -> dict[str, Any]:
    return {"weekday": WEEKDAYS[r.weekday], **window_json(r.window)}


def window_json(w: Window) -> dict[str, str]:
    end = "24:00" if w.end == END_OF_DAY else w.end.strftime("%H:%M")
    return {"start": w.start.strftime("%H:%M"), "end": end}


def override_json(o: DateOverride) -> dict[str, Any]:
    return {"date": o.day.isoformat(), "windows": [window_json(w) for w in o.windows]}


def blackout_json(b: Blackout) -> dict[str, Any]:
    return {"from": b.first_day.isoformat(), "to": b.last_day.isoformat(), "reason": b.reason}


def question_json(q: Question) -> dict[str, Any]:
    return {"key": q.key, "label": q.label, "required": q.required}


def location_json(loc: Location) -> dict[str, Any]:
    return {"kind": loc.kind, "text": loc.text}
