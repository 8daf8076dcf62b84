"""Slot computation: pure functions from a type's wall-clock rules to UTC slots.

Availability is defined in the host's zone; each window is converted to UTC once. A window whose
two ends share one UTC offset (almost all of them) is stepped in UTC directly; only a window that
contains a DST transition is walked in wall-clock time, skipping times that do not exist (spring
forward) and taking the first of two ambiguous ones (fall back). That keeps 1,000 experts × 14 days
far below a second without ever producing a slot at a time that does not exist locally.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from core.officehours.model import Interval, OfficeHoursType, Slot, Window
from core.timezones import zone

DayKey = date
WeekKey = tuple[int, int]


def local_day(t: OfficeHoursType, when: datetime) -> date:
    return when.astimezone(zone(t.time_zone)).date()


def week_key(day: date) -> WeekKey:
    iso = day.isocalendar()
    return (iso[0], iso[1])


def _exists(local: datetime, tz: ZoneInfo) -> bool:
    return local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None)


def window_starts(
    t: OfficeHoursType, day: date, window: Window, tz: ZoneInfo
) -> Iterator[datetime]:
    """UTC starts of the slots inside one local window of one day."""
    length = t.slot_length
    step = timedelta(minutes=t.interval_minutes)
    ws = datetime.combine(day, window.start, tz)
    we = window.end_on(day, tz)
    ws_utc = ws.astimezone(UTC)
    we_utc = we.astimezone(UTC)
    if ws.utcoffset() == we.utcoffset():
        s = ws_utc
        while s + length <= we_utc:
            yield s
            s += step
        return
    # a DST transition inside the window: walk wall-clock time
    wall = ws.replace(tzinfo=None)
    wall_end = we.replace(tzinfo=None)
    while wall + length <= wall_end + timedelta(hours=1):
        local = wall.replace(tzinfo=tz)
        if _exists(local, tz):
            s = local.astimezone(UTC)
            if s + length <= we_utc and s >= ws_utc:
                yield s
        wall += step


@dataclass(frozen=True)
class Occupancy:
    """What already happens around a type: its booked occurrences and the host's busy time."""

    #: seats taken per occurrence start of this type
    taken: Mapping[datetime, int]
    #: busy intervals (other bookings of the host, calendar busy time), any order
    busy: Sequence[Interval] = ()
    #: sessions already booked (occurrences with seats taken) per local day / ISO week
    day_counts: Mapping[DayKey, int] | None = None
    week_counts: Mapping[WeekKey, int] | None = None


class _Busy:
    """Sorted busy intervals (POSIX seconds) answering 'does [a, b) overlap anything but `key`?'."""

    def __init__(self, intervals: Sequence[Interval]) -> None:
        items = sorted(
            (
                (
                    i.start.timestamp(),
                    i.end.timestamp(),
                    (i.key[0], i.key[1].timestamp()) if i.key else None,
                )
                for i in intervals
            ),
            key=lambda x: x[0],
        )
        self.items = items
        self.starts = [x[0] for x in items]
        self.max_end: list[float] = []
        running = float("-inf")
        for _, end, _ in items:
            running = max(running, end)
            self.max_end.append(running)

    def blocks(self, a: float, b: float, key: tuple[object, float]) -> bool:
        idx = bisect_left(self.starts, b)
        if idx == 0 or self.max_end[idx - 1] <= a:
            return False
        for j in range(idx - 1, -1, -1):
            if self.max_end[j] <= a:
                break
            _, end, item_key = self.items[j]
            if end > a and item_key != key:
                return True
        return False


