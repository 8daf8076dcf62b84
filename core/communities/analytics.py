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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from core.communities.model import Recognition
from core.communities.ports import ActivityData, BookingFigures

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


def _inside(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def compute(
    scope: str,
    data: ActivityData,
    start: datetime,
    end: datetime,
    *,
    limits: Mapping[UUID, float],
    default_limit: float,
    bookings: BookingFigures | None = None,
) -> Report:
    """Figures for `data` between `start` (inclusive) and `end` (exclusive).

    `limits` maps community ids to their weekly expert limit; an expert active in several
    communities is held to the strictest of them.
    """
    questions = [q for q in data.questions if _inside(q.created_at, start, end)]
    asked_ids = {q.id for q in questions}
    first: dict[UUID, datetime] = {}
    citing: set[UUID] = set()
    for a in data.answers:
        if a.question_id in asked_ids:
            if a.question_id not in first or a.created_at < first[a.question_id]:
                first[a.question_id] = a.created_at
            if a.cites_post_id is not None:
                citing.add(a.question_id)
    by_question = {q.id: q for q in questions}
    hours = [
        (first[qid] - by_question[qid].created_at).total_seconds() / 3600
        for qid in first
        if first[qid] >= by_question[qid].created_at
    ]
    duplicates = {q.id for q in questions if q.duplicate_of_id is not None}
    deflected = duplicates | citing
    answered = set(first)

    enrolments = [e for e in data.enrolments if e.left_at is None]
    cohort_ids = {
        c.id for c in data.cohorts if c.ends_on >= start.date() and c.starts_on < end.date()
    }
    enrolments = [e for e in enrolments if e.cohort_id in cohort_ids]
    completions = [e for e in enrolments if e.completed_at is not None]

    contributors: set[UUID] = set()
    contributors.update(q.asker_id for q in questions)
    contributors.update(a.author_id for a in data.answers if _inside(a.created_at, start, end))
    contributors.update(p[2] for p in data.posts if _inside(p[3], start, end))
    contributors.update(c[0] for c in data.comments if _inside(c[1], start, end))
    contributors.update(c.person_id for c in data.checkins if _inside(c.created_at, start, end))
    contributors.update(d.person_id for d in data.demos if _inside(d.given_at, start, end))

    load = expert_load(data, start, end, limits, default_limit, bookings)
    booking = bookings or BookingFigures()
    return Report(
        scope=scope,
        start=start,
        end=end,
        questions_asked=len(questions),
        questions_answered=len(answered),
        first_answer_hours_median=_round(nearest_rank(hours, 0.5)),
        first_answer_hours_p90=_round(nearest_rank(hours, 0.9)),
        deflected=len(deflected),
        deflection_share=_share(len(deflected), len(questions)),
        repeat_questions=len(duplicates),
        bookings=booking.bookings,
        attended=booking.attended,
        cohort_enrolments=len(enrolments),
        cohort_completions=len(completions),
        cohort_completion_share=_share(len(completions), len(enrolments)),
        active_contributors=len(contributors),
        posts=sum(1 for p in data.posts if _inside(p[3], start, end)),
        expert_load=tuple(load),
        weekly=tuple(weekly(data, start, end)),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def expert_load(
    data: ActivityData,
    start: datetime,
    end: datetime,
    limits: Mapping[UUID, float],
    default_limit: float,
    bookings: BookingFigures | None = None,
) -> list[ExpertLoad]:
    weeks = max(1.0, (end - start).total_seconds() / (7 * 86400))
    hours: dict[UUID, float] = defaultdict(float)
    strictest: dict[UUID, float] = {}
    community_of = {q.id: q.community_id for q in data.questions}

    def limit_for(person: UUID, community: UUID | None) -> None:
        if community is None or community not in limits:
            return
        value = limits[community]
        strictest[person] = min(strictest.get(person, value), value)

    for a in data.answers:
        if _inside(a.created_at, start, end):
            hours[a.author_id] += ANSWER_HOURS
            limit_for(a.author_id, community_of.get(a.question_id))
    for d in data.demos:
        if _inside(d.given_at, start, end):
            hours[d.person_id] += DEMO_HOURS
            limit_for(d.person_id, d.community_id)
    if bookings is not None:
        for person, h in bookings.hosted_hours.items():
            hours[person] += h
            limit_for(person, None)
    out = []
    for person, total in hours.items():
        per_week = round(total / weeks, 2)
        limit = strictest.get(person, default_limit)
        out.append(ExpertLoad(person, per_week, limit, per_week > limit))
    out.sort(key=lambda e: (-e.hours_per_week, str(e.person_id)))
    return out


def weekly(data: ActivityData, start: datetime, end: datetime) -> list[WeekActivity]:
    """Counts per ISO week (Monday, UTC) over the whole period, empty weeks included."""
    counts: dict[date, list[int]] = {}
    week = _monday(start)
    last = _monday(end - timedelta(microseconds=1))
    while week <= last:
        counts[week] = [0, 0, 0, 0]
        week += timedelta(days=7)

    def bump(moments: Iterable[datetime], slot: int) -> None:
        for m in moments:
            if _inside(m, start, end):
                counts[_monday(m)][slot] += 1

    bump((p[3] for p in data.posts), 0)
    bump((q.created_at for q in data.questions), 1)
    bump((a.created_at for a in data.answers), 2)
    bump((c.created_at for c in data.checkins), 3)
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
    for d in data.demos:
        demos[d.person_id] += 1
    hosted = dict(session_hosts or {})
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
