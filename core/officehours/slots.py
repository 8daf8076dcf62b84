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
from datetime import UTC, date, datetime, timedelta
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
    we = datetime.combine(day, window.end, tz)
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
    """Sorted busy intervals answering 'does [a, b) overlap anything but `key`?' quickly."""

    def __init__(self, intervals: Sequence[Interval]) -> None:
        self.items = sorted(intervals, key=lambda i: i.start)
        self.starts = [i.start for i in self.items]
        self.max_end: list[datetime] = []
        running: datetime | None = None
        for i in self.items:
            running = i.end if running is None or i.end > running else running
            self.max_end.append(running)

    def blocks(self, a: datetime, b: datetime, key: tuple[object, datetime]) -> bool:
        idx = bisect_left(self.starts, b)
        if idx == 0 or self.max_end[idx - 1] <= a:
            return False
        for j in range(idx - 1, -1, -1):
            if self.max_end[j] <= a:
                break
            item = self.items[j]
            if item.end > a and item.key != key:
                return True
        return False


def bookable_window(t: OfficeHoursType, now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest start a booking made `now` may have."""
    return now + timedelta(minutes=t.min_notice_minutes), now + timedelta(days=t.horizon_days)


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
    """Bookable slots of `t` starting in [start_utc, end_utc), earliest first."""
    if not t.bookable:
        return []
    earliest, latest = bookable_window(t, now)
    lo = max(start_utc, earliest)
    hi = min(end_utc, latest + timedelta(microseconds=1))
    if lo >= hi:
        return []
    tz = zone(t.time_zone)
    length = t.slot_length
    before = timedelta(minutes=t.buffer_before_minutes)
    after = timedelta(minutes=t.buffer_after_minutes)
    busy = _Busy(occupancy.busy)
    taken = occupancy.taken
    day_counts = occupancy.day_counts or {}
    week_counts = occupancy.week_counts or {}
    capacity = t.capacity
    out: list[Slot] = []
    day = lo.astimezone(tz).date() - timedelta(days=1)
    last_day = hi.astimezone(tz).date()
    one_day = timedelta(days=1)
    while day <= last_day:
        windows = t.windows_on(day)
        day_full = (t.max_per_day is not None and day_counts.get(day, 0) >= t.max_per_day) or (
            t.max_per_week is not None and week_counts.get(week_key(day), 0) >= t.max_per_week
        )
        for window in sorted(windows, key=lambda w: w.start):
            for s in window_starts(t, day, window, tz):
                if s < lo:
                    continue
                if s >= hi:
                    break
                used = taken.get(s, 0)
                if day_full and used == 0:
                    continue
                left = capacity - used
                if left <= 0 and not include_full:
                    continue
                e = s + length
                if busy.blocks(s - before, e + after, (t.id, s)):
                    continue
                out.append(Slot(s, e, max(left, 0), capacity))
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
            we = datetime.combine(day, window.end, tz).astimezone(UTC)
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
        out.append(Slot(s, e, t.capacity - used, t.capacity))
    return out
