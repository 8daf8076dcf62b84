"""End to end over HTTP on 127.0.0.1 from a real platform implementation (PyPI lti1p3platform):
login → launch → page → completion → AGS score received → NRPS roster synced → deep linking
response validated by the platform."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from adapters.lms.services import LmsServices
from app.delivery import delivery_registry
from app.worker import Worker
from core.lti.model import Platform
from tests.fakes.lti1p3_platform import CONTEXT, Lti1p3Platform
from tests.fakes.lti_course import User
from tests.fakes.lti_tool import Tool, browser


async def test_a_learner_launches_from_the_course_and_sees_the_course_page(ada: User) -> None:
    html = await ada.launch()
    assert "Data Literacy 101" in html
    assert "Ada Lovelace" in html and "Learner" in html
    assert "Sync the roster" not in html


async def test_a_completion_becomes_a_score_in_the_platforms_grade_book(
    ada: User, tool: Tool, platform: Lti1p3Platform, registration: Platform, org: Any
) -> None:
    await ada.launch()
    (person,) = await tool.services.people.list_people(org.id, query="Ada")
    lms = LmsServices(tool.services.uow)
    for score in (0.5, 1.0):
        message = await tool.services.lti.record_completion(
            org.id, person.id, registration.id, CONTEXT, "rl-7", score_given=score
        )
        await lms.deliver(message)
    (item,) = platform.book.lineitems.values()
    assert item["label"] == "Ask an expert" and item["scoreMaximum"] == 1
    assert [(s["userId"], s["scoreGiven"]) for _, s in platform.book.scores] == [
        ("u-ada", 0.5),
        ("u-ada", 1.0),
    ]
    assert {s["activityProgress"] for _, s in platform.book.scores} == {"Completed"}
    # one access token for both scores: the service connector caches it
    assert platform.token_requests == 1


async def test_an_instructor_syncs_the_course_roster_across_pages(
    grace: User, platform: Lti1p3Platform
) -> None:
    html = await grace.launch()
    assert "Instructor" in html and "Sync the roster" in html
    async with await grace.submit("/roster", html, {}) as resp:
        assert resp.status == 303
        notice_url = grace.tool.url + resp.headers["Location"]
    html = await grace.page(notice_url)
    assert "5 joined, 0 left" in html
    for name in ("Ada Lovelace", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra"):
        assert name in html
    platform.members = [m for m in platform.members if m.user_id != "u-edsger"]
    async with await grace.submit("/roster", html, {}) as resp:
        notice_url = grace.tool.url + resp.headers["Location"]
    html = await grace.page(notice_url)
    assert "0 joined, 1 left, 4 unchanged" in html
    assert "Edsger Dijkstra" not in html


async def test_a_launch_syncs_the_roster_into_the_linked_community_through_the_worker(
    grace: User, tool: Tool, platform: Lti1p3Platform, org: Any
) -> None:
    owner = await tool.services.people.add_person(org.id, "Olu Owner", "olu@acme.example")
    community = await tool.services.communities.create_community(
        org.id, owner.id, "Data practitioners", lms_course_ids=[CONTEXT]
    )
    await grace.launch()
    async with tool.services.uow() as uow:
        (request,) = await uow.outbox.list(status="pending")
    assert request.kind == "lms.roster"
    async with delivery_registry(tool.settings, tool.services) as registry:
        stats = await Worker(tool.services.uow, registry, tool.services.clock).drain()
    assert stats.claimed == 1
    async with tool.services.uow() as uow:
        (done,) = await uow.outbox.list()
    assert done.status == "done" and done.result["joined"] == 5
    members = await tool.services.communities.members(org.id, community.id)
    people = {p.id: p.name for p in await tool.services.people.list_people(org.id)}
    roles = {people[m.person_id]: m.role for m in members if m.status == "active"}
    assert roles == {
        "Olu Owner": "owner",
        "Grace Hopper": "facilitator",
        "Ada Lovelace": "member",
        "Alan Turing": "member",
        "Katherine Johnson": "member",
        "Edsger Dijkstra": "member",
    }
    # a second launch soon after asks for no new sync
    await grace.launch()
    async with tool.services.uow() as uow:
        assert await uow.outbox.list(status="pending") == []
    # a learner who left the course leaves the community on the next sync
    platform.members = [m for m in platform.members if m.user_id != "u-alan"]
    html = await grace.page()
    async with await grace.submit("/roster", html, {}) as resp:
        assert resp.status == 303
    members = await tool.services.communities.members(org.id, community.id)
    left = {people[m.person_id] for m in members if m.status == "left"}
    assert left == {"Alan Turing"}


async def test_a_roster_sync_without_the_form_token_is_refused(grace: User) -> None:
    await grace.launch()
    async with grace.browser.post(grace.page_url + "/roster", data={"csrf": "0" * 64}) as resp:
        assert resp.status == 403
        assert "<code>csrf</code>" in await resp.text()


async def test_a_learner_cannot_sync_the_roster(ada: User) -> None:
    html = await ada.launch()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    token = csrf.group(1) if csrf else ""
    async with ada.browser.post(ada.page_url + "/roster", data={"csrf": token}) as resp:
        assert resp.status == 403


async def test_deep_linking_returns_a_graded_link_the_platform_accepts(
    grace: User, platform: Lti1p3Platform, tool: Tool
) -> None:
    html = await grace.launch(deep_linking=True)
    assert "Add peerlearn to Data Literacy 101" in html
    async with await grace.submit(
        "/deep-link",
        html,
        {
            "kind": "directory",
            "title": "Ask a data expert",
            "topics": "SQL, statistics",
            "graded": "1",
        },
    ) as resp:
        assert resp.status == 200
        answer = await resp.text()
    action = re.search(r'action="([^"]+)"', answer)
    jwt_value = re.search(r'name="JWT" value="([^"]+)"', answer)
    assert action and jwt_value
    async with grace.browser.post(action.group(1), data={"JWT": jwt_value.group(1)}) as resp:
        assert resp.status == 200, await resp.text()
    (item,) = platform.deep_link_items
    assert item["type"] == "ltiResourceLink"
    assert item["title"] == "Ask a data expert"
    assert item["url"] == tool.launch_url
    assert item["lineItem"]["scoreMaximum"] == 1
    link_id = item["custom"]["peerlearn_link"]
    # the placed link, launched later by a learner, shows what the instructor chose
    async with tool.services.uow() as uow:
        (stored,) = await uow.lti.links_for_context(
            (await tool.services.lti.platforms())[0].id, CONTEXT
        )
    assert str(stored.id) == link_id and stored.topics == ("SQL", "statistics")


async def test_the_tool_publishes_its_keys_for_the_platform(tool: Tool) -> None:
    async with browser() as b:
        async with b.get(tool.url + "/lti/jwks") as resp:
            first = await resp.json()
        async with b.get(tool.url + "/.well-known/jwks.json") as resp:
            assert await resp.json() == first
        old_kid = first["keys"][0]["kid"]
        tool.clock.advance(timedelta(days=1))
        new = await tool.services.lti.rotate_keys()
        assert (await tool.services.lti.signing_key()).kid == new.kid
        async with b.get(tool.url + "/lti/jwks") as resp:
            kids = [k["kid"] for k in (await resp.json())["keys"]]
    assert kids == [new.kid, old_kid]
    assert all("d" not in k for k in first["keys"])
    # after the grace period the retired key is no longer published
    tool.clock.advance(timedelta(days=8))
    assert [k["kid"] for k in await tool.services.lti.published_keys()] == [new.kid]


async def test_a_learner_books_office_hours_placed_by_the_instructor_and_attendance_is_graded(
    ada: User, grace: User, tool: Tool, platform: Lti1p3Platform, org: Any
) -> None:
    expert = await tool.services.people.add_person(
        org.id, "Priya Raman", "priya@acme.example", time_zone="Asia/Kolkata"
    )
    await tool.services.office_hours.create_type(
        org.id,
        expert.id,
        {
            "title": "SQL clinic",
            "description": "Bring the query that hurts.",
            "topics": ["sql"],
            "rules": [{"weekday": d, "start": "00:00", "end": "23:30"} for d in range(7)],
            "slot_minutes": 30,
            "interval_minutes": 30,
            "min_notice_minutes": 60,
            "horizon_days": 14,
        },
    )
    # the instructor places Priya's office hours in the course, graded
    html = await grace.launch(deep_linking=True)
    assert "Priya Raman" in html
    async with await grace.submit(
        "/deep-link",
        html,
        {
            "kind": "expert",
            "target": str(expert.id),
            "title": "Office hours with Priya",
            "graded": "1",
        },
    ) as resp:
        answer = await resp.text()
    jwt_value = re.search(r'name="JWT" value="([^"]+)"', answer)
    assert jwt_value
    async with grace.browser.post(
        platform.url + "/deep-link-return", data={"JWT": jwt_value.group(1)}
    ) as resp:
        assert resp.status == 200
    (item,) = platform.deep_link_items
    platform.custom = dict(item["custom"])
    # a learner opens the placed link, sees Priya's next free times (in the learner's zone) and books
    html = await ada.launch()
    assert "Office hours with Priya" in html and "SQL clinic" in html
    first = re.search(r'name="start" value="([^"]+)"', html)
    type_id = re.search(r'name="type_id" value="([^"]+)"', html)
    assert first and type_id
    async with await ada.submit(
        "/book", html, {"type_id": type_id.group(1), "start": first.group(1)}
    ) as resp:
        assert resp.status == 303
        html = await ada.page(tool.url + resp.headers["Location"])
    assert "Booked" in html and "confirmed" in html
    (booking,) = await tool.services.office_hours.bookings_for_person(
        org.id, (await _person(tool, org, "Ada")).id
    )
    # the session happens; attendance becomes a score on the course's grade book
    tool.clock.set(booking.start_utc + timedelta(minutes=5))
    await tool.services.office_hours.mark_attendance(org.id, booking.id, True)
    async with delivery_registry(tool.settings, tool.services) as registry:
        await Worker(tool.services.uow, registry, tool.services.clock).drain()
    assert [(s["userId"], s["scoreGiven"]) for _, s in platform.book.scores] == [("u-ada", 1.0)]
    (line_item,) = platform.book.lineitems.values()
    assert line_item["label"] == "Office hours with Priya"


async def test_a_learner_cancels_a_booking_from_the_course_page(
    ada: User, tool: Tool, org: Any
) -> None:
    expert = await tool.services.people.add_person(org.id, "Jonas Becker", "jonas@acme.example")
    await tool.services.office_hours.create_type(
        org.id,
        expert.id,
        {
            "title": "Statistics desk",
            "rules": [{"weekday": d, "start": "00:00", "end": "23:30"} for d in range(7)],
            "min_notice_minutes": 60,
        },
    )
    html = await ada.launch()
    start = re.search(r'name="start" value="([^"]+)"', html)
    type_id = re.search(r'name="type_id" value="([^"]+)"', html)
    assert start and type_id
    async with await ada.submit(
        "/book", html, {"type_id": type_id.group(1), "start": start.group(1)}
    ) as resp:
        html = await ada.page(tool.url + resp.headers["Location"])
    booking_id = re.search(r'name="booking_id" value="([^"]+)"', html)
    assert booking_id
    async with await ada.submit("/cancel", html, {"booking_id": booking_id.group(1)}) as resp:
        assert resp.status == 303
        html = await ada.page(tool.url + resp.headers["Location"])
    assert "Cancelled." in html and "You have no upcoming sessions." in html


async def _person(tool: Tool, org: Any, name: str) -> Any:
    (person,) = await tool.services.people.list_people(org.id, query=name)
    return person


async def test_a_learner_asks_the_course_community_and_the_instructor_sees_the_outcomes(
    ada: User, grace: User, tool: Tool, org: Any
) -> None:
    owner = await tool.services.people.add_person(org.id, "Olu Owner", "olu@acme.example")
    community = await tool.services.communities.create_community(
        org.id,
        owner.id,
        "Data practitioners",
        purpose="Ask, share, learn.",
        lms_course_ids=[CONTEXT],
    )
    html = await ada.launch()
    assert "Course community: Data practitioners" in html and "No questions yet." in html
    async with await ada.submit(
        "/ask",
        html,
        {"community_id": str(community.id), "title": "How do I <join> two tables?", "body": ""},
    ) as resp:
        assert resp.status == 303
        html = await ada.page(tool.url + resp.headers["Location"])
    # user text is escaped
    assert 'How do I &lt;join&gt; two tables?</a> <span class="note">(open)</span>' in html
    tool.clock.advance(timedelta(minutes=5))
    html = await grace.launch()
    assert "0/1</strong> questions answered" in html
    # community questions are not routed to experts: none asked of them, none deflected
    assert "0/0</strong> questions across the organisation resolved by an earlier answer" in html


async def test_asking_in_a_community_outside_the_course_is_refused(
    ada: User, tool: Tool, org: Any
) -> None:
    owner = await tool.services.people.add_person(org.id, "Olu Owner", "olu@acme.example")
    await tool.services.communities.create_community(
        org.id, owner.id, "Data practitioners", lms_course_ids=[CONTEXT]
    )
    elsewhere = await tool.services.communities.create_community(org.id, owner.id, "Finance club")
    html = await ada.launch()
    async with await ada.submit(
        "/ask", html, {"community_id": str(elsewhere.id), "title": "Off-topic"}
    ) as resp:
        assert resp.status == 403
    assert await tool.services.communities.list_questions(org.id, elsewhere.id) == []
