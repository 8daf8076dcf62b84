"""Ranking rules: relevance blended with availability, pause, load and time zones."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from core.expertise.model import ExpertProfile
from core.expertise.ports import Candidate, SkillEvidence
from core.expertise.ranking import ExpertContext, blend, order, overlap_hours

NOW = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # a Monday
ORG = uuid4()
K8S = uuid4()


def candidate(relevance: float = 1.0, **kw: object) -> Candidate:
    return Candidate(person_id=uuid4(), relevance=relevance, **kw)  # type: ignore[arg-type]


def ranked(c: Candidate, asker_zone: str | None = "Europe/Berlin", **ctx: object) -> object:
    context = ExpertContext(person_id=c.person_id, **ctx)  # type: ignore[arg-type]
    return blend(c, context, asker_zone=asker_zone, now=NOW, skill_names={K8S: "kubernetes"})


def test_an_expert_free_tomorrow_outranks_an_equal_one_without_office_hours() -> None:
    a, b = candidate(), candidate()
    free = ranked(a, time_zone="Europe/Berlin", next_free=NOW + timedelta(days=1, hours=2))
    unknown = ranked(b, time_zone="Europe/Berlin")
    assert free.score > unknown.score  # type: ignore[attr-defined]
    assert "free tomorrow 11:00" in free.reasons  # type: ignore[attr-defined]


def test_an_overloaded_expert_sinks_but_stays_in_the_list() -> None:
    busy, calm = candidate(relevance=1.0), candidate(relevance=0.6)
    profile = ExpertProfile(ORG, busy.person_id, weekly_request_cap=3)
    r_busy = ranked(busy, time_zone="Europe/Berlin", profile=profile, requests_this_week=3)
    r_calm = ranked(calm, time_zone="Europe/Berlin")
    result = order([r_busy, r_calm], "q")  # type: ignore[list-item]
    assert [r.person_id for r in result] == [calm.person_id, busy.person_id]
    assert r_busy.score > 0  # type: ignore[attr-defined]
    assert "at capacity this week (3 of 3 requests)" in r_busy.reasons  # type: ignore[attr-defined]


def test_load_counts_office_hours_against_the_experts_own_hours_cap() -> None:
    c = candidate()
    profile = ExpertProfile(ORG, c.person_id, weekly_hours_cap=2.0)
    r = ranked(c, time_zone="Europe/Berlin", profile=profile, hours_this_week=2.5)
    assert r.factors["load"] < 0.5  # type: ignore[attr-defined]
    assert any("office-hours hours" in x for x in r.reasons)  # type: ignore[attr-defined]


def test_a_paused_expert_sinks_and_says_until_when() -> None:
    c = candidate()
    profile = ExpertProfile(ORG, c.person_id, paused_until=NOW + timedelta(days=10))
    r = ranked(c, time_zone="Europe/Berlin", profile=profile)
    other = ranked(candidate(relevance=0.3), time_zone="Europe/Berlin")
    assert r.score < other.score  # type: ignore[attr-defined]
    assert any(x.startswith("away until") for x in r.reasons)  # type: ignore[attr-defined]


def test_working_hours_overlap_prefers_a_colleague_in_a_near_zone() -> None:
    near, far = candidate(), candidate()
    r_near = ranked(near, time_zone="Europe/Paris")
    r_far = ranked(far, time_zone="Pacific/Auckland")
    assert r_near.score > r_far.score  # type: ignore[attr-defined]
    assert "same working hours as you" in r_near.reasons  # type: ignore[attr-defined]
    assert "no working-hours overlap with you" in r_far.reasons  # type: ignore[attr-defined]


def test_overlap_hours_follow_real_offsets_including_half_hour_zones() -> None:
    assert overlap_hours("Europe/Berlin", "Europe/Berlin", NOW) == 8
    assert overlap_hours("Europe/Berlin", "Asia/Kolkata", NOW) == 3.5
    # New York is already on summer time, Berlin not yet: 5 h apart this week, 6 h the next
    assert overlap_hours("Europe/Berlin", "America/New_York", NOW) == 3
    assert overlap_hours("Europe/Berlin", "America/New_York", NOW + timedelta(days=7)) == 2
    assert overlap_hours("America/Los_Angeles", "Asia/Tokyo", NOW) == 0


def test_every_result_explains_itself_with_evidence() -> None:
    c = candidate(
        skills=(SkillEvidence(K8S, answered=12, accepted=4, endorsements=2),),
        office_hours=6,
        rating=4.8,
        similar_answered=3,
    )
    r = ranked(c, time_zone="Europe/Berlin")
    reasons = r.reasons  # type: ignore[attr-defined]
    assert "answered 12 questions tagged kubernetes (4 accepted)" in reasons
    assert "endorsed by 2 colleagues for kubernetes" in reasons
    assert "4.8★ office hours (6 held)" in reasons
    assert "answered 3 similar questions" in reasons


def test_ties_rotate_fairly_over_many_questions() -> None:
    people = [candidate(relevance=0.5) for _ in range(4)]
    firsts: Counter[object] = Counter()
    for n in range(2000):
        result = order(
            [ranked(c, time_zone="Europe/Berlin") for c in people],  # type: ignore[misc]
            f"question {n}",
        )
        firsts[result[0].person_id] += 1
    assert set(firsts) == {c.person_id for c in people}
    assert min(firsts.values()) > 2000 / 4 * 0.8


def test_ties_never_beat_a_better_score() -> None:
    better, tied_a, tied_b = candidate(0.9), candidate(0.5), candidate(0.5)
    for n in range(50):
        result = order(
            [ranked(c, time_zone="Europe/Berlin") for c in (tied_a, better, tied_b)],  # type: ignore[misc]
            f"q{n}",
        )
        assert result[0].person_id == better.person_id
