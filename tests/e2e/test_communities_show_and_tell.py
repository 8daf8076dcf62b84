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


async def test_members_sign_up_to_watch_and_leave_through_the_api(
    api: Any, services: Services, org: Any, clock: FixedClock
) -> None:
    host, ana, ben, out = [
        str((await services.people.add_person(org.id, n, None, "Europe/Berlin")).id)
        for n in ("Host", "Ana", "Ben", "Out")
    ]
    created = await api.post(
        "/api/v1/communities",
        json={"name": "GenAI Guild", "time_zone": "Europe/Berlin"},
        headers={"X-Acting-Person": host},
    )
    cid = (await created.json())["id"]
    for p in (ana, ben):
        await api.post(f"/api/v1/communities/{cid}/join", headers={"X-Acting-Person": p})
    path = f"/api/v1/communities/{cid}/show-and-tell"
    # no show-and-tell yet: nothing to attend
    early = await api.post(
        f"{path}/audience",
        json={"start": "2026-03-26T15:00:00+00:00"},
        headers={"X-Acting-Person": ben},
    )
    assert early.status == 409, await early.text()
    await api.post(
        path,
        json={"weekday": 3, "start": "16:00", "capacity": 1},
        headers={"X-Acting-Person": host},
    )
    start = (await (await api.get(path)).json())["upcoming"][0]

    first = await api.post(
        f"{path}/audience", json={"start": start}, headers={"X-Acting-Person": ben}
    )
    assert first.status == 200, await first.text()
    seat = await first.json()
    assert (seat["status"], seat["audience"], seat["start"]) == ("confirmed", True, start)
    again = await api.post(
        f"{path}/audience", json={"start": start}, headers={"X-Acting-Person": ben}
    )
    assert (await again.json())["booking_id"] == seat["booking_id"]
    # the one demo slot is still free for Ana
    demo = await api.post(
        f"{path}/signups", json={"start": start, "title": "SQL"}, headers={"X-Acting-Person": ana}
    )
    assert (await demo.json())["status"] == "confirmed"
    agenda = await (await api.get(f"{path}/agenda", params={"start": start})).json()
    assert [d["person_id"] for d in agenda["demos"]] == [ana]
    assert [(a["person_id"], a["audience"]) for a in agenda["audience"]] == [(ben, True)]
    booking = await (await api.get(f"/api/v1/bookings/{seat['booking_id']}")).json()
    assert (booking["audience"], booking["status"]) == (True, "confirmed")
    ics = await api.get(f"/api/v1/community-show-and-tell/{seat['booking_id']}/invitation.ics")
    assert ics.status == 200 and "BEGIN:VEVENT" in await ics.text()

    bad: list[tuple[dict[str, Any], dict[str, str], int, str]] = [
        ({"start": start}, {"X-Acting-Person": out}, 403, "join the community"),
        ({"start": start}, {}, 400, "X-Acting-Person"),
        ({}, {"X-Acting-Person": ben}, 400, "'start' is required"),
        ({"start": 5}, {"X-Acting-Person": ben}, 400, "'start' must be of type str"),
        ({"start": "next thursday"}, {"X-Acting-Person": ben}, 400, "a time such as"),
        ({"start": start[:19]}, {"X-Acting-Person": ben}, 400, "UTC offset"),
        (
            {"start": start.replace("15:00", "15:10")},
            {"X-Acting-Person": ben},
            400,
            "not one of this show-and-tell's sessions",
        ),
        ({"start": "2026-03-19T15:00:00+00:00"}, {"X-Acting-Person": ben}, 400, "already passed"),
        ({"start": start}, {"X-Acting-Person": "nobody"}, 400, "X-Acting-Person"),
    ]
    for body, headers, status, message in bad:
        resp = await api.post(f"{path}/audience", json=body, headers=headers)
        assert resp.status == status, (body, headers, await resp.text())
        assert message in (await resp.json())["error"]["message"], (body, headers)
    unknown = await api.post(
        f"/api/v1/communities/{host}/show-and-tell/audience",
        json={"start": start},
        headers={"X-Acting-Person": ben},
    )
    assert unknown.status == 404

    for params, status, message in (
        ({}, 400, "'start' is required"),
        ({"start": "soon"}, 400, "a time such as"),
        (
            {"start": start.replace("15:00", "15:10")},
            400,
            "not one of this show-and-tell's sessions",
        ),
    ):
        resp = await api.delete(f"{path}/audience", params=params, headers={"X-Acting-Person": ben})
        assert resp.status == status, (params, await resp.text())
        assert message in (await resp.json())["error"]["message"]

    left = await api.delete(
        f"{path}/audience", params={"start": start}, headers={"X-Acting-Person": ben}
    )
    assert left.status == 200
    body = await left.json()
    assert body["left"] is True and body["seat"]["status"] == "cancelled"
    twice = await api.delete(
        f"{path}/audience", params={"start": start}, headers={"X-Acting-Person": ben}
    )
    assert (await twice.json()) == {"left": False, "seat": None}
    agenda = await (await api.get(f"{path}/agenda", params={"start": start})).json()
    assert agenda["audience"] == []
    # once the session has begun, the audience place can no longer be given up
    await api.post(f"{path}/audience", json={"start": start}, headers={"X-Acting-Person": ben})
    clock.set(datetime.fromisoformat(start) + timedelta(minutes=5))
    late = await api.delete(
        f"{path}/audience", params={"start": start}, headers={"X-Acting-Person": ben}
    )
    assert late.status == 409, await late.text()
