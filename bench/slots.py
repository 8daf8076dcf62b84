"""Slot computation against a naive minute-by-minute baseline, in the same run, on one core.

1. one expert (Europe/Berlin, two windows a day on weekdays, 30-min slots every 15 min, a few
   bookings and busy blocks) over 90 days — fast and naive both computed in full;
2. 1,000 experts in 12 zones (including Lord Howe and Kolkata, across the March DST changes) over
   14 days — fast computed for all 1,000; the naive baseline on a sample (default 100 experts) and
   scaled to 1,000, because the full baseline takes minutes. Both results are compared slot for
   slot on the sample.

    python -m bench.slots [--experts 1000] [--sample 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from typing import Any
from uuid import uuid4

from core.officehours.model import Interval, OfficeHoursType, WeeklyRule, Window, validate
from core.officehours.slots import Occupancy, compute_slots, naive_slots

ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Africa/Casablanca",
    "Pacific/Auckland",
]
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def expert(rng: random.Random, zone: str) -> tuple[OfficeHoursType, Occupancy]:
    rules = []
    for day in range(5):
        if rng.random() < 0.8:
            rules.append(WeeklyRule(day, Window(wall(9), wall(12))))
            rules.append(WeeklyRule(day, Window(wall(13, 30), wall(17))))
    if not rules:
        rules.append(WeeklyRule(0, Window(wall(9), wall(12))))
    t = OfficeHoursType(
        id=uuid4(),
        organisation_id=uuid4(),
        host_id=uuid4(),
        title="Office hours",
        time_zone=zone,
        rules=tuple(rules),
        slot_minutes=30,
        interval_minutes=rng.choice([15, 30]),
        capacity=rng.choice([1, 1, 1, 3]),
        buffer_after_minutes=rng.choice([0, 10]),
        min_notice_minutes=120,
        horizon_days=120,
    )
    validate(t)
    taken: dict[datetime, int] = {}
    busy: list[Interval] = []
    for _ in range(8):
        start = NOW + timedelta(days=rng.randint(0, 13), hours=rng.randint(0, 23))
        start = start.replace(minute=0)
        busy.append(Interval(start, start + timedelta(minutes=rng.choice([30, 60, 90]))))
    return t, Occupancy(taken=taken, busy=busy)


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)

    # 1. one expert, 90 days
    t, occ = expert(rng, "Europe/Berlin")
    t.interval_minutes = 15
    end = NOW + timedelta(days=90)
    fast_s, fast = best_of(args.repeat, lambda: compute_slots(t, NOW, end, NOW, occ))
    naive_s, naive = best_of(1, lambda: naive_slots(t, NOW, end, NOW, occ))
    assert fast == naive, "fast and naive slots differ"
    print("one expert × 90 days")
    print(f"  fast  {fast_s * 1000:9.2f} ms  ({len(fast)} slots)")
    print(f"  naive {naive_s * 1000:9.2f} ms  (minute by minute)")
    print(f"  speed-up ×{naive_s / fast_s:,.0f}")

    # 2. many experts, 14 days
    experts = [expert(rng, ZONES[i % len(ZONES)]) for i in range(args.experts)]
    end = NOW + timedelta(days=14)

    def all_fast() -> int:
        return sum(len(compute_slots(x, NOW, end, NOW, o)) for x, o in experts)

    fast_s, count = best_of(args.repeat, all_fast)
    sample = experts[: args.sample]
    start = time.perf_counter()
    for x, o in sample:
        assert compute_slots(x, NOW, end, NOW, o) == naive_slots(x, NOW, end, NOW, o)
    sample_s = time.perf_counter() - start
    sample_fast_s, _ = best_of(1, lambda: [compute_slots(x, NOW, end, NOW, o) for x, o in sample])
    naive_sample_s = sample_s - sample_fast_s
    naive_scaled = naive_sample_s * len(experts) / len(sample)
    print(f"{len(experts)} experts × 14 days ({len(ZONES)} zones, across the March DST changes)")
    print(f"  fast  {fast_s * 1000:9.2f} ms  ({count} slots; goal < 500 ms)")
    print(
        f"  naive {naive_scaled * 1000:9.2f} ms  (measured on {len(sample)} experts: "
        f"{naive_sample_s * 1000:.0f} ms, scaled ×{len(experts) / len(sample):g})"
    )
    print(f"  speed-up ×{naive_scaled / fast_s:,.0f}; identical slots on the sample")


if __name__ == "__main__":
    main()
