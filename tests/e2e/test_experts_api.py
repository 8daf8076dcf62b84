"""Expert matching over HTTP: the asker's journey, and every bad input refused with nothing changed."""

from __future__ import annotations

from typing import Any

from core.services import Services
from tests.integration.expertise_world import history, kubernetes_threads, person

QUESTION = "Our Kubernetes deployment keeps crashing after the upgrade. How do we roll back?"


async def table_counts() -> tuple[int, ...]:
    from adapters.db.tables.expertise import (
        ChangeRow,
        OfferRow,
        ProfileRow,
        QuestionRow,
        SkillRow,
    )

    return tuple(
        [await m.all().count() for m in (QuestionRow, OfferRow, SkillRow, ProfileRow, ChangeRow)]
    )


async def asker_and_kubernetes_expert(services: Services, org: Any) -> tuple[Any, Any]:
    """An asker in Berlin, and ana in Paris who answered four Kubernetes questions."""
    asker = await person(services, org, "asker", "Europe/Berlin")
    ana = await person(services, org, "ana", "Europe/Paris")
    await history(services, org, kubernetes_threads("ana", 4))
    return asker, ana


async def test_an_asker_finds_reuse_first_then_routes_and_gets_an_answer(
    api: Any, services: Services, org: Any
) -> None:
    asker, ana = await asker_and_kubernetes_expert(services, org)

    resp = await api.post("/api/v1/experts/match", json={"text": QUESTION, "asker_id": str(asker)})
    assert resp.status == 200, await resp.text()
    experts = (await resp.json())["experts"]
    assert experts[0]["person_id"] == str(ana)
    assert experts[0]["person"] == "ana"
    assert experts[0]["reasons"]

    resp = await api.post("/api/v1/questions", json={"asker_id": str(asker), "text": QUESTION})
    assert resp.status == 201
    body = await resp.json()
    assert body["reuse"]["questions"][0]["similarity"] > 0.4
    qid = body["question"]["id"]

    resp = await api.post(f"/api/v1/questions/{qid}/route", json={"k": 1})
    offers = (await resp.json())["offers"]
    assert [o["expert_id"] for o in offers] == [str(ana)]
    resp = await api.post(f"/api/v1/routing/{offers[0]['id']}/accept", json={"expert_id": str(ana)})
    assert (await resp.json())["status"] == "accepted"
    resp = await api.post(
        f"/api/v1/questions/{qid}/answers", json={"author_id": str(ana), "text": "rollout undo"}
    )
    assert resp.status == 201
    answer_id = (await resp.json())["id"]
    resp = await api.post(
        f"/api/v1/questions/{qid}/answers/{answer_id}/accept", json={"asker_id": str(asker)}
    )
    assert (await resp.json())["accepted"] is True
    resp = await api.get(f"/api/v1/questions/{qid}")
    assert (await resp.json())["question"]["status"] == "answered"

    resp = await api.get(f"/api/v1/experts/{ana}")
    profile = await resp.json()
    assert profile["evidence"]["answer"] == 5
    assert profile["evidence"]["accepted_answer"] == 5


async def test_a_long_question_keeps_every_word_and_its_last_lines_count_in_matching(
    api: Any, services: Services, org: Any
) -> None:
    asker, ana = await asker_and_kubernetes_expert(services, org)
    filler = "We tried several things over the last weeks and wrote them all down here. " * 12
    text = f"Help with our cluster, please\n{filler}\nIn short: the Kubernetes rollback fails."
    assert len(text) > 900

    resp = await api.post("/api/v1/questions", json={"asker_id": str(asker), "text": text})
    assert resp.status == 201, await resp.text()
    question = (await resp.json())["question"]
    assert question["title"] == "Help with our cluster, please"
    assert question["body"].endswith("the Kubernetes rollback fails.")
    assert f"{question['title']}\n{question['body']}" == text

    # the only word that says what it is about comes after the first 900 characters
    resp = await api.post("/api/v1/experts/match", json={"text": text, "asker_id": str(asker)})
    assert resp.status == 200, await resp.text()
    assert [e["person_id"] for e in (await resp.json())["experts"]][:1] == [str(ana)]

    one_line = "kubernetes " + "word " * 60
    resp = await api.post("/api/v1/questions", json={"asker_id": str(asker), "text": one_line})
    question = (await resp.json())["question"]
    assert question["body"] == one_line.strip()
    # the title is the line's beginning, cut between words and marked as cut
    assert len(question["title"]) <= 200 and question["title"].endswith("word…")


