"""Ranking rules: relevance from the index blended with what the product knows about people.

Availability, pause, load against the expert's own cap and working-hours overlap with the asker
multiply relevance; nothing removes a relevant expert from the list (an overloaded or paused
expert sinks but stays findable). Every factor that moved someone says so in a reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from uuid import UUID

from core.expertise.model import ExpertProfile
from core.expertise.ports import Candidate
from core.timezones import zone

WORKDAY = (time(9, 0), time(17, 0))
PAUSED_FACTOR = 0.15
#: scores this close (relative) to the best of their group count as a tie
TIE_TOLERANCE = 0.03
OVERLOADED_FACTOR = 0.3


@dataclass(frozen=True)
class ExpertContext:
    """What the product knows about one candidate besides relevance."""

    person_id: UUID
    time_zone: str = "UTC"
    profile: ExpertProfile | None = None
    next_free: datetime | None = None
    requests_this_week: int = 0
    hours_this_week: float = 0.0


@dataclass(frozen=True)
class RankedExpert:
    person_id: UUID
    score: float
    relevance: float
    reasons: tuple[str, ...]
    factors: dict[str, float] = field(default_factory=dict)
    #: the next free office-hours slot when it was looked up (always for the experts returned
    #: by `match` who host office hours), so front doors need not ask again
    next_free: datetime | None = None


def week_start(now: datetime) -> datetime:
    """Monday 00:00 UTC of the week containing `now`."""
    day = now.date() - timedelta(days=now.weekday())
    return datetime.combine(day, time(0, 0), tzinfo=now.tzinfo)


def _workday_utc(zone_name: str, day: date) -> tuple[datetime, datetime]:
    tz = zone(zone_name)
    start = datetime.combine(day, WORKDAY[0], tzinfo=tz)
    end = datetime.combine(day, WORKDAY[1], tzinfo=tz)
    return start, end


def overlap_hours(asker_zone: str, expert_zone: str, now: datetime) -> float:
    """Hours the asker's next working day (09–17 local) overlaps the expert's working hours."""
    return _overlap_on(asker_zone, expert_zone, now.astimezone(zone(asker_zone)).date())


@lru_cache(maxsize=4096)
def _overlap_on(asker_zone: str, expert_zone: str, local: date) -> float:
    # a match blends dozens of candidates from a handful of zones: computed once per pair a day
    while local.weekday() >= 5:
        local += timedelta(days=1)
    a_start, a_end = _workday_utc(asker_zone, local)
    best = 0.0
    for shift in (-1, 0, 1):
        e_start, e_end = _workday_utc(expert_zone, local + timedelta(days=shift))
        seconds = (min(a_end, e_end) - max(a_start, e_start)).total_seconds()
        best = max(best, seconds / 3600)
    return best


def _when(moment: datetime, viewer_zone: str, now: datetime) -> str:
    local = moment.astimezone(zone(viewer_zone))
    today = now.astimezone(zone(viewer_zone)).date()
    days = (local.date() - today).days
    if days <= 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif days < 7:
        day = local.strftime("%A")
    else:
        day = local.strftime("%a %d %b")
    return f"{day} {local:%H:%M}"


def _skill_reasons(c: Candidate, skill_names: Mapping[UUID, str]) -> list[str]:
    out: list[str] = []
    for s in sorted(c.skills, key=lambda s: (-s.answered, -s.declared_level, -s.endorsements)):
        name = skill_names.get(s.skill_id, "this topic")
        if s.answered:
            accepted = f" ({s.accepted} accepted)" if s.accepted else ""
            plural = "question" if s.answered == 1 else "questions"
            out.append(f"answered {s.answered} {plural} tagged {name}{accepted}")
        if s.declared_level:
            out.append(f"rates themself {s.declared_level}/5 in {name}")
        if s.endorsements:
            who = "colleague" if s.endorsements == 1 else "colleagues"
            out.append(f"endorsed by {s.endorsements} {who} for {name}")
    return out[:3]


def relevance_reasons(c: Candidate, skill_names: Mapping[UUID, str]) -> list[str]:
    """Why the index thinks this person knows the topic."""
    reasons = _skill_reasons(c, skill_names)
    if c.similar_answered:
        plural = "question" if c.similar_answered == 1 else "questions"
        reasons.append(f"answered {c.similar_answered} similar {plural}")
    elif not reasons and c.answered:
        reasons.append(f"answered {c.answered} questions in total")
    if c.office_hours:
        if c.rating is not None:
            reasons.append(f"{c.rating:.1f}★ office hours ({c.office_hours} held)")
        else:
            reasons.append(f"held {c.office_hours} office hours")
    if c.resources:
        reasons.append(f"wrote {c.resources} library resource{'s' if c.resources > 1 else ''}")
    if c.demos:
        reasons.append(f"gave {c.demos} demo{'s' if c.demos > 1 else ''}")
    return reasons


def load_ratio(ctx: ExpertContext) -> tuple[float, str]:
    """Share of the expert's own weekly cap already used, and the fuller of the two caps."""
    profile = ctx.profile
    request_cap = profile.weekly_request_cap if profile else 5
    hours_cap = profile.weekly_hours_cap if profile else 4.0
    by_requests = ctx.requests_this_week / request_cap if request_cap > 0 else 1.0
    by_hours = ctx.hours_this_week / hours_cap if hours_cap > 0 else 0.0
    if by_hours > by_requests:
        return by_hours, f"{ctx.hours_this_week:g} of {hours_cap:g} office-hours hours"
    return by_requests, f"{ctx.requests_this_week} of {request_cap} requests"


