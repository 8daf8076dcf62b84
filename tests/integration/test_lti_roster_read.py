"""A course's roster and links read back as stored, in their order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from adapters.db.uow import DbUnitOfWork
from core.lti.model import CourseLink, RosterMember


async def test_a_stored_roster_reads_back_in_name_order_with_its_roles(services: Any) -> None:
    del services  # the database is set up
    platform, other = uuid4(), uuid4()
    members = [
        RosterMember("u2", "Zoë <b>", "zoe@example.org", ("http://purl.imsglobal.org/r#Learner",)),
        RosterMember("u1", "Ada", None, ("Instructor", "Mentor"), "Inactive"),
        RosterMember("u3", "Ada", "ada3@example.org", ()),
    ]
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    async with DbUnitOfWork() as uow:
        await uow.lti.replace_roster(platform, "course-1", members, now)
        await uow.lti.replace_roster(platform, "course-2", members[:1], now)
        await uow.lti.replace_roster(other, "course-1", members[1:2], now)
        await uow.commit()
    async with DbUnitOfWork() as uow:
        roster = list(await uow.lti.roster(platform, "course-1"))
        none = await uow.lti.roster(platform, "course-9")
    assert roster == [members[1], members[2], members[0]]
    assert none == []


async def test_a_course_s_links_read_back_as_stored_oldest_first(services: Any, org: Any) -> None:
    del services
    platform = uuid4()
    first = CourseLink(
        uuid4(),
        org.id,
        platform,
        "directory",
        "",
        "Experts",
        "course-1",
        ("sql", "git"),
        created_at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC),
    )
    graded = CourseLink(
        uuid4(),
        org.id,
        platform,
        "cohort",
        str(uuid4()),
        "Week 1 <cohort>",
        "course-1",
        graded=True,
        line_item_url="https://lms.example/li/1",
        created_at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
    )
    elsewhere = replace(first, id=uuid4(), context_id="course-2")
    no_course = replace(first, id=uuid4(), context_id=None)
    async with DbUnitOfWork() as uow:
        for link in (graded, first, elsewhere, no_course):
            await uow.lti.add_link(link)
        await uow.commit()
    async with DbUnitOfWork() as uow:
        links = list(await uow.lti.links_for_context(platform, "course-1"))
        without = list(await uow.lti.links_for_context(platform, None))
    assert links == [first, graded]
    assert links[0].created_at is not None and links[0].created_at.utcoffset() is not None
    assert without == [no_course]
