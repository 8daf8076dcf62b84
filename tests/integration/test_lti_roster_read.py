"""A course roster reads back as stored: every field, the roles list, ordered by name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from adapters.db.uow import DbUnitOfWork
from core.lti.model import RosterMember


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
