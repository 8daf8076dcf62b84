"""Communities through the JSON API (SQLite, or PostgreSQL with PEERLEARN_TEST_DATABASE_URL):
the stories end to end, the permission rules, and hostile input."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from core.clock import FixedClock
from core.services import Services


async def people(services: Services, org: Any, *names: str) -> list[str]:
    return [str((await services.people.add_person(org.id, n, None)).id) for n in names]


def as_(person: str) -> dict[str, str]:
    return {"X-Acting-Person": person}


async def vocabulary(services: Services, org: Any, *skills: str) -> None:
    for skill in skills:
        await services.expertise.add_skill(org.id, skill)


async def test_a_guild_shares_prompts_answers_questions_and_grows_its_library(
    api: Any, services: Services, org: Any, clock: FixedClock
) -> None:
    await vocabulary(services, org, "GenAI", "Excel")
    owner, asker, expert = await people(services, org, "Amara", "Diego", "Aiko")
    resp = await api.post(
        "/api/v1/communities",
        json={
            "name": "GenAI Guild",
            "purpose": "Prompts that save time",
            "topics": ["genai"],
            "visibility": "open",
            "time_zone": "Europe/London",
            "lms_course_ids": ["course-101"],
            "teams_channel_id": "19:abc@thread.tacv2",
        },
        headers=as_(owner),
    )
    assert resp.status == 201, await resp.text()
    guild = await resp.json()
    assert guild["topics"] == ["GenAI"]
    cid = guild["id"]
    for p in (asker, expert):
        joined = await (await api.post(f"/api/v1/communities/{cid}/join", headers=as_(p))).json()
        assert joined["status"] == "active"

    resp = await api.post(
        f"/api/v1/communities/{cid}/posts",
        json={
            "kind": "prompt",
            "title": "Clean an Excel export",
            "tool": "Copilot in Excel",
            "prompt_text": "Normalise the column names and the date formats",
            "example_output": "order_date, customer_id, amount",
            "saved": "15 minutes per export",
            "tags": ["excel", "GENAI"],
        },
        headers=as_(expert),
    )
    assert resp.status == 201, await resp.text()
    prompt = await resp.json()
    assert prompt["tags"] == ["Excel", "GenAI"]
    tried = await (
        await api.post(f"/api/v1/community-posts/{prompt['id']}/try", headers=as_(asker))
    ).json()
    assert tried["prompt_text"] == "Normalise the column names and the date formats"
    voted = await (
        await api.post(f"/api/v1/community-posts/{prompt['id']}/vote", headers=as_(asker))
    ).json()
    assert voted["upvotes"] == 1

    resp = await api.post(
        f"/api/v1/communities/{cid}/questions",
        json={"title": "How do I fix dates in an Excel export?", "tags": ["excel"]},
        headers=as_(asker),
    )
    question = await resp.json()
    clock.advance(timedelta(hours=2))
    resp = await api.post(
        f"/api/v1/community-questions/{question['id']}/answers",
        json={"body": "Use the prompt in the library.", "cites_post_id": prompt["id"]},
        headers=as_(expert),
    )
    answer = await resp.json()
    resp = await api.post(f"/api/v1/community-answers/{answer['id']}/accept", headers=as_(asker))
    assert (await resp.json())["accepted"] is True
    resp = await api.post(
        f"/api/v1/community-questions/{question['id']}/promote", headers=as_(expert)
    )
    assert resp.status == 201, await resp.text()
    resource = await resp.json()
    assert set(resource["credited_ids"]) == {asker, expert}

    found = await (
        await api.get("/api/v1/community-search", params={"q": "excel dates export"})
    ).json()
    ids = [h["post"]["id"] for h in found["items"]]
    assert set(ids) == {prompt["id"], resource["id"]}

    board = await (await api.get(f"/api/v1/communities/{cid}/leaderboard")).json()
    assert board["items"][0]["person_id"] == expert
    report = await (await api.get(f"/api/v1/communities/{cid}/analytics")).json()
    assert (report["questions_asked"], report["questions_answered"]) == (1, 1)
    assert report["first_answer_hours_median"] == 2.0
    assert report["deflection_share"] == 1.0


async def test_cohort_check_ins_pairing_and_completion_through_the_api(
    api: Any, services: Services, org: Any, clock: FixedClock
) -> None:
    owner, *learners = await people(services, org, "Host", "L1", "L2", "L3")
    cid = (
        await (
            await api.post("/api/v1/communities", json={"name": "Data Eng"}, headers=as_(owner))
        ).json()
    )["id"]
    resp = await api.post(
        f"/api/v1/communities/{cid}/cohorts",
        json={
            "name": "dbt in four weeks",
            "goal": "Ship one tested model",
            "starts_on": "2026-03-23",
            "ends_on": "2026-04-19",
            "required_checkins": 1,
            "requires_demo": True,
        },
        headers=as_(owner),
    )
    assert resp.status == 201, await resp.text()
    cohort = await resp.json()
    for p in learners:
        await api.post(f"/api/v1/communities/{cid}/join", headers=as_(p))
        assert (
            await api.post(f"/api/v1/cohorts/{cohort['id']}/join", headers=as_(p))
        ).status == 200
    resp = await api.post(f"/api/v1/cohorts/{cohort['id']}/pairings", headers=as_(owner))
    groups = (await resp.json())["groups"]
    assert sorted(len(g) for g in groups) == [3]
    resp = await api.post(
        f"/api/v1/cohorts/{cohort['id']}/checkins",
        json={"tried": "dbt tests", "saved": "an hour", "stuck": "macros"},
        headers=as_(learners[0]),
    )
    assert resp.status == 201
    resp = await api.post(
        f"/api/v1/communities/{cid}/demos",
        json={"person_id": learners[0], "title": "My first model", "cohort_id": cohort["id"]},
        headers=as_(owner),
    )
    assert resp.status == 201
    view = await (await api.get(f"/api/v1/cohorts/{cohort['id']}")).json()
    done = {p["person_id"]: p["completed_at"] for p in view["progress"]}
    assert done[learners[0]] is not None and done[learners[1]] is None
    async with services.uow() as uow:
        kinds = sorted(m.kind for m in await uow.outbox.list(org.id))
    assert kinds == ["learning.completion", "lms.score"]


async def test_non_members_cannot_post_in_approval_only_communities(
    api: Any, services: Services, org: Any
) -> None:
    owner, outsider = await people(services, org, "Owner", "Outsider")
    resp = await api.post(
        "/api/v1/communities",
        json={"name": "Leadership circle", "visibility": "approval"},
        headers=as_(owner),
    )
    cid = (await resp.json())["id"]
    post = {"kind": "tip", "title": "Hi", "body": "let me in"}
    resp = await api.post(f"/api/v1/communities/{cid}/posts", json=post, headers=as_(outsider))
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "not_a_member"
    resp = await api.get(f"/api/v1/communities/{cid}/posts", headers=as_(outsider))
    assert resp.status == 403
    joined = await (await api.post(f"/api/v1/communities/{cid}/join", headers=as_(outsider))).json()
    assert joined["status"] == "pending"
    resp = await api.post(f"/api/v1/communities/{cid}/posts", json=post, headers=as_(outsider))
    assert resp.status == 403
    resp = await api.post(
        f"/api/v1/communities/{cid}/requests/{outsider}", json={"approve": True}, headers=as_(owner)
    )
    assert (await resp.json())["status"] == "active"
    resp = await api.post(f"/api/v1/communities/{cid}/posts", json=post, headers=as_(outsider))
    assert resp.status == 201


async def test_only_owners_feature_and_archive(api: Any, services: Services, org: Any) -> None:
    owner, member = await people(services, org, "Owner", "Member")
    cid = (
        await (
            await api.post("/api/v1/communities", json={"name": "CS"}, headers=as_(owner))
        ).json()
    )["id"]
    await api.post(f"/api/v1/communities/{cid}/join", headers=as_(member))
    pid = (
        await (
            await api.post(
                f"/api/v1/communities/{cid}/posts",
                json={"kind": "tip", "title": "Tip", "body": "Say their name"},
                headers=as_(member),
            )
        ).json()
    )["id"]
    for path, body in (("featured", {"featured": True}), ("archived", {"archived": True})):
        resp = await api.put(
            f"/api/v1/community-posts/{pid}/{path}", json=body, headers=as_(member)
        )
        assert resp.status == 403
        assert (await resp.json())["error"]["code"] == "owners_only"
    resp = await api.put(
        f"/api/v1/community-posts/{pid}/featured", json={"featured": True}, headers=as_(owner)
    )
    assert (await resp.json())["featured"] is True


async def test_one_organisation_never_sees_another_s_communities(
    api: Any, services: Services, org: Any
) -> None:
    other = await services.people.create_organisation("globex", "Globex")
    stranger = await services.people.add_person(other.id, "Hank", None)
    theirs = await services.communities.create_community(other.id, stranger.id, "Globex Guild")
    post = await services.communities.create_post(
        other.id, theirs.id, stranger.id, "tip", "Secret plan", "volcano lair"
    )
    assert (await (await api.get("/api/v1/communities")).json())["items"] == []
    assert (await api.get(f"/api/v1/communities/{theirs.id}")).status == 404
    assert (await api.get(f"/api/v1/community-posts/{post.id}")).status == 404
    found = await (await api.get("/api/v1/community-search", params={"q": "volcano"})).json()
    assert found["items"] == []
    (me,) = await people(services, org, "Me")
    resp = await api.post(f"/api/v1/communities/{theirs.id}/join", headers=as_(me))
    assert resp.status == 404
    resp = await api.post(f"/api/v1/communities/{theirs.id}/join", headers=as_(str(stranger.id)))
    assert resp.status == 404


async def test_hostile_input_is_stored_as_written_returned_as_data_or_refused(
    api: Any, services: Services, org: Any
) -> None:
    await vocabulary(services, org, "Python")
    (owner,) = await people(services, org, "Ünïcødé Owner 🚀")
    cid = (
        await (
            await api.post(
                "/api/v1/communities", json={"name": "Ops <i>crew</i> 运维"}, headers=as_(owner)
            )
        ).json()
    )["id"]
    script = "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>"
    resp = await api.post(
        f"/api/v1/communities/{cid}/posts",
        json={"kind": "tip", "title": "<b>Bold</b> 'quote' \"dq\"", "body": script + " 😀 ñ"},
        headers=as_(owner),
    )
    assert resp.status == 201
    assert resp.content_type == "application/json"
    raw = await resp.text()
    assert "<script>" not in raw or '"<script>' in raw  # only ever inside a JSON string
    post = await resp.json()
    assert post["body"] == script + " 😀 ñ"
    assert post["title"] == "<b>Bold</b> 'quote' \"dq\""

    resp = await api.post(
        f"/api/v1/communities/{cid}/posts",
        json={"kind": "tip", "title": "big", "body": "x" * (1024 * 1024)},
        headers=as_(owner),
    )
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "too_large"
    resp = await api.post(
        f"/api/v1/communities/{cid}/posts",
        json={"kind": "tip", "title": "long", "body": "y" * 25_000},
        headers=as_(owner),
    )
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "too_long"
    resp = await api.post(
        f"/api/v1/communities/{cid}/posts",
        json={"kind": "tip", "title": "tags", "body": "b", "tags": ["python", "<svg onload=1>"]},
        headers=as_(owner),
    )
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "unknown_tags"
    resp = await api.post(
        f"/api/v1/communities/{cid}/posts",
        json={"kind": "resource", "title": "link", "url": "javascript:alert(1)"},
        headers=as_(owner),
    )
    assert resp.status == 400
    resp = await api.post(
        f"/api/v1/communities/{cid}/posts",
        json={"kind": "tip", "title": "nul", "body": "a\u0000b"},
        headers=as_(owner),
    )
    assert resp.status == 400
    items = (await (await api.get(f"/api/v1/communities/{cid}/posts")).json())["items"]
    assert len(items) == 1
    resp = await api.post(f"/api/v1/communities/{cid}/posts", json={"kind": "tip"})
    assert resp.status == 400
    resp = await api.post(
        f"/api/v1/communities/{cid}/posts",
        json={"kind": "tip", "title": "t", "body": "b"},
        headers=as_("not-a-uuid"),
    )
    assert resp.status == 400


async def test_analytics_export_as_csv_and_a_chart(
    api: Any, services: Services, org: Any, clock: FixedClock
) -> None:
    (owner,) = await people(services, org, "Owner")
    cid = (
        await (
            await api.post("/api/v1/communities", json={"name": "CS"}, headers=as_(owner))
        ).json()
    )["id"]
    await api.post(
        f"/api/v1/communities/{cid}/questions",
        json={"title": "=cmd|' /C calc'!A0"},
        headers=as_(owner),
    )
    clock.advance(timedelta(hours=1))
    resp = await api.get("/api/v1/community-analytics", params={"format": "csv"})
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(await resp.text())))
    assert ["questions_asked", "1"] in rows
    assert not any(cell.startswith("=") for row in rows for cell in row)
    resp = await api.get(f"/api/v1/communities/{cid}/analytics", params={"format": "svg"})
    assert resp.headers["Content-Type"] == "image/svg+xml"
    assert (await resp.read()).lstrip().startswith(b"<?xml")
    resp = await api.get("/api/v1/community-analytics", params={"format": "png"})
    assert (await resp.read())[:8] == b"\x89PNG\r\n\x1a\n"
    resp = await api.get("/api/v1/community-analytics", params={"format": "xlsx"})
    assert resp.status == 400
    resp = await api.get("/api/v1/community-analytics", params={"start": "yesterday"})
    assert resp.status == 400
    doc = await (await api.get("/api/v1/openapi.json")).json()
    assert "/api/v1/communities/{community_id}/posts" in doc["paths"]
