"""Office hours over HTTP through the whole app: publish, browse slots in your zone, book with an
Idempotency-Key, the waitlist, the race for the last seats, and every bad input refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aiohttp
from icalendar import Calendar

from core.services import Services

TUESDAY_NINE_BERLIN = "2026-03-24T09:00:00+01:00"
SPEC: dict[str, Any] = {
    "title": "Data engineering office hours",
    "topics": ["spark", "dbt"],
    "rules": [
        {"weekday": "mon", "start": "09:00", "end": "12:00"},
        {"weekday": "tue", "start": "09:00", "end": "12:00"},
    ],
    "slot_minutes": 30,
    "min_notice_minutes": 60,
    "horizon_days": 14,
}


async def setup(api: Any, services: Services, org: Any, **changes: Any) -> tuple[str, str]:
    host = await services.people.add_person(
        org.id, "Hannah Schmidt", "hannah@acme.example", "Europe/Berlin"
    )
    resp = await api.post("/api/v1/office-hours", json={"host_id": str(host.id), **SPEC, **changes})
    assert resp.status == 201, await resp.text()
    return str(host.id), (await resp.json())["id"]


async def learner(services: Services, org: Any, i: int = 0) -> str:
    p = await services.people.add_person(
        org.id, f"Learner {i}", f"l{i}@acme.example", "Asia/Kolkata"
    )
    return str(p.id)


async def test_a_colleague_sees_slots_in_her_zone_books_and_downloads_the_invitation(
    api: Any, services: Services, org: Any
) -> None:
    _, type_id = await setup(api, services, org)
    person = await learner(services, org)
    resp = await api.get(
        f"/api/v1/office-hours/{type_id}/slots",
        params={"from": "2026-03-24T00:00:00Z", "to": "2026-03-25T00:00:00Z", "tz": "Asia/Kolkata"},
    )
    assert resp.status == 200, await resp.text()
    slots = (await resp.json())["items"]
    assert slots[0]["start"] == "2026-03-24T08:00:00+00:00"
    assert slots[0]["start_local"] == "2026-03-24T13:30:00+05:30"
    assert len(slots) == 6

    body = {"office_hours_id": type_id, "person_id": person, "start": TUESDAY_NINE_BERLIN}
    headers = {"Idempotency-Key": "book-7f3a"}
    first = await api.post("/api/v1/bookings", json=body, headers=headers)
    assert first.status == 201, await first.text()
    again = await api.post("/api/v1/bookings", json=body, headers=headers)
    assert again.status == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    booking = await first.json()
    assert (await again.json())["id"] == booking["id"]
    assert booking["status"] == "confirmed"

    ics = await api.get(f"/api/v1/bookings/{booking['id']}/invite.ics")
    assert ics.status == 200
    assert ics.content_type == "text/calendar"
    (event,) = Calendar.from_ical(await ics.read()).walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 3, 24, 8, 0, tzinfo=UTC)

    mine = await (await api.get("/api/v1/bookings", params={"person_id": person})).json()
    assert [b["id"] for b in mine["items"]] == [booking["id"]]

    moved = await api.post(
        f"/api/v1/bookings/{booking['id']}/reschedule", json={"start": "2026-03-24T10:00:00+01:00"}
    )
    assert moved.status == 200, await moved.text()
    assert (await moved.json())["start"] == "2026-03-24T09:00:00+00:00"
    cancelled = await api.post(f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "clash"})
    assert (await cancelled.json())["status"] == "cancelled"
    ics = await api.get(f"/api/v1/bookings/{booking['id']}/invite.ics")
    assert Calendar.from_ical(await ics.read())["method"] == "CANCEL"


async def test_fifty_concurrent_clients_never_overfill_a_three_seat_slot(
    api: Any, services: Services, org: Any
) -> None:
    _, type_id = await setup(api, services, org, capacity=3)
    people = [await learner(services, org, i) for i in range(50)]
    auth = {"Authorization": api.session.headers["Authorization"]}
    sessions = [aiohttp.ClientSession(headers=auth) for _ in range(5)]
    try:

        async def one(i: int) -> tuple[int, dict[str, Any]]:
            resp = await sessions[i % 5].post(
                api.make_url("/api/v1/bookings"),
                json={
                    "office_hours_id": type_id,
                    "person_id": people[i],
                    "start": TUESDAY_NINE_BERLIN,
                },
                headers={"Idempotency-Key": f"race-{i}"},
            )
            return resp.status, await resp.json()

        results = await asyncio.gather(*(one(i) for i in range(50)))
    finally:
        for s in sessions:
            await s.close()
    assert {status for status, _ in results} == {201}
    statuses = [body["status"] for _, body in results]
    assert statuses.count("confirmed") == 3
    assert statuses.count("waitlisted") == 47
    waitlist = await api.get(
        f"/api/v1/office-hours/{type_id}/waitlist", params={"start": TUESDAY_NINE_BERLIN}
    )
    assert [b["waitlist_position"] for b in (await waitlist.json())["items"]] == list(range(1, 48))


async def test_the_first_in_line_gets_a_freed_seat_and_can_release_it(
    api: Any, services: Services, org: Any
) -> None:
    _, type_id = await setup(api, services, org, capacity=1)
    a, b = await learner(services, org, 1), await learner(services, org, 2)
    seat = await (
        await api.post(
            "/api/v1/bookings",
            json={"office_hours_id": type_id, "person_id": a, "start": TUESDAY_NINE_BERLIN},
        )
    ).json()
    queued = await api.post(
        f"/api/v1/office-hours/{type_id}/waitlist",
        json={"person_id": b, "start": TUESDAY_NINE_BERLIN},
    )
    assert (await queued.json())["status"] == "waitlisted"
    await api.post(f"/api/v1/bookings/{seat['id']}/cancel")
    promoted = await (await api.get(f"/api/v1/bookings/{(await queued.json())['id']}")).json()
    assert promoted["status"] == "confirmed" and promoted["promoted_at"]
    released = await api.post(f"/api/v1/bookings/{promoted['id']}/release")
    assert (await released.json())["status"] == "cancelled"


async def test_bad_input_gets_a_specific_4xx_and_stores_nothing(
    api: Any, services: Services, org: Any
) -> None:
    host = await services.people.add_person(org.id, "Ravi", "ravi@acme.example", "Asia/Kolkata")
    bad_types: list[tuple[dict[str, Any], str]] = [
        (
            {
                "rules": [
                    {"weekday": "mon", "start": "09:00", "end": "11:00"},
                    {"weekday": "mon", "start": "10:00", "end": "12:00"},
                ]
            },
            "overlapping_rules",
        ),
        ({"time_zone": "Mars/Olympus_Mons"}, "unknown_time_zone"),
        ({"capacity": 0}, "invalid_schedule"),
        ({"rules": [{"weekday": "someday", "start": "09:00", "end": "10:00"}]}, "invalid_schedule"),
        ({"rules": [{"weekday": "mon", "start": "9 o'clock", "end": "10:00"}]}, "invalid_schedule"),
        ({"location": {"kind": "room"}}, "invalid_input"),
        ({"colour": "blue"}, "invalid_input"),
    ]
    for change, code in bad_types:
        resp = await api.post(
            "/api/v1/office-hours", json={"host_id": str(host.id), **SPEC, **change}
        )
        assert resp.status == 400, change
        assert (await resp.json())["error"]["code"] == code, change
    listed = await (
        await api.get("/api/v1/office-hours", params={"include_inactive": "true"})
    ).json()
    assert listed["items"] == []

    _, type_id = await setup(api, services, org)
    person = await learner(services, org)
    bad_bookings: list[tuple[Any, int, str]] = [
        ({"start": "2026-03-23T07:00:00Z"}, 400, "slot_in_past"),
        ({"start": "2026-03-23T08:30:00Z"}, 400, "slot_inside_minimum_notice"),
        ({"start": "2026-04-13T07:00:00Z"}, 400, "slot_beyond_horizon"),
        ({"start": "2026-03-24T08:05:00Z"}, 400, "not_a_slot"),
        ({"start": "2026-03-24T09:00:00"}, 400, "invalid_input"),
        ({"start": "tomorrow"}, 400, "invalid_input"),
        ({"person_id": "not-a-uuid"}, 400, "invalid_input"),
        ({"person_id": "00000000-0000-0000-0000-000000000000"}, 404, "person_not_found"),
        ({"answers": "yes"}, 400, "invalid_input"),
    ]
    for change, status, code in bad_bookings:
        body = {
            "office_hours_id": type_id,
            "person_id": person,
            "start": TUESDAY_NINE_BERLIN,
            **change,
        }
        resp = await api.post("/api/v1/bookings", json=body)
        assert resp.status == status, change
        assert (await resp.json())["error"]["code"] == code, change
    resp = await api.post(
        "/api/v1/bookings", data=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    resp = await api.get(f"/api/v1/office-hours/{type_id}/slots", params={"tz": "Nowhere/Town"})
    assert (await resp.json())["error"]["code"] == "unknown_time_zone"
    resp = await api.get(
        f"/api/v1/office-hours/{type_id}/slots",
        params={"from": "2026-03-24T00:00:00Z", "to": "2026-03-23T00:00:00Z"},
    )
    assert resp.status == 400
    mine = await (await api.get("/api/v1/bookings", params={"person_id": person})).json()
    assert mine["items"] == []
    async with services.uow() as uow:
        assert list(await uow.outbox.list()) == []


async def test_another_organisations_office_hours_and_bookings_are_not_found(
    api: Any, services: Services, org: Any
) -> None:
    other = await services.people.create_organisation("globex", "Globex")
    theirs = await services.people.add_person(other.id, "Hank", "hank@globex.example")
    t = await services.office_hours.create_type(other.id, theirs.id, SPEC)
    booker = await services.people.add_person(other.id, "Marge", "marge@globex.example")
    start = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)  # Hank works in UTC
    booking = (await services.office_hours.book(other.id, t.id, booker.id, start)).booking
    mine = await learner(services, org)
    for method, path, body in [
        ("GET", f"/api/v1/office-hours/{t.id}", None),
        ("GET", f"/api/v1/office-hours/{t.id}/slots", None),
        ("PATCH", f"/api/v1/office-hours/{t.id}", {"title": "Pwned"}),
        ("POST", f"/api/v1/office-hours/{t.id}/pause", None),
        (
            "POST",
            "/api/v1/bookings",
            {"office_hours_id": str(t.id), "person_id": mine, "start": start.isoformat()},
        ),
        ("GET", f"/api/v1/bookings/{booking.id}", None),
        ("GET", f"/api/v1/bookings/{booking.id}/invite.ics", None),
        ("POST", f"/api/v1/bookings/{booking.id}/cancel", {"reason": "mine now"}),
    ]:
        resp = await api.request(method, path, json=body)
        assert resp.status == 404, (method, path)
    again = await services.office_hours.get_booking(other.id, booking.id)
    assert again.status == "confirmed"
    assert (await services.office_hours.get_type(other.id, t.id)).title == SPEC["title"]


async def test_attendance_and_rating_after_the_session(
    api: Any, services: Services, org: Any, clock: Any
) -> None:
    _, type_id = await setup(api, services, org)
    person = await learner(services, org)
    booking = await (
        await api.post(
            "/api/v1/bookings",
            json={"office_hours_id": type_id, "person_id": person, "start": TUESDAY_NINE_BERLIN},
        )
    ).json()
    early = await api.post(f"/api/v1/bookings/{booking['id']}/rating", json={"stars": 5})
    assert early.status == 409
    clock.set(datetime(2026, 3, 24, 8, 45, tzinfo=UTC))
    marked = await api.post(f"/api/v1/bookings/{booking['id']}/attendance", json={"attended": True})
    assert (await marked.json())["attendance"] == "attended"
    bad = await api.post(f"/api/v1/bookings/{booking['id']}/rating", json={"stars": 9})
    assert bad.status == 400
    rated = await api.post(
        f"/api/v1/bookings/{booking['id']}/rating", json={"stars": 5, "comment": "great"}
    )
    assert (await rated.json())["rating"] == 5


async def test_pause_resume_archive_and_the_openapi_document(
    api: Any, services: Services, org: Any
) -> None:
    _, type_id = await setup(api, services, org)
    assert (await (await api.post(f"/api/v1/office-hours/{type_id}/pause")).json())["paused"]
    slots = await (await api.get(f"/api/v1/office-hours/{type_id}/slots")).json()
    assert slots["items"] == []
    assert not (await (await api.post(f"/api/v1/office-hours/{type_id}/resume")).json())["paused"]
    patched = await api.patch(f"/api/v1/office-hours/{type_id}", json={"capacity": 4})
    assert (await patched.json())["capacity"] == 4
    assert (await (await api.delete(f"/api/v1/office-hours/{type_id}")).json())["archived"]
    assert (await (await api.get("/api/v1/office-hours")).json())["items"] == []
    doc = await (await api.get("/api/v1/openapi.json")).json()
    for path in (
        "/api/v1/office-hours",
        "/api/v1/office-hours/{type_id}/slots",
        "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}/invite.ics",
        "/api/v1/office-hours/{type_id}/waitlist",
    ):
        assert path in doc["paths"]
