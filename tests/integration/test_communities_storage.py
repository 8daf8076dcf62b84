"""Communities on the real database (SQLite, or PostgreSQL with PEERLEARN_TEST_DATABASE_URL):
the analytics scenario, library search scored in SQL, and text stored exactly as written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from core.clock import FixedClock
from core.services import Services
from tests.communities_scenario import END, START, seed
from tests.unit.test_communities_search import CORPUS


async def test_the_analytics_scenario_gives_the_same_figures_on_the_database(
    services: Services, clock: FixedClock, org: Any
) -> None:
    async def person(name: str) -> UUID:
        return (await services.people.add_person(org.id, name, None)).id

    s = await seed(services.communities, clock, org.id, person)
    r = await services.communities.analytics(org.id, start=START, end=END)
    assert (r.questions_asked, r.questions_answered) == (5, 4)
    assert (r.first_answer_hours_median, r.first_answer_hours_p90) == (2.0, 10.0)
    assert (r.deflected, r.deflection_share, r.repeat_questions) == (2, 0.4, 1)
    assert (r.cohort_enrolments, r.cohort_completions, r.active_contributors) == (3, 2, 7)
    loads = {e.person_id: (e.hours_per_week, e.over_limit) for e in r.expert_load}
    assert loads == {s.e1: (1.25, True), s.e2: (0.75, False)}
    a = await services.communities.analytics(org.id, s.a, start=START, end=END)
    assert (a.questions_asked, a.first_answer_hours_median, a.active_contributors) == (4, 3.0, 7)


async def test_search_on_the_database_ranks_like_the_core_expects(
    services: Services, clock: FixedClock, org: Any
) -> None:
    owner = (await services.people.add_person(org.id, "Amara Okafor", None)).id
    community = await services.communities.create_community(org.id, owner, "GenAI Guild")
    ids: dict[str, UUID] = {}
    for key, kind, title, body in CORPUS:
        extra = {"tool": "Copilot", "prompt_text": body} if kind == "prompt" else {}
        post = await services.communities.create_post(
            org.id, community.id, owner, kind, title, body, **extra
        )
        ids[key] = post.id
        clock.advance(timedelta(hours=1))
    for query, key in [
        ("slow sql query index", "sql"),
        ("payment reminder email", "email"),
        ("pivot table by month", "pivot"),
        ("new support agent checklist", "onboarding"),
    ]:
        results = await services.communities.search(org.id, query)
        assert results[0].post.id == ids[key], query
    await services.communities.set_archived(org.id, ids["sql"], owner, True)
    after = await services.communities.search(org.id, "slow sql query index")
    assert ids["sql"] not in {r.post.id for r in after}
    edited = await services.communities.edit_post(
        org.id, ids["regex"], owner, body="Kubernetes helm chart values"
    )
    assert edited.body == "Kubernetes helm chart values"
    found = await services.communities.search(org.id, "helm charts")
    assert [r.post.id for r in found] == [ids["regex"]]


async def test_hostile_text_round_trips_unchanged(services: Services, org: Any) -> None:
    owner = (await services.people.add_person(org.id, "Zoë Ångström", None)).id
    for skill in ("数据", "C++"):
        await services.expertise.add_skill(org.id, skill)
    community = await services.communities.create_community(org.id, owner, "Ünïcødé 社区 🚀")
    body = "<script>alert('x')</script> \"quotes\" ; DROP TABLE community_post; -- 😀 \u202e"
    post = await services.communities.create_post(
        org.id, community.id, owner, "tip", "<b>bold</b> & 'tick'", body, ["数据", "c++"]
    )
    again = await services.communities.get_post(org.id, post.id)
    assert (again.title, again.body, again.tags) == ("<b>bold</b> & 'tick'", body, ("数据", "C++"))
    assert [r.post.id for r in await services.communities.search(org.id, "数据")] == [post.id]


async def test_cohort_rounds_and_completions_persist(
    services: Services, clock: FixedClock, org: Any
) -> None:
    owner = (await services.people.add_person(org.id, "Owner", None)).id
    community = await services.communities.create_community(org.id, owner, "Data Engineering")
    cohort = await services.communities.create_cohort(
        org.id,
        community.id,
        owner,
        "dbt month",
        "Ship one model",
        date(2026, 3, 23),
        date(2026, 4, 19),
        required_checkins=1,
        requires_demo=True,
    )
    people = [(await services.people.add_person(org.id, f"P{i}", None)).id for i in range(5)]
    for p in people:
        await services.communities.join(org.id, community.id, p)
        await services.communities.join_cohort(org.id, cohort.id, p)
    first = await services.communities.pair_round(org.id, cohort.id, owner)
    second = await services.communities.pair_round(org.id, cohort.id, owner)
    view = await services.communities.cohort(org.id, cohort.id)
    assert [r.number for r in view.rounds] == [1, 2]
    assert view.rounds[0].groups == first.groups and view.rounds[1].groups == second.groups
    await services.communities.check_in(org.id, cohort.id, people[0], "tried dbt tests")
    await services.communities.record_demo(
        org.id, community.id, owner, people[0], "dbt demo", cohort_id=cohort.id
    )
    async with services.uow() as uow:
        rows = await uow.outbox.list(org.id)
    assert sorted(m.kind for m in rows) == ["learning.completion", "lms.score"]
