"""People through the JSON API: the admin automation story, and every bad input refused."""

from __future__ import annotations

from typing import Any


async def test_an_admin_adds_and_finds_a_colleague(api: Any) -> None:
    resp = await api.post(
        "/api/v1/people",
        json={"name": "Jonas Becker", "email": "Jonas@Example.com", "time_zone": "Europe/Berlin"},
    )
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert created["email"] == "jonas@example.com"

    resp = await api.get("/api/v1/people", params={"q": "jonas"})
    items = (await resp.json())["items"]
    assert [p["id"] for p in items] == [created["id"]]

    resp = await api.patch(f"/api/v1/people/{created['id']}", json={"time_zone": "Asia/Kolkata"})
    assert (await resp.json())["time_zone"] == "Asia/Kolkata"


async def test_requests_without_a_valid_key_are_refused(api: Any) -> None:
    resp = await api.get("/api/v1/people", headers={"Authorization": "Bearer pl_nope"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthenticated"


async def test_bad_input_gets_a_specific_4xx_and_changes_nothing(api: Any) -> None:
    cases: list[tuple[Any, str]] = [
        ({"email": "a@b.co"}, "invalid_input"),
        ({"name": "X", "time_zone": "Mars/Olympus"}, "unknown_time_zone"),
        ({"name": "X", "email": "not-an-email"}, "invalid_input"),
        ({"name": 42}, "invalid_input"),
        ([1, 2], "invalid_input"),
    ]
    for body, code in cases:
        resp = await api.post("/api/v1/people", json=body)
        assert resp.status == 400, body
        assert (await resp.json())["error"]["code"] == code
    resp = await api.post(
        "/api/v1/people", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    resp = await api.get("/api/v1/people")
    assert (await resp.json())["items"] == []


async def test_one_organisation_never_sees_another(api: Any, services: Any) -> None:
    other = await services.people.create_organisation("globex", "Globex")
    stranger = await services.people.add_person(other.id, "Hank Scorpio", "hank@globex.example")
    resp = await api.get(f"/api/v1/people/{stranger.id}")
    assert resp.status == 404
    resp = await api.patch(f"/api/v1/people/{stranger.id}", json={"name": "Pwned"})
    assert resp.status == 404
    again = await services.people.get_person(other.id, stranger.id)
    assert again.name == "Hank Scorpio"


async def test_health_readiness_metrics_and_openapi(api: Any) -> None:
    assert (await api.get("/healthz")).status == 200
    ready = await api.get("/readyz")
    assert (await ready.json())["database"] == "ok"
    doc = await (await api.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/people" in doc["paths"]
    text = await (await api.get("/metrics")).text()
    assert "peerlearn_http_requests_total" in text
