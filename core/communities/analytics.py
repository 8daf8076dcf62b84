"""Outcome analytics: the figures the business cares about, computed from plain facts.

Definitions (each figure is over questions asked in the period):
- answered: questions with at least one answer;
- time to first answer: hours from asking to the first answer; median and p90 by nearest rank;
- deflection: questions resolved from what already existed (linked as a duplicate of an earlier
  answer, or answered by citing a library post), as a share of questions asked;
- repeat questions: questions linked as duplicates;
- active contributors: distinct people who posted, commented, asked, answered or checked in;
- expert load: hours per week each expert gave (answers at `ANSWER_HOURS` each, demos at
  `DEMO_HOURS`, plus hosted office-hours time), flagged over the community's weekly limit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from core.communities.model import Recognition
from core.communities.ports import ActivityData, BookingFigures, ReportFacts
from core.expertise.model import DeflectionFigures

ANSWER_HOURS = 0.25
DEMO_HOURS = 0.5


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0 < q ≤ 1) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(1, math.ceil(q * len(ordered)))
    return ordered[k - 1]


@dataclass(frozen=True)
class ExpertLoad:
    person_id: UUID
    hours_per_week: float
    limit: float
    over_limit: bool


@dataclass(frozen=True)
class WeekActivity:
    week_start: date
    posts: int
    questions: int
    answers: int
    checkins: int


@dataclass(frozen=True)
class Report:
    scope: str
    start: datetime
    end: datetime
    questions_asked: int
    questions_answered: int
    first_answer_hours_median: float | None
    first_answer_hours_p90: float | None
    deflected: int
    deflection_share: float | None
    repeat_questions: int
    bookings: int
    attended: int
    cohort_enrolments: int
    cohort_completions: int
    cohort_completion_share: float | None
    active_contributors: int
    posts: int
    expert_load: tuple[ExpertLoad, ...] = ()
    weekly: tuple[WeekActivity, ...] = field(default_factory=tuple)
    #: questions asked to experts (organisation reports) and those resolved by reuse
    expert_questions_asked: int = 0
    expert_questions_deflected: int = 0
    expert_deflection_share: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "questions_asked": self.questions_asked,
            "questions_answered": self.questions_answered,
            "first_answer_hours_median": self.first_answer_hours_median,
            "first_answer_hours_p90": self.first_answer_hours_p90,
            "deflected": self.deflected,
            "deflection_share": self.deflection_share,
            "repeat_questions": self.repeat_questions,
            "bookings": self.bookings,
            "attended": self.attended,
            "cohort_enrolments": self.cohort_enrolments,
            "cohort_completions": self.cohort_completions,
            "cohort_completion_share": self.cohort_completion_share,
            "active_contributors": self.active_contributors,
            "posts": self.posts,
            "expert_questions_asked": self.expert_questions_asked,
            "expert_questions_deflected": self.expert_questions_deflected,
            "expert_deflection_share": self.expert_deflection_share,
            "expert_load": [
                {
                    "person_id": str(e.person_id),
                    "hours_per_week": e.hours_per_week,
                    "limit": e.limit,
                    "over_limit": e.over_limit,
                }
                for e in self.expert_load
            ],
            "weekly": [
                {
                    "week_start": w.week_start.isoformat(),
                    "posts": w.posts,
                    "questions": w.questions,
                    "answers": w.answers,
                    "checkins": w.checkins,
                }
                for w in self.weekly
            ],
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _monday(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def compute(
    scope: str,
    facts: ReportFacts,
    start: datetime,
    end: datetime,
    *,
    limits: Mapping[UUID, float],
    default_limit: float,
    bookings: BookingFigures | None = None,
    expert: DeflectionFigures | None = None,
) -> Report:
    """Figures for `facts` between `start` (inclusive) and `end` (exclusive); `expert` adds the
    expert questions' deflection by reuse (organisation reports).

    `limits` maps community ids to their weekly expert limit; an expert active in several
    communities is held to the strictest of them.
    """
    asked: dict[Hashable, datetime] = {}
    duplicates = 0
    for qid, _, _, created, duplicate in facts.questions:
        if start <= created < end:
            asked[qid] = created
            duplicates += duplicate
    first: dict[Hashable, datetime] = {}
    citing: set[Hashable] = set()
    for qid, _, _, created, cites in facts.answers:
        if qid in asked:
            if qid not in first or created < first[qid]:
                first[qid] = created
            if cites:
                citing.add(qid)
    hours = [
        (first[qid] - asked[qid]).total_seconds() / 3600
        for qid in first
        if first[qid] >= asked[qid]
    ]
    duplicate_ids = {q[0] for q in facts.questions if q[4] and q[0] in asked}
    deflected = len(duplicate_ids | citing)

    live = {c for c, starts, ends in facts.cohorts if ends >= start.date() and starts < end.date()}
    enrolled = [e for e in facts.enrolments if e[0] in live and not e[1]]
    completed = sum(1 for e in enrolled if e[2])

    contributors: set[Hashable] = set()
    contributors.update(q[2] for q in facts.questions if q[0] in asked)
    for rows in (facts.posts, facts.comments, facts.checkins):
        contributors.update(who for who, at in rows if start <= at < end)
    contributors.update(a[2] for a in facts.answers if start <= a[3] < end)
    contributors.update(d[0] for d in facts.demos if start <= d[2] < end)

    load = expert_load(facts, start, end, limits, default_limit, bookings)
    booking = bookings or BookingFigures()
    return Report(
        scope=scope,
        start=start,
        end=end,
        questions_asked=len(asked),
        questions_answered=len(first),
        first_answer_hours_median=_round(nearest_rank(hours, 0.5)),
        first_answer_hours_p90=_round(nearest_rank(hours, 0.9)),
        deflected=deflected,
        deflection_share=_share(deflected, len(asked)),
        repeat_questions=len(duplicate_ids),
        bookings=booking.bookings,
        attended=booking.attended,
        cohort_enrolments=len(enrolled),
        cohort_completions=completed,
        cohort_completion_share=_share(completed, len(enrolled)),
        active_contributors=len(contributors),
        posts=sum(1 for _, at in facts.posts if start <= at < end),
        expert_load=tuple(load),
        weekly=tuple(weekly(facts, start, end)),
        expert_questions_asked=expert.asked if expert else 0,
        expert_questions_deflected=expert.deflected if expert else 0,
        expert_deflection_share=expert.share if expert else None,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def expert_load(
    facts: ReportFacts,
    start: datetime,
    end: datetime,
    limits: Mapping[UUID, float],
    default_limit: float,
    bookings: BookingFigures | None = None,
) -> list[ExpertLoad]:
    weeks = max(1.0, (end - start).total_seconds() / (7 * 86400))
    by_text = {str(k): v for k, v in limits.items()}
    hours: dict[str, float] = defaultdict(float)
    strictest: dict[str, float] = {}

    def limit_for(person: str, community: Hashable) -> None:
        value = by_text.get(str(community))
        if value is not None:
            strictest[person] = min(strictest.get(person, value), value)

    for _, community, author, created, _ in facts.answers:
        if start <= created < end:
            key = str(author)
            hours[key] += ANSWER_HOURS
            limit_for(key, community)
    for person, community, given in facts.demos:
        if start <= given < end:
            key = str(person)
            hours[key] += DEMO_HOURS
            limit_for(key, community)
    if bookings is not None:
        for host, h in bookings.hosted_hours.items():
            hours[str(host)] += h
    out = []
    for person, total in hours.items():
        per_week = round(total / weeks, 2)
        limit = strictest.get(person, default_limit)
        out.append(ExpertLoad(UUID(person), per_week, limit, per_week > limit))
    out.sort(key=lambda e: (-e.hours_per_week, str(e.person_id)))
    return out


def weekly(facts: ReportFacts, start: datetime, end: datetime) -> list[WeekActivity]:
    """Counts per ISO week (Monday, UTC) over the whole period, empty weeks included."""
    counts: dict[date, list[int]] = {}
    week = _monday(start)
    last = _monday(end - timedelta(microseconds=1))
    while week <= last:
        counts[week] = [0, 0, 0, 0]
        week += timedelta(days=7)

    # week index by arithmetic on aware datetimes: no zone conversion per row
    base = datetime.combine(_monday(start), datetime.min.time(), UTC)
    weeks = sorted(counts)

    def bump(moments: Iterable[datetime], slot: int) -> None:
        for m in moments:
            if start <= m < end:
                counts[weeks[(m - base).days // 7]][slot] += 1

    bump((p[1] for p in facts.posts), 0)
    bump((q[3] for q in facts.questions), 1)
    bump((a[3] for a in facts.answers), 2)
    bump((c[1] for c in facts.checkins), 3)
    return [WeekActivity(w, *v) for w, v in sorted(counts.items())]


def recognition(
    data: ActivityData, session_hosts: Mapping[UUID, int] | None = None
) -> list[Recognition]:
    """Counts that reward helping: accepted answers, promoted resources, demos, sessions hosted."""
    accepted: dict[UUID, int] = defaultdict(int)
    promoted: dict[UUID, int] = defaultdict(int)
    demos: dict[UUID, int] = defaultdict(int)
    for a in data.answers:
        if a.accepted:
            accepted[a.author_id] += 1
    for post in data.posts:
        if post[4] is not None:
            for person in {post[2], *post[5]}:
                promoted[person] += 1
    sessions: set[tuple[UUID, datetime]] = set()
    for d in data.demos:
        demos[d.person_id] += 1
        if d.cohort_id is None:
            sessions.add((d.recorded_by, d.given_at))
    hosted: dict[UUID, int] = defaultdict(int)
    for host, _ in sessions:
        hosted[host] += 1
    for host, n in (session_hosts or {}).items():
        hosted[host] += n
    people = set(accepted) | set(promoted) | set(demos) | set(hosted)
    out = [
        Recognition(
            person_id=p,
            accepted_answers=accepted.get(p, 0),
            promoted_resources=promoted.get(p, 0),
            demos_given=demos.get(p, 0),
            sessions_hosted=hosted.get(p, 0),
        )
        for p in people
    ]
    out.sort(key=lambda r: (-r.score, str(r.person_id)))
    return out


class ReportRenderer(Protocol):
    """Turns a computed report into files (CSV, a chart); implemented outside the core."""

    def csv(self, report: Report) -> str: ...

    def chart(self, report: Report, fmt: str = "svg") -> bytes: ...


EXPORT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
}
