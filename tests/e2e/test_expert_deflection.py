"""Answer reuse first: "this answered it" closes a question as deflected, says by what, and the
figures count it; bad input is refused with nothing changed."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from app.cli import cli
from core.clock import FixedClock
from core.services import Services
from tests.integration.expertise_world import history, kubernetes_threads, person

QUESTION = "How do I roll back a Kubernetes deployment after the upgrade?"


async def deflections() -> list[tuple[str, str]]:
    from adapters.db.tables.expertise import DeflectionRow

    return [(str(s), str(r)) for s, r in await DeflectionRow.all().values_list("source", "ref")]


async def test_this_answered_it_records_what_deflected_the_question(
    api: Any, services: Services, org: Any, clock: FixedClock
) -> None:
    asker = await person(services, org, "asker")
    ana = await person(services, org, "ana")
    await history(services, org, kubernetes_threads("ana", 4))
    first, reuse = await services.expertise.ask(org.id, asker, QUESTION)
    reused = reuse.questions[0].question.id
    second, _ = await services.expertise.ask(org.id, asker, "Which Helm values does ingress need?")
    third, _ = await services.expertise.ask(org.id, asker, "Is there a guide for pod probes?")
    await services.expertise.route(org.id, third.id, k=1)

    resp = await api.post(
        f"/api/v1/questions/{first.id}/resolved-by-reuse",
        json={"asker_id": str(asker), "reused_question_id": str(reused)},
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "deflected"
    resp = await api.post(
        f"/api/v1/questions/{third.id}/resolved-by-reuse",
        json={"asker_id": str(asker), "resource_id": "post:probes-guide"},
    )
    assert resp.status == 200, await resp.text()
    # the routed question's open offer closed with it
    _, _, offers = await services.expertise.question(org.id, third.id)
    assert {o.status for o in offers} == {"closed"}
    assert sorted(await deflections()) == [
        ("question", str(reused)),
        ("resource", "post:probes-guide"),
    ]

    resp = await api.get("/api/v1/expert-analytics")
    assert resp.status == 200
    figures = await resp.json()
    # imported history is not "asked"; three questions were asked here
    assert figures["questions_asked"] == 3
    assert figures["deflected"] == 2 and figures["deflection_share"] == round(2 / 3, 4)
    assert figures["deflected_by_answered_question"] == 1
    assert figures["deflected_by_resource"] == 1
    assert figures["routed"] == 1 and figures["answered"] == 0

    # a period before anything was asked counts nothing
    start = (clock.now() - timedelta(days=30)).isoformat()
    end = (clock.now() - timedelta(days=1)).isoformat()
    resp = await api.get("/api/v1/expert-analytics", params={"start": start, "end": end})
    assert (await resp.json())["questions_asked"] == 0

    # the bot and the LTI pages call the same use case without saying what answered it
    resolved = await services.expertise.resolve_by_reuse(org.id, second.id)
    assert resolved.status == "deflected"
    assert ("unspecified", "") in await deflections()
    figures_now = await services.expertise.deflection_figures(org.id)
    assert figures_now.deflected == 3 and figures_now.share == 1.0
    assert ana  # the expert stays untouched: nobody was asked

    # the organisation's outcome report (API, CSV, CLI export) carries the same counts
    clock.advance(timedelta(minutes=1))
    resp = await api.get("/api/v1/community-analytics")
    report = await resp.json()
    assert report["expert_questions_asked"] == 3
    assert report["expert_questions_deflected"] == 3
    assert report["expert_deflection_share"] == 1.0


async def test_bad_deflections_are_refused_and_change_nothing(
    api: Any, services: Services, org: Any
) -> None:
    asker = await person(services, org, "asker")
    await person(services, org, "ana")
    other = await person(services, org, "other")
    await history(services, org, kubernetes_threads("ana", 2))
    question, reuse = await services.expertise.ask(org.id, asker, QUESTION)
    open_question, _ = await services.expertise.ask(org.id, other, "Anything on Helm ingress?")
    reused = reuse.questions[0].question.id
    url = f"/api/v1/questions/{question.id}/resolved-by-reuse"

    cases: list[tuple[dict[str, Any], int]] = [
        ({"asker_id": str(other)}, 403),  # only the asker says it answered them
        ({"reused_question_id": str(reused), "resource_id": "post:1"}, 400),  # not both
        ({"reused_question_id": "not-a-uuid"}, 400),
        ({"reused_question_id": str(question.id)}, 404),  # not the question itself
        ({"reused_question_id": str(open_question.id)}, 404),  # an unanswered question
        ({"resource_id": "x" * 201}, 400),
        ({"resource_id": "   "}, 400),
        ({"resource_id": 7}, 400),
    ]
    for body, status in cases:
        resp = await api.post(url, json=body)
        assert resp.status == status, (body, await resp.text())
    resp = await api.post(f"/api/v1/questions/{reused}/resolved-by-reuse", json={})
    assert resp.status == 409  # already answered
    for params in ({"start": "yesterday"}, {"start": "2026-03-01T00:00:00"}):
        resp = await api.get("/api/v1/expert-analytics", params=params)
        assert resp.status == 400, params
    resp = await api.get(
        "/api/v1/expert-analytics",
        params={"start": "2026-03-02T00:00:00+00:00", "end": "2026-03-01T00:00:00+00:00"},
    )
    assert resp.status == 400
    assert await deflections() == []
    current, _, _ = await services.expertise.question(org.id, question.id)
    assert current.status == "open"


def test_the_cli_prints_deflection_figures(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'cli.db'}"
    runner = CliRunner()
    result = runner.invoke(cli, ["--database-url", db, "demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli, ["--database-url", db, "experts", "analytics", "--org", "northwind", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output[result.output.index("{") :])
    assert {"questions_asked", "deflected", "deflection_share"} <= set(figures)
    result = runner.invoke(
        cli, ["--database-url", db, "experts", "analytics", "--org", "northwind"]
    )
    assert result.exit_code == 0 and "questions asked" in result.output
    result = runner.invoke(
        cli,
        ["--database-url", db, "experts", "analytics", "--org", "northwind", "--start", "soon"],
    )
    assert result.exit_code == 2 and "--start" in result.output
