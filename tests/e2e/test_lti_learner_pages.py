"""The learner's views in the course page, launched from the lti1p3platform fake: waitlist
places (place in line, leave), moving a booking to another free time, reading and answering the
course community's questions, and signing up to demo at its show-and-tell; the Teams join link
once the calendar has one. Every form carries the page's CSRF token and user text is escaped."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.outbox import OutboxTopic
from tests.fakes.lti1p3_platform import CONTEXT
from tests.fakes.lti_course import User
from tests.fakes.lti_tool import Tool


@pytest.fixture
async def clinic(tool: Tool, org: Any) -> Any:
    """One expert's one-seat office hours, every half hour, bookable an hour ahead."""
    expert = await tool.services.people.add_person(org.id, "Priya Raman", "priya@acme.example")
    return await tool.services.office_hours.create_type(
        org.id,
        expert.id,
        {
            "title": "SQL clinic",
            "rules": [{"weekday": d, "start": "00:00", "end": "23:30"} for d in range(7)],
            "min_notice_minutes": 60,
        },
    )


@pytest.fixture
async def community(tool: Tool, org: Any) -> Any:
    owner = await tool.services.people.add_person(org.id, "Olu Owner", "olu@acme.example")
    return await tool.services.communities.create_community(
        org.id, owner.id, "Data practitioners", lms_course_ids=[CONTEXT]
    )