def blend(
    candidate: Candidate,
    ctx: ExpertContext,
    *,
    asker_zone: str | None,
    now: datetime,
    skill_names: Mapping[UUID, str],
) -> RankedExpert:
    """Relevance × availability × pause × load × time-zone overlap, with reasons."""
    reasons = relevance_reasons(candidate, skill_names)
    factors: dict[str, float] = {}
    viewer_zone = asker_zone or ctx.time_zone

    profile = ctx.profile
    if profile and profile.paused_until and profile.paused_until > now:
        factors["paused"] = PAUSED_FACTOR
        reasons.append(f"away until {_when(profile.paused_until, viewer_zone, now)}")
    elif ctx.next_free is not None:
        hours = (ctx.next_free - now).total_seconds() / 3600
        factors["availability"] = 1.15 if hours <= 36 else 1.08 if hours <= 96 else 1.0
        reasons.append(f"free {_when(ctx.next_free, viewer_zone, now)}")

    ratio, used = load_ratio(ctx)
    if ratio >= 1:
        factors["load"] = OVERLOADED_FACTOR
        reasons.append(f"at capacity this week ({used})")
    elif ratio > 0:
        factors["load"] = 1.0 - 0.35 * ratio

    if asker_zone:
        hours = overlap_hours(asker_zone, ctx.time_zone, now)
        factors["time_zone"] = 0.7 + 0.3 * min(hours, 8.0) / 8.0
        if hours >= 7.5:
            if (
                now.astimezone(zone(asker_zone)).utcoffset()
                == now.astimezone(zone(ctx.time_zone)).utcoffset()
            ):
                reasons.append("same working hours as you")
        elif hours > 0:
            reasons.append(f"{hours:.0f} h of working-day overlap with you")
        else:
            reasons.append("no working-hours overlap with you")

    score = candidate.relevance
    for value in factors.values():
        score *= value
    return RankedExpert(
        person_id=candidate.person_id,
        score=score,
        relevance=candidate.relevance,
        reasons=tuple(reasons) or ("knows this topic",),
        factors=factors,
        next_free=ctx.next_free,
    )


def _rotation(salt: str, person_id: UUID) -> bytes:
    return hashlib.blake2b(salt.encode() + person_id.bytes, digest_size=8).digest()


def tie_groups(
    ranked: Sequence[RankedExpert], tolerance: float = TIE_TOLERANCE
) -> list[list[RankedExpert]]:
    """Best first, in groups that count as a tie: scores within `tolerance` (relative) of the
    best of their group."""
    groups: list[list[RankedExpert]] = []
    for r in sorted(ranked, key=lambda r: -r.score):
        if groups and r.score >= groups[-1][0].score * (1 - tolerance):
            groups[-1].append(r)
        else:
            groups.append([r])
    return groups


def order(
    ranked: Sequence[RankedExpert], salt: str, tolerance: float = TIE_TOLERANCE
) -> list[RankedExpert]:
    """Best first. Ties (`tie_groups`) are ordered by a per-question rotation: over many
    questions every tied expert is first about equally often, instead of whoever has the lowest
    id or the newest answer."""
    return [
        r
        for group in tie_groups(ranked, tolerance)
        for r in sorted(group, key=lambda g: _rotation(salt, g.person_id))
    ]
