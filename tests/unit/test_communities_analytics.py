"""Outcome analytics on a seeded scenario, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from core.communities.analytics import nearest_rank
from core.errors import InvalidInput
from tests.communities_scenario import END, START, seed
from tests.unit.communities_fakes import world


async def _seeded():  # type: ignore[no-untyped-def]
    w = world()

    async def person(name: str):  # type: ignore[no-untyped-def]
        return w.person(name)

    scenario = await seed(w.service, w.clock, w.org_id, person)
    return w, scenario


async def test_organisation_report_matches_the_hand_calculation() -> None:
    w, s = await _seeded()
    r = await w.service.analytics(w.org_id, start=START, end=END)
    # asked in the period: q1..q5 (q0 was asked the day before)
    assert r.questions_asked == 5
    # answered: q1, q2, q3, q5; first answers after 1 h, 3 h, 10 h, 2 h
    assert r.questions_answered == 4
    assert r.first_answer_hours_median == 2.0  # sorted 1,2,3,10: rank ceil(0.5*4)=2
    assert r.first_answer_hours_p90 == 10.0  # rank ceil(0.9*4)=4
    # q2 answered by citing a library post, q4 linked as a duplicate of q1
    assert (r.deflected, r.deflection_share, r.repeat_questions) == (2, 0.4, 1)
    # three learners enrolled; l1 and l2 completed (one check-in needed, no demo required)
    assert (r.cohort_enrolments, r.cohort_completions) == (3, 2)
    assert r.cohort_completion_share == 0.6667
    # askers m1, m2; answerers e1, e2; poster owner; commenter m2; check-ins l1, l2; demo e1
    assert r.active_contributors == 7
    assert r.posts == 1
    loads = {e.person_id: e for e in r.expert_load}
    # e1: answers to q1, q2, q5 (3 x 0.25 h) + one demo (0.5 h) = 1.25 h in one week; B allows 1 h
    assert (loads[s.e1].hours_per_week, loads[s.e1].limit, loads[s.e1].over_limit) == (
        1.25,
        1.0,
        True,
    )
    # e2: answers to q0, q1, q3 = 0.75 h; only community A (4 h)
    assert (loads[s.e2].hours_per_week, loads[s.e2].limit, loads[s.e2].over_limit) == (
        0.75,
        4.0,
        False,
    )
    weeks = [(x.week_start, x.posts, x.questions, x.answers, x.checkins) for x in r.weekly]
    assert weeks == [(date(2026, 3, 23), 1, 5, 6, 2), (date(2026, 3, 30), 0, 0, 0, 0)]


async def test_community_report_counts_only_that_community() -> None:
    w, s = await _seeded()
    r = await w.service.analytics(w.org_id, s.a, start=START, end=END)
    assert (r.questions_asked, r.questions_answered) == (4, 3)
    assert (r.first_answer_hours_median, r.first_answer_hours_p90) == (3.0, 10.0)
    assert (r.deflected, r.deflection_share) == (2, 0.5)
    assert r.active_contributors == 7  # m1, e1, e2, owner, m2 (comment), l1, l2
    b = await w.service.analytics(w.org_id, s.b, start=START, end=END)
    assert (b.questions_asked, b.questions_answered, b.first_answer_hours_median) == (1, 1, 2.0)
    assert b.cohort_enrolments == 0 and b.cohort_completion_share is None


async def test_a_period_must_be_ordered_and_bounded() -> None:
    w, _ = await _seeded()
    with pytest.raises(InvalidInput):
        await w.service.analytics(w.org_id, start=END, end=START)


def test_nearest_rank_quantiles() -> None:
    assert nearest_rank([], 0.5) is None
    assert nearest_rank([5.0], 0.9) == 5.0
    assert nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert nearest_rank([4, 1, 3, 2], 0.5) == 2