def _starts(html: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', html)


async def _ada(tool: Tool, org: Any) -> Any:
    (person,) = await tool.services.people.list_people(org.id, query="Ada")
    return person


async def test_a_learner_sees_her_place_in_line_and_leaves_the_waitlist(
    ada: User, tool: Tool, org: Any, clinic: Any
) -> None:
    html = await ada.launch()
    first = _starts(html)[0]
    # someone else takes the last seat while Ada is choosing
    bea = await tool.services.people.add_person(org.id, "Bea", "bea@acme.example")
    await tool.services.office_hours.book(org.id, clinic.id, bea.id, datetime.fromisoformat(first))
    html = await ada.act("/book", html, {"type_id": str(clinic.id), "start": first})
    assert "That time is full: you are on its waitlist." in html
    assert "My waitlist places" in html and "1st in line (you get the next free seat)" in html
    assert "You have no upcoming sessions." in html
    booking_id = re.search(
        r'action="[^"]+/waitlist/leave".*?name="booking_id" value="([^"]+)"', html, re.S
    )
    assert booking_id
    html = await ada.act("/waitlist/leave", html, {"booking_id": booking_id.group(1)})
    assert "You left the waitlist." in html and "My waitlist places" not in html
    (mine,) = await tool.services.office_hours.bookings_for_person(
        org.id, (await _ada(tool, org)).id, upcoming=False
    )
    assert mine.status == "cancelled"


async def test_a_learner_moves_her_booking_to_another_free_time(
    ada: User, tool: Tool, org: Any, clinic: Any
) -> None:
    html = await ada.launch()
    first = _starts(html)[0]
    html = await ada.act("/book", html, {"type_id": str(clinic.id), "start": first})
    link = re.search(r'href="(/lti/app/[^"]+/reschedule/[^"]+)"', html)
    assert link
    page = await ada.page(tool.url + link.group(1))
    assert "Move your booking" in page and "times in Europe/London" in page
    offered = _starts(page)
    assert first not in offered and len(offered) == 12
    booking_id = re.search(r'name="booking_id" value="([^"]+)"', page)
    assert booking_id
    html = await ada.act(
        "/reschedule", page, {"booking_id": booking_id.group(1), "start": offered[2]}
    )
    new_start = datetime.fromisoformat(offered[2])
    label = new_start.astimezone(ZoneInfo("Europe/London")).strftime("%a %d %b, %H:%M %Z")
    assert f"Moved to {label}." in html
    (booking,) = await tool.services.office_hours.bookings_for_person(
        org.id, (await _ada(tool, org)).id
    )
    assert booking.start_utc == new_start and booking.status == "confirmed"


async def test_someone_elses_booking_cannot_be_moved_or_opened(
    ada: User, tool: Tool, org: Any, clinic: Any
) -> None:
    html = await ada.launch()
    bea = await tool.services.people.add_person(org.id, "Bea", "bea@acme.example")
    theirs = await tool.services.office_hours.book(
        org.id, clinic.id, bea.id, datetime.fromisoformat(_starts(html)[0])
    )
    async with ada.browser.get(f"{ada.page_url}/reschedule/{theirs.booking.id}") as resp:
        assert resp.status == 403
    async with await ada.submit(
        "/reschedule", html, {"booking_id": str(theirs.booking.id), "start": _starts(html)[1]}
    ) as resp:
        assert resp.status == 403
    assert (
        await tool.services.office_hours.get_booking(org.id, theirs.booking.id)
    ).start_utc == theirs.booking.start_utc


async def test_a_member_reads_a_question_and_answers_it(
    ada: User, tool: Tool, org: Any, community: Any
) -> None:
    bea = await tool.services.people.add_person(org.id, "Bea", "bea@acme.example")
    await tool.services.communities.join(org.id, community.id, bea.id)
    question = await tool.services.communities.ask(
        org.id, community.id, bea.id, "Which <index> helps?", "My query is slow."
    )
    html = await ada.launch()
    link = re.search(r'href="(/lti/app/[^"]+/questions/[^"]+)"', html)
    assert link and "Which &lt;index&gt; helps?" in html
    page = await ada.page(tool.url + link.group(1))
    # not a member yet: she can read, not answer
    assert "No answers yet." in page and 'action="' not in page.split("Answers", 1)[1]
    async with await ada.submit(
        "/answer", html, {"question_id": str(question.id), "body": "x"}
    ) as resp:
        assert resp.status == 403
    await tool.services.communities.join(org.id, community.id, (await _ada(tool, org)).id)
    page = await ada.page(tool.url + link.group(1))
    assert "Your answer" in page
    page = await ada.act(
        "/answer", page, {"question_id": str(question.id), "body": "A <b>composite</b> index."}
    )
    assert "Your answer is posted." in page
    assert "A &lt;b&gt;composite&lt;/b&gt; index." in page and "Ada Lovelace" in page
    view = await tool.services.communities.get_question(org.id, question.id)
    assert view.question.status == "answered" and len(view.answers) == 1


async def test_a_question_outside_the_course_cannot_be_opened(
    ada: User, tool: Tool, org: Any, community: Any
) -> None:
    owner = await tool.services.people.add_person(org.id, "Finn", "finn@acme.example")
    elsewhere = await tool.services.communities.create_community(org.id, owner.id, "Finance")
    question = await tool.services.communities.ask(org.id, elsewhere.id, owner.id, "Budget?")
    await ada.launch()
    async with ada.browser.get(f"{ada.page_url}/questions/{question.id}") as resp:
        assert resp.status == 403


async def test_a_learner_signs_up_to_demo_at_the_show_and_tell(
    ada: User, tool: Tool, org: Any, community: Any
) -> None:
    await tool.services.communities.start_show_and_tell(
        org.id, community.id, community.created_by, 3, "16:00", 30, 1
    )
    html = await ada.launch()
    assert "Show-and-tell" in html and "Nobody has signed up to demo" in html
    sessions = re.findall(r'<option value="([^"]+)">', html.split("Show-and-tell", 1)[1])
    assert len(sessions) == 4
    html = await ada.act(
        "/show-and-tell",
        html,
        {"community_id": str(community.id), "start": sessions[0], "title": "My <first> dashboard"},
    )
    assert "You are on the show-and-tell agenda for" in html
    assert "My &lt;first&gt; dashboard" in html and "by Ada Lovelace" in html
    # the one demo slot is taken: the next person waits
    bea = await tool.services.people.add_person(org.id, "Bea", "bea@acme.example")
    await tool.services.communities.join(org.id, community.id, bea.id)
    seat = await tool.services.communities.sign_up_demo(
        org.id, community.id, bea.id, datetime.fromisoformat(sessions[0]), "Later"
    )
    assert seat.status == "waitlisted"
    html = await ada.page()
    assert "1 more waiting for a slot." in html


async def test_a_learner_comes_to_watch_the_show_and_tell_and_leaves_again(
    ada: User, tool: Tool, org: Any, community: Any
) -> None:
    await tool.services.communities.start_show_and_tell(
        org.id, community.id, community.created_by, 3, "16:00", 30, 1
    )
    html = await ada.launch()
    section = html.split("<h3>Show-and-tell</h3>", 1)[1].split("</section>", 1)[0]
    attend = re.findall(
        r'name="start" value="([^"]+)" aria-label="Attend the show-and-tell on ([^"]+)"', section
    )
    assert len(attend) == 4 and "you are coming to watch" not in section
    # times are shown in the viewer's zone (Ada's is London)
    (first, first_label), (second, second_label) = attend[:2]
    assert first_label == datetime.fromisoformat(first).astimezone(
        ZoneInfo("Europe/London")
    ).strftime("%a %d %b, %H:%M %Z")

    # Ada is not yet a member: coming to watch joins her, and takes no demo slot
    html = await ada.act(
        "/show-and-tell/attend", html, {"community_id": str(community.id), "start": second}
    )
    assert f"You are coming to watch the show-and-tell on {second_label}" in html
    section = html.split("<h3>Show-and-tell</h3>", 1)[1].split("</section>", 1)[0]
    assert f'aria-label="Leave the show-and-tell on {second_label}"' in section
    assert f'aria-label="Attend the show-and-tell on {second_label}"' not in section
    # her bookings list the session as one she watches, with nothing to reschedule
    bookings = html.split('id="bookings-h"', 1)[1].split("</section>", 1)[0]
    assert "coming to watch" in bookings and "Reschedule" not in bookings
    ada_id = (await _ada(tool, org)).id
    seat = await tool.services.communities.sign_up_demo(
        org.id, community.id, ada_id, datetime.fromisoformat(second), "Late idea"
    )
    assert seat.status == "confirmed"  # the one demo slot was still free
    await tool.services.office_hours.cancel(org.id, seat.booking_id, "changed my mind")

    html = await ada.act(
        "/show-and-tell/attend", html, {"community_id": str(community.id), "start": first}
    )
    bea = await tool.services.people.add_person(org.id, "Bea <i>", "bea@acme.example")
    await tool.services.communities.join(org.id, community.id, bea.id)
    await tool.services.communities.attend_show_and_tell(
        org.id, community.id, bea.id, datetime.fromisoformat(first)
    )
    html = await ada.page()
    assert f"Coming to watch on {first_label}: Ada Lovelace, Bea &lt;i&gt;." in html
    # a calendar event invites her (a one-slot session keeps one event per place)
    async with tool.services.uow() as uow:
        rows = await uow.outbox.list(limit=10_000)
    assert any(
        r.kind == OutboxTopic.CALENDAR_UPSERT
        and r.payload["start_utc"] == first
        and [a["email"] for a in r.payload["attendees"]] == ["ada@acme.example"]
        for r in rows
    )

    html = await ada.act(
        "/show-and-tell/leave", html, {"community_id": str(community.id), "start": first}
    )
    assert f"You no longer attend the show-and-tell on {first_label}." in html
    assert "Coming to watch on" in html and "Ada Lovelace, " not in html
    # a second click from a stale page changes nothing
    html = await ada.act(
        "/show-and-tell/leave", html, {"community_id": str(community.id), "start": first}
    )
    assert "You were not signed up to watch that session." in html

    for path, data, status in (
        ("/show-and-tell/attend", {"community_id": str(community.id), "start": "soon"}, 400),
        (
            "/show-and-tell/attend",
            {"community_id": str(community.id), "start": first.replace(":00+", ":05+", 1)},
            400,
        ),
        ("/show-and-tell/leave", {"community_id": str(community.id), "start": ""}, 400),
        ("/show-and-tell/attend", {"community_id": str(org.id), "start": first}, 403),
        ("/show-and-tell/attend", {"community_id": "x", "start": first}, 400),
    ):
        async with await ada.submit(path, html, data) as resp:
            assert resp.status == status, (path, data, await resp.text())


async def test_the_teams_join_link_shows_once_the_calendar_has_one(
    ada: User, tool: Tool, org: Any, clinic: Any
) -> None:
    html = await ada.launch()
    html = await ada.act("/book", html, {"type_id": str(clinic.id), "start": _starts(html)[0]})
    assert "Join Teams meeting" not in html
    (booking,) = await tool.services.office_hours.bookings_for_person(
        org.id, (await _ada(tool, org)).id
    )
    # what the calendar sync records once Graph created the Teams meeting
    async with tool.services.uow() as uow:
        await uow.bookings.record_event(
            org.id,
            booking.id,
            "event-1",
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x",
        )
        await uow.commit()
    html = await ada.page()
    assert 'href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_x"' in html
    assert "Join Teams meeting" in html


async def test_forms_without_the_page_token_are_refused(
    ada: User, tool: Tool, org: Any, community: Any
) -> None:
    await ada.launch()
    for path in (
        "/waitlist/leave",
        "/reschedule",
        "/answer",
        "/show-and-tell",
        "/show-and-tell/attend",
        "/show-and-tell/leave",
    ):
        async with ada.browser.post(ada.page_url + path, data={"csrf": "0" * 64}) as resp:
            assert resp.status == 403, path
            assert "<code>csrf</code>" in await resp.text()
