"""A cohort or challenge placed in a course from the lti1p3platform fake: the instructor deep-links
it as a graded resource link, a learner opens it, joins and checks in, and the completion comes
back to the platform's grade book as an AGS score through the outbox and the worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.delivery import delivery_registry
from app.worker import Worker
from tests.fakes.lti1p3_platform import Lti1p3Platform
from tests.fakes.lti_course import User
from tests.fakes.lti_tool import Tool


@pytest.fixture
async def challenge(tool: Tool, org: Any) -> Any:
    owner = await tool.services.people.add_person(org.id, "Olu Owner", "olu@acme.example")
    community = await tool.services.communities.create_community(
        org.id, owner.id, "Data practitioners", purpose="Ask, share, learn."
    )
    today = tool.clock.now().date()
    return await tool.services.communities.create_cohort(
        org.id,
        community.id,
        owner.id,
        "SQL in 2 weeks",
        "Write one <useful> query a week",
        today - timedelta(days=1),
        today + timedelta(days=13),
        required_checkins=1,
        requires_demo=False,
    )


async def _drain(tool: Tool) -> None:
    async with delivery_registry(tool.settings, tool.services) as registry:
        await Worker(tool.services.uow, registry, tool.services.clock).drain()


async def test_a_completed_challenge_placed_in_the_course_is_scored_in_the_grade_book(
    ada: User, grace: User, tool: Tool, platform: Lti1p3Platform, challenge: Any
) -> None:
    html = await grace.launch(deep_linking=True)
    # the picker offers the organisation's running cohorts and challenges
    assert "SQL in 2 weeks (Data practitioners)" in html
    item = await grace.deep_link(
        {
            "kind": "cohort",
            "target": str(challenge.id),
            "title": "SQL challenge",
            "graded": "1",
        }
    )
    assert item["type"] == "ltiResourceLink" and item["lineItem"]["scoreMaximum"] == 1
    platform.custom = dict(item["custom"])
    # a learner opens the placed link: the cohort page, with a join button
    html = await ada.launch()
    assert "SQL challenge" in html and "SQL in 2 weeks" in html
    assert "Write one &lt;useful&gt; query a week" in html
    assert "Completing it is reported to your course's grade book." in html
    html = await ada.act("/cohort/join", html, {"cohort_id": str(challenge.id)})
    assert "You have joined the cohort." in html and "0 of 1 check-ins" in html
    html = await ada.act(
        "/cohort/check-in", html, {"cohort_id": str(challenge.id), "tried": "a window function"}
    )
    assert "Check-in saved." in html and "Completed." in html
    # nothing reaches the platform before the worker delivers the outbox row
    assert platform.book.scores == []
    await _drain(tool)
    assert [(s["userId"], s["scoreGiven"]) for _, s in platform.book.scores] == [("u-ada", 1.0)]
    (line_item,) = platform.book.lineitems.values()
    assert line_item["label"] == "SQL challenge"
    async with tool.services.uow() as uow:
        scores = [m for m in await uow.outbox.list() if m.kind == "lms.score"]
    assert [m.status for m in scores] == ["done"]


async def test_a_cohort_form_for_another_cohort_is_refused(
    ada: User, grace: User, tool: Tool, platform: Lti1p3Platform, challenge: Any, org: Any
) -> None:
    item = await grace.deep_link(
        {"kind": "cohort", "target": str(challenge.id), "title": "SQL challenge"}
    )
    platform.custom = dict(item["custom"])
    other = await tool.services.communities.create_cohort(
        org.id,
        challenge.community_id,
        challenge.created_by,
        "Another cohort",
        "Something else",
        challenge.starts_on,
        challenge.ends_on,
        required_checkins=1,
    )
    html = await ada.launch()
    async with await ada.submit("/cohort/join", html, {"cohort_id": str(other.id)}) as resp:
        assert resp.status == 403
        assert "<code>cohort</code>" in await resp.text()
    assert (await tool.services.communities.cohort(org.id, other.id)).progress == ()


async def test_placing_a_cohort_that_does_not_exist_is_a_clear_4xx(grace: User) -> None:
    html = await grace.launch(deep_linking=True)
    async with await grace.submit(
        "/deep-link", html, {"kind": "cohort", "target": "not-a-cohort", "title": "x"}
    ) as resp:
        assert resp.status == 400
        assert "pick the cohort to place" in await resp.text()


async def test_an_ungraded_cohort_link_sends_no_score(
    ada: User, grace: User, tool: Tool, platform: Lti1p3Platform, challenge: Any
) -> None:
    item = await grace.deep_link(
        {"kind": "cohort", "target": str(challenge.id), "title": "SQL challenge"}
    )
    platform.custom = dict(item["custom"])
    html = await ada.launch()
    assert "grade book" not in html
    html = await ada.act("/cohort/join", html, {"cohort_id": str(challenge.id)})
    html = await ada.act(
        "/cohort/check-in", html, {"cohort_id": str(challenge.id), "tried": "a CTE"}
    )
    assert "Completed." in html
    await _drain(tool)
    assert platform.book.scores == []