def bookable_window(t: OfficeHoursType, now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest start a booking made `now` may have."""
    return now + timedelta(minutes=t.min_notice_minutes), now + timedelta(days=t.horizon_days)


@lru_cache(maxsize=16384)
def _day_start(tz_name: str, day: date) -> tuple[float, bool]:
    """Local midnight of `day` as POSIX seconds, and whether the day has one UTC offset
    throughout (no DST change): a fact of the zone, shared by everyone who lives in it."""
    tz = zone(tz_name)
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    uniform = start.utcoffset() == end.utcoffset() and _exists(start, tz)
    return start.timestamp(), uniform


def _seconds(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


def _window_seconds(t: OfficeHoursType, day: date, window: Window, tz: ZoneInfo) -> list[float]:
    """Slot starts of one window as POSIX seconds; a day without DST change is arithmetic."""
    midnight, uniform = _day_start(t.time_zone, day)
    if not uniform:
        return [s.timestamp() for s in window_starts(t, day, window, tz)]
    length = t.slot_minutes * 60
    step = t.interval_minutes * 60
    first = midnight + _seconds(window.start)
    last = midnight + window.end_seconds - length
    if last < first:
        return []
    return [first + k * step for k in range(int((last - first) // step) + 1)]


#: a key no busy interval has: every overlap counts
_NO_KEY: tuple[object, float] = (object(), -1.0)


def _any_between(sorted_values: list[float], a: float, b: float) -> bool:
    i = bisect_left(sorted_values, a)
    return i < len(sorted_values) and sorted_values[i] <= b


def starts_after(day: date, hi: float, tz: ZoneInfo) -> bool:
    """Whether local `day` begins after `hi` (then no later day can have slots either)."""
    return datetime.combine(day, time(0), tz).timestamp() >= hi


def compute_slots(
    t: OfficeHoursType,
    start_utc: datetime,
    end_utc: datetime,
    now: datetime,
    occupancy: Occupancy,
    *,
    include_full: bool = False,
    limit: int | None = None,
) -> list[Slot]:
    """Bookable slots of `t` starting in [start_utc, end_utc), earliest first.

    The inner loop works on POSIX seconds (floats) and builds datetimes only for the slots it
    returns: that is what makes 1,000 experts × 14 days cheap.
    """
    if not t.bookable:
        return []
    earliest, latest = bookable_window(t, now)
    lo_dt = max(start_utc, earliest)
    hi_dt = min(end_utc, latest + timedelta(microseconds=1))
    if lo_dt >= hi_dt:
        return []
    lo, hi = lo_dt.timestamp(), hi_dt.timestamp()
    tz = zone(t.time_zone)
    length = t.slot_minutes * 60.0
    before = t.buffer_before_minutes * 60.0
    after = t.buffer_after_minutes * 60.0
    busy = _Busy(occupancy.busy)
    check_busy = bool(busy.items)
    taken = {k.timestamp(): v for k, v in occupancy.taken.items()}
    taken_keys = sorted(taken)
    day_counts = occupancy.day_counts or {}
    week_counts = occupancy.week_counts or {}
    capacity = t.capacity
    type_id = t.id
    out: list[Slot] = []
    new = tuple.__new__  # Slot(...) without the namedtuple's Python-level __new__
    append = out.append
    day = lo_dt.astimezone(tz).date() - timedelta(days=1)
    last_day = hi_dt.astimezone(tz).date()
    one_day = timedelta(days=1)
    while day <= last_day:
        windows = t.windows_on(day)
        if not windows:
            day += one_day
            continue
        day_full = (t.max_per_day is not None and day_counts.get(day, 0) >= t.max_per_day) or (
            t.max_per_week is not None and week_counts.get(week_key(day), 0) >= t.max_per_week
        )
        for window in sorted(windows, key=lambda w: w.start):
            starts = _window_seconds(t, day, window, tz)
            if not starts or starts[-1] < lo:
                continue
            if starts[0] < lo or starts[-1] >= hi:
                starts = starts[bisect_left(starts, lo) : bisect_left(starts, hi)]
                if not starts:
                    if starts_after(day, hi, tz):
                        return out
                    continue
            first, last = starts[0], starts[-1]
            clean = (
                not day_full
                and not (taken_keys and _any_between(taken_keys, first, last))
                and not (check_busy and busy.blocks(first - before, last + length + after, _NO_KEY))
            )
            if clean:
                # the common case: nothing booked or busy near this window, every start is a slot
                out.extend([new(Slot, (x, x + length, capacity, capacity)) for x in starts])
                if limit is not None and len(out) >= limit:
                    return out[:limit]
                continue
            for s in starts:
                used = taken.get(s, 0)
                if day_full and used == 0:
                    continue
                left = capacity - used
                if left <= 0 and not include_full:
                    continue
                e = s + length
                if check_busy and busy.blocks(s - before, e + after, (type_id, s)):
                    continue
                append(Slot(s, e, left if left > 0 else 0, capacity))
                if limit is not None and len(out) >= limit:
                    return out
        day += one_day
    return out


def is_slot_start(t: OfficeHoursType, start_utc: datetime) -> bool:
    """Whether the rules (ignoring bookings, notice and horizon) produce a slot at `start_utc`."""
    tz = zone(t.time_zone)
    local = start_utc.astimezone(tz).date()
    for day in (local - timedelta(days=1), local, local + timedelta(days=1)):
        for window in t.windows_on(day):
            for s in window_starts(t, day, window, tz):
                if s == start_utc:
                    return True
                if s > start_utc:
                    break
    return False


def naive_slots(
    t: OfficeHoursType, start_utc: datetime, end_utc: datetime, now: datetime, occupancy: Occupancy
) -> list[Slot]:
    """Minute-by-minute reference: test every UTC minute against the local rules.

    Slow on purpose; benchmarks and property tests compare `compute_slots` with it.
    """
    if not t.bookable:
        return []
    tz = zone(t.time_zone)
    earliest, latest = bookable_window(t, now)
    length = t.slot_length
    before = timedelta(minutes=t.buffer_before_minutes)
    after = timedelta(minutes=t.buffer_after_minutes)
    out: list[Slot] = []
    minute = start_utc.replace(second=0, microsecond=0)
    if minute < start_utc:
        minute += timedelta(minutes=1)
    while minute < end_utc:
        s = minute
        minute += timedelta(minutes=1)
        if s < earliest or s > latest:
            continue
        local = s.astimezone(tz)
        day = local.date()
        if local.fold == 1:
            continue  # the second of two ambiguous wall times: slots use the first
        ok = False
        for window in t.windows_on(day):
            ws = datetime.combine(day, window.start, tz)
            we = window.end_on(day, tz).astimezone(UTC)
            wall_offset = (local.replace(tzinfo=None) - ws.replace(tzinfo=None)).total_seconds()
            if (
                wall_offset >= 0
                and wall_offset % (t.interval_minutes * 60) == 0
                and s + length <= we
                and s >= ws.astimezone(UTC)
            ):
                ok = True
        if not ok:
            continue
        used = occupancy.taken.get(s, 0)
        dc = (occupancy.day_counts or {}).get(day, 0)
        wc = (occupancy.week_counts or {}).get(week_key(day), 0)
        if used == 0 and (
            (t.max_per_day is not None and dc >= t.max_per_day)
            or (t.max_per_week is not None and wc >= t.max_per_week)
        ):
            continue
        if t.capacity - used <= 0:
            continue
        e = s + length
        if any(
            b.start < e + after and s - before < b.end and b.key != (t.id, s)
            for b in occupancy.busy
        ):
            continue
        out.append(Slot(s.timestamp(), e.timestamp(), t.capacity - used, t.capacity))
    return out
