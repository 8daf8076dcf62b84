"""A course page's one-statement read gives exactly what the five separate reads give, on
SQLite and PostgreSQL: links, communities, roster, office-hours types and bookings, every field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.ids import new_id
from core.lti.model import CourseLink, RosterMember
from core.services import Services

ISSUER = "https://lms.example"
# the fixtures' clock: Monday 2026-03-23 08:00 UTC; Tuesday 09:00 Berlin is 08:00 UTC
TUESDAY_NINE = datetime(2026, 3, 24, 8, 0, tzinfo=UTC)
WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)]


async def test_the_course_rows_match_the_separate_reads(services: Services, org: Any) -> None:
    host = await services.people.add_person(
        org.id, "Jonas Becker", "jonas@acme.example", "Europe/Berlin"
    )
    kind = await services.office_hours.create_type(
        org.id, host.id, {"title": "Kubernetes clinic", "topics": ["k8s"], "rules": WEEKDAYS}
    )
    paused_host = await services.people.add_person(org.id, "Paused Host", "paused@acme.example")
    paused = await services.office_hours.create_type(
        org.id,
        paused_host.id,
        {"title": "Another clinic", "rules": [{"weekday": 0, "start": "09:00", "end": "10:00"}]},
    )
    await services.office_hours.set_paused(org.id, paused.id, True)
    learner = await services.people.add_person(org.id, "Ada", "ada@acme.example")
    other = await services.people.add_person(org.id, "Sam", "sam@acme.example")
    # booked out of order: their ids (random) say nothing of when they start
    bookings_made = [(learner, m) for m in (90, 0, 150, 60, 30, 120)] + [(other, 0)]
    for who, minutes in bookings_made:
        await services.office_hours.book(
            org.id, kind.id, who.id, TUESDAY_NINE + timedelta(minutes=minutes)
        )
    platform = await services.lti.add_platform(
        org.id,
        issuer=ISSUER,
        client_id="c",
        auth_login_url=ISSUER + "/auth",
        auth_token_url=ISSUER + "/token",
        key_set_url=ISSUER + "/jwks",
        deployment_ids=["d"],
    )
    await services.communities.create_community(
        org.id, host.id, "Platform engineering", lms_course_ids=["c-1", "c-9"]
    )
    await services.communities.create_community(org.id, host.id, "Data guild")
    old = await services.communities.create_community(
        org.id, host.id, "Old guild", lms_course_ids=["c-1"]
    )
    async with services.uow() as uow:
        await uow.communities.update(replace(old, archived=True))
        await uow.commit()
    now = datetime.now(UTC)
    async with services.uow() as uow:
        for i, kind_name in enumerate(("directory", "community", "expert", "cohort")):
            await uow.lti.add_link(
                CourseLink(
                    id=new_id(),
                    organisation_id=org.id,
                    platform_id=platform.id,
                    kind=kind_name,  # type: ignore[arg-type]
                    target="t",
                    title=f"Link {i}",
                    context_id="c-1",
                    topics=("kubernetes", "sql"),
                    graded=i == 1,
                    line_item_url="https://lms.example/li" if i else None,
                    created_at=now + timedelta(seconds=(3 - i) if i % 2 else i),
                )
            )
        await uow.lti.replace_roster(
            platform.id,
            "c-1",
            [
                RosterMember("u-2", "Zoe", "zoe@acme.example", ("Learner",), "Active"),
                RosterMember("u-1", "Ada", None, ("Instructor", "Learner"), "Active"),
            ],
            now,
        )
        await uow.commit()
    start = TUESDAY_NINE - timedelta(days=1)
    async with services.uow() as uow:
        rows = await uow.lti.course_rows(org.id, platform.id, "c-1", learner.id, start, 100)
        one = await uow.lti.course_rows(org.id, platform.id, "c-1", learner.id, start, 1)
        empty = await uow.lti.course_rows(org.id, platform.id, "c-2", other.id, start, 100)
        links = await uow.lti.links_for_context(platform.id, "c-1")
        communities = await uow.communities.list(org.id)
        roster = await uow.lti.roster(platform.id, "c-1")
        kinds = await uow.office_hours_types.list(org.id, None, include_inactive=True)
        bookings = await uow.bookings.for_person(org.id, learner.id, start, limit=100)
        others = await uow.bookings.for_person(org.id, other.id, start, limit=100)
    assert len(links) == 4 and len(communities) == 2 and len(roster) == 2
    assert len(kinds) == 2 and len(bookings) == 6
    assert list(rows.links) == list(links)
    assert list(rows.communities) == list(communities)
    assert list(rows.roster) == list(roster)
    assert list(rows.kinds) == list(kinds)
    assert list(rows.bookings) == list(bookings)
    assert list(one.bookings) == list(bookings[:1])
    assert [b.start_utc for b in rows.bookings] == sorted(b.start_utc for b in bookings)
    assert not empty.links and not empty.roster and list(empty.bookings) == list(others)
    # time zones survive: aware datetimes, as the separate reads give them
    assert rows.bookings[0].start_utc.utcoffset() == timedelta(0)
