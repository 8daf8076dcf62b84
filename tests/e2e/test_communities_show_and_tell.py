"""Show-and-tell through the JSON API, on the office hours booking machinery: weekly session in
the community's zone, demo slots with a waitlist, the agenda before, attendance after, .ics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.clock import FixedClock
from core.services import Services


async def test_a_weekly_show_and_tell_fills_its_slots_sends_the_agenda_and_records_demos(
    api: Any, services: Services, org: Any, clock: FixedClock
) -> None:
    ids = [
        str((await services.people.add_person(org.id, n, None, "Europe/Berlin")).id)
        for n in ("Host", "Ana", "Ben", "Cleo", "Quiet")
    ]
    host, ana, ben, cleo, quiet = ids
    created = await api.post(
        "/api/v1/communities",
        json={"name": "GenAI Guild", "time_zone": "Europe/Berlin"},
        headers={"X-Acting-Person": host},
    )
    cid = (await created.json())["id"]
    for p in (ana, ben, cleo, quiet):
        await api.post(f"/api/v1/communities/{cid}/join", headers={"X-Acting-Person": p})
    await api.put(
        f"/api/v1/communities/{cid}/notifications",
        json={"paused": True},
        headers={"X-Acting-Person": quiet},
    )
    resp = await api.post(
        f"/api/v1/communities/{cid}/show-and-tell",
        json={"weekday": 3, "start": "16:00", "minutes": 30, "capacity": 2},
        headers={"X-Acting-Person": ana},
    )
    assert resp.status == 403
    resp = await api.post(
        f"/api/v1/communities/{cid}/show-and-tell",
        json={"weekday": 3, "start": "16:00", "minutes": 30, "capacity": 2},
        headers={"X-Acting-Person": host},
    )
    assert resp.status == 201, await resp.text()
    upcoming = (await (await api.get(f"/api/v1/communities/{cid}/show-and-tell")).json())[
        "upcoming"
    ]
    # Thursday 26 March 2026, 16:00 in Berlin (UTC+1 before the switch to summer time)
    assert upcoming[0] == "2026-03-26T15:00:00+00:00"
    # the next one is after the DST switch: still 16:00 in Berlin, now 14:00 UTC
    assert upcoming[1] == "2026-04-02T14:00:00+00:00"
    start = upcoming[0]
    digest = await (await api.get(f"/api/v1/community-digest/{ana}")).json()
    assert [(u["kind"], u["at"]) for u in digest["upcoming"]] == [("show_and_tell", start)]

    statuses = []
    for person, title in ((ana, "Contract tables"), (ben, "<b>Email drafts</b>"), (cleo, "SQL")):
        resp = await api.post(
            f"/api/v1/communities/{cid}/show-and-tell/signups",
            json={"start": start, "title": title},
            headers={"X-Acting-Person": person},
        )
        assert resp.status == 201, await resp.text()
        statuses.append((await resp.json())["status"])
        clock.advance(timedelta(minutes=5))
    assert statuses == ["confirmed", "confirmed", "waitlisted"]

    agenda = await (
        await api.get(f"/api/v1/communities/{cid}/show-and-tell/agenda", params={"start": start})
    ).json()
    assert [d["title"] for d in agenda["demos"]] == ["Contract tables", "<b>Email drafts</b>"]
    assert [w["person_id"] for w in agenda["waitlist"]] == [cleo]

    resp = await api.post(
        f"/api/v1/communities/{cid}/show-and-tell/agenda",
        json={"start": start},
        headers={"X-Acting-Person": host},
    )
    assert (await resp.json())["queued"] == 4  # host, Ana, Ben, Cleo; Quiet paused

    booking = agenda["demos"][0]["booking_id"]
    ics = await api.get(f"/api/v1/community-show-and-tell/{booking}/invitation.ics")
    assert ics.content_type == "text/calendar"
    assert "BEGIN:VEVENT" in await ics.text()

    early = await api.post(
        f"/api/v1/communities/{cid}/show-and-tell/attendance",
        json={"start": start, "attended": [ana]},
        headers={"X-Acting-Person": host},
    )
    assert early.status in (409, 422), await early.text()
    clock.set(datetime.fromisoformat(start) + timedelta(minutes=40))
    resp = await api.post(
        f"/api/v1/communities/{cid}/show-and-tell/attendance",
        json={"start": start, "attended": [ana]},
        headers={"X-Acting-Person": host},
    )
    assert resp.status == 200, await resp.text()
    assert [d["person_id"] for d in (await resp.json())["demos"]] == [ana]
    mine = await (await api.get(f"/api/v1/community-recognition/{ana}")).json()
    assert mine["demos_given"] == 1
    hosting = await (await api.get(f"/api/v1/community-recognition/{host}")).json()
    assert hosting["sessions_hosted"] == 1
    report = await (await api.get("/api/v1/community-analytics")).json()
    assert (report["bookings"], report["attended"]) == (2, 1)
    loads = {e["person_id"]: e["hours_per_week"] for e in report["expert_load"]}
    # the host ran one booked 30-minute session in the default 12-week report
    assert loads[host] == round(0.5 / 12, 2)