async def test_profiles_and_skills_are_self_service(api: Any, services: Services, org: Any) -> None:
    ana = await person(services, org, "ana")
    peer = await person(services, org, "peer")
    resp = await api.post("/api/v1/skills", json={"name": "Kubernetes", "aliases": ["k8s"]})
    assert resp.status == 201
    resp = await api.patch(
        f"/api/v1/experts/{ana}",
        json={"skills": {"k8s": 4, "Terraform": 3}, "weekly_request_cap": 2, "headline": "SRE"},
    )
    assert resp.status == 200, await resp.text()
    resp = await api.post(
        f"/api/v1/experts/{ana}/endorsements", json={"endorser_id": str(peer), "skill": "K8S"}
    )
    assert resp.status == 201
    profile = await (await api.get(f"/api/v1/experts/{ana}")).json()
    assert [(s["name"], s["level"], s["endorsements"]) for s in profile["skills"]] == [
        ("Kubernetes", 4, 1),
        ("Terraform", 3, 0),
    ]
    resp = await api.post("/api/v1/skills/merge", json={"source": "terraform", "target": "k8s"})
    assert resp.status == 200
    names = [s["name"] for s in (await (await api.get("/api/v1/skills")).json())["items"]]
    assert names == ["Kubernetes"]


async def test_bad_input_gets_a_4xx_and_changes_nothing(
    api: Any, services: Services, org: Any
) -> None:
    ana = await person(services, org, "ana")
    await history(services, org, kubernetes_threads("ana", 2))
    await services.expertise.add_alias(org.id, "kubernetes", "k8s")
    other = await services.people.create_organisation("globex", "Globex")
    stranger = await services.people.add_person(other.id, "Hank", "hank@globex.example")
    before = await table_counts()

    cases: list[tuple[str, str, Any, int, str]] = [
        ("post", "/api/v1/experts/match", {"text": ""}, 400, "invalid_input"),
        ("post", "/api/v1/experts/match", {"text": "   "}, 400, "invalid_input"),
        ("post", "/api/v1/experts/match", {"text": "x" * 100_000}, 400, "invalid_input"),
        (
            "post",
            "/api/v1/experts/match",
            {"text": "pods", "tags": ["kubernets"]},
            400,
            "unknown_skill",
        ),
        ("post", "/api/v1/experts/match", {"text": "pods", "tags": "k8s"}, 400, "invalid_input"),
        ("post", "/api/v1/experts/match", {"text": "pods", "top": 0}, 400, "invalid_input"),
        (
            "post",
            "/api/v1/experts/match",
            {"text": "pods", "asker_id": "nope"},
            400,
            "invalid_input",
        ),
        (
            "post",
            "/api/v1/experts/match",
            {"text": "pods", "asker_id": str(stranger.id)},
            404,
            "person_not_found",
        ),
        (
            "post",
            "/api/v1/questions",
            {"asker_id": str(stranger.id), "text": "pods"},
            404,
            "person_not_found",
        ),
        ("post", "/api/v1/questions", {"asker_id": str(ana), "text": ""}, 400, "invalid_input"),
        ("get", f"/api/v1/experts/{stranger.id}", None, 404, "person_not_found"),
        ("patch", f"/api/v1/experts/{stranger.id}", {"headline": "pwned"}, 404, "person_not_found"),
        ("patch", f"/api/v1/experts/{ana}", {"skills": {"k8s": 9}}, 400, "invalid_input"),
        ("patch", f"/api/v1/experts/{ana}", {"paused_until": "tomorrow"}, 400, "invalid_input"),
        (
            "post",
            f"/api/v1/experts/{ana}/endorsements",
            {"endorser_id": str(ana), "skill": "k8s"},
            400,
            "invalid_input",
        ),
        (
            "post",
            f"/api/v1/experts/{ana}/endorsements",
            {"endorser_id": str(stranger.id), "skill": "k8s"},
            404,
            "person_not_found",
        ),
        (
            "post",
            f"/api/v1/experts/{ana}/evidence",
            {"kind": "gossip", "ref": "x"},
            400,
            "invalid_input",
        ),
        ("post", "/api/v1/skills", {"name": "K8S"}, 409, "skill_conflict"),
        ("post", "/api/v1/skills/merge", {"source": "k8s", "target": "k8s"}, 400, "invalid_input"),
        (
            "post",
            "/api/v1/skills/rename",
            {"skill": "nothing", "name": "x"},
            404,
            "skill_not_found",
        ),
        ("post", f"/api/v1/questions/{stranger.id}/route", {}, 404, "question_not_found"),
        (
            "post",
            f"/api/v1/routing/{stranger.id}/decline",
            {"expert_id": str(ana), "reason": "x"},
            404,
            "offer_not_found",
        ),
    ]
    for method, path, body, status, code in cases:
        resp = (
            await getattr(api, method)(path, json=body)
            if body is not None
            else await getattr(api, method)(path)
        )
        assert resp.status == status, (
            path,
            body if not isinstance(body, dict) or len(str(body)) < 200 else "big",
            await resp.text(),
        )
        assert (await resp.json())["error"]["code"] == code, (path, await resp.text())
    assert await table_counts() == before


async def test_the_openapi_document_lists_the_expert_endpoints(api: Any) -> None:
    doc = await (await api.get("/api/v1/openapi.json")).json()
    for path in (
        "/api/v1/experts/match",
        "/api/v1/skills",
        "/api/v1/questions",
        "/api/v1/routing/{offer_id}/decline",
    ):
        assert path in doc["paths"]
