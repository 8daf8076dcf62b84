"""The LTI pages in headless Chromium (Debian's, driven by Playwright): a learner opens the course
page of a real platform (lti1p3platform), peerlearn launches inside its iframe, the learner books
an expert's free time there; axe-core finds no serious accessibility violation on the course page,
the page moving a booking or a question's page. The screenshot is kept in docs/."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.lti.model import Platform
from tests.fakes.lti1p3_platform import CONTEXT, Lti1p3Platform
from tests.fakes.lti_tool import Tool, register

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("PEERLEARN_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT = ROOT / "docs" / "lti-booking-in-iframe.png"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _need(path: Path) -> None:
    if not path.exists():
        message = f"{path} is missing: run scripts/install-test-tools"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
async def registration(tool: Tool, platform: Lti1p3Platform, org: Any) -> Platform:
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
            "min_notice_minutes": 60,
        },
    )
    return await register(tool, org, platform)


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    _need(CHROMIUM)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(
            viewport={"width": 1000, "height": 1200}, timezone_id="Europe/London"
        )
        # generous: CI machines under load render slowly (a wait is not a timed assertion)
        context.set_default_timeout(120_000)
        yield await context.new_page()
        await browser.close()


async def test_a_learner_books_office_hours_inside_the_lms_iframe(
    page: Any,
    platform: Lti1p3Platform,
    registration: Platform,
    tool: Tool,
    org: Any,
    tmp_path: Path,
) -> None:
    await page.goto(f"{platform.url}/course/u-ada")
    frame = page.frame_locator("iframe#tool")
    await frame.get_by_role("heading", name="Experts and their next free times").wait_for()
    # times are shown in the learner's zone, which the platform sent (OIDC zoneinfo)
    assert "times in Europe/London" in await frame.locator("header").inner_text()
    await frame.get_by_role("button", name="Book with Priya Raman").click()
    await frame.get_by_role("status").filter(has_text="Booked").wait_for()
    assert "SQL clinic" in await frame.locator("#bookings-h + ul").inner_text()
    (person,) = await tool.services.people.list_people(org.id, query="Ada")
    (booking,) = await tool.services.office_hours.bookings_for_person(org.id, person.id)
    assert booking.status == "confirmed"
    # the picture in docs/ is refreshed on request only, so a test run leaves the tree clean
    target = SCREENSHOT if os.environ.get("PEERLEARN_UPDATE_DOCS") else tmp_path / SCREENSHOT.name
    await page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


async def test_the_course_page_has_no_serious_accessibility_violations(
    page: Any, platform: Lti1p3Platform, registration: Platform
) -> None:
    _need(AXE)
    await page.goto(f"{platform.url}/course/u-grace")
    frame_locator = page.frame_locator("iframe#tool")
    await frame_locator.get_by_role("heading", name="Experts and their next free times").wait_for()
    frame = next(f for f in page.frames if f.url.startswith(registration_url(platform)))
    await frame.add_script_tag(path=str(AXE))
    result = await frame.evaluate("async () => await axe.run(document)")
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert result["passes"], "axe ran no checks"


def registration_url(platform: Lti1p3Platform) -> str:
    return platform.tool_url + "/lti/app/"


async def _axe_serious(page: Any, url_prefix: str) -> list[str]:
    frame = next(f for f in page.frames if f.url.startswith(url_prefix))
    await frame.add_script_tag(path=str(AXE))
    result = await frame.evaluate("async () => await axe.run(document)")
    assert result["passes"], "axe ran no checks"
    return [
        f"{frame.url.split('?')[0].rsplit('/', 1)[-1]} {v['id']}: {v['help']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def test_the_learner_views_have_no_serious_accessibility_violations(
    page: Any, platform: Lti1p3Platform, registration: Platform, tool: Tool, org: Any
) -> None:
    """The course page with a booking, a waitlist place, the community's questions and its
    show-and-tell (Ada coming to watch it); the page moving a booking; a question with its answers."""
    _need(AXE)
    owner = await tool.services.people.add_person(org.id, "Olu Owner", "olu@acme.example")
    community = await tool.services.communities.create_community(
        org.id, owner.id, "Data practitioners", lms_course_ids=[CONTEXT]
    )
    question = await tool.services.communities.ask(
        org.id, community.id, owner.id, "Which index helps?", "My query is slow."
    )
    await tool.services.communities.answer(org.id, question.id, owner.id, "A composite one.")
    await tool.services.communities.start_show_and_tell(
        org.id, community.id, owner.id, 3, "16:00", 30, 2
    )
    await page.goto(f"{platform.url}/course/u-ada")
    frame = page.frame_locator("iframe#tool")
    await frame.get_by_role("button", name="Book with Priya Raman").click()
    await frame.get_by_role("status").filter(has_text="Booked").wait_for()
    # a waitlist place: Ada's second pick fills up before she confirms it
    (ada,) = await tool.services.people.list_people(org.id, query="Ada")
    kinds = await tool.services.office_hours.list_types(org.id)
    sql = next(k for k in kinds if k.title == "SQL clinic")
    bookings = await tool.services.office_hours.bookings_for_person(org.id, ada.id)
    other = await tool.services.people.add_person(org.id, "Bea", "bea@acme.example")
    free = await tool.services.office_hours.slots(
        org.id, sql.id, bookings[0].end_utc, bookings[0].end_utc + timedelta(days=2)
    )
    await tool.services.office_hours.book(org.id, sql.id, other.id, free[0].start_utc)
    await tool.services.office_hours.book(org.id, sql.id, ada.id, free[0].start_utc)
    await page.goto(f"{platform.url}/course/u-ada")
    await frame.get_by_role("heading", name="My waitlist places").wait_for()
    await frame.get_by_role("heading", name="Show-and-tell").wait_for()
    # she comes to watch the next show-and-tell: the page then offers to leave it again
    await frame.get_by_role("button", name=re.compile("^Attend the show-and-tell")).first.click()
    await frame.get_by_role("status").filter(has_text="coming to watch").wait_for()
    await frame.get_by_role("button", name=re.compile("^Leave the show-and-tell")).wait_for()
    prefix = registration_url(platform)
    serious = await _axe_serious(page, prefix)
    await frame.get_by_role("link", name="Reschedule").first.click()
    await frame.get_by_role("heading", name="Move your booking").wait_for()
    serious += await _axe_serious(page, prefix)
    await frame.get_by_role("link", name="Back to the course page").click()
    await frame.get_by_role("link", name="Which index helps?").click()
    await frame.get_by_role("heading", name="Answers").wait_for()
    serious += await _axe_serious(page, prefix)
    assert serious == []
