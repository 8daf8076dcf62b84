"""The fake Graph refuses what real Graph refuses, so adapter tests against it mean something:
bodies checked against the v1.0 schema (property names in either casing), batch limits, auth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fakes.fake_graph import FakeGraph

AUTH = {"Authorization": "Bearer test"}


@pytest.fixture
async def graph() -> AsyncIterator[tuple[FakeGraph, httpx.AsyncClient]]:
    async with FakeGraph() as fake, httpx.AsyncClient(base_url=fake.base_url, headers=AUTH) as http:
        yield fake, http


async def _event(http: httpx.AsyncClient) -> str:
    answer = await http.post(
        "/users/sme@acme.example/events",
        json={
            "subject": "Office hours",
            "start": {"dateTime": "2026-03-24T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-24T09:30:00", "timeZone": "UTC"},
        },
    )
    assert answer.status_code == 201
    return str(answer.json()["id"])


@pytest.mark.parametrize("field", ["Comment", "comment"])
async def test_action_parameters_are_accepted_in_pascal_case_and_camel_case(
    graph: tuple[FakeGraph, httpx.AsyncClient], field: str
) -> None:
    fake, http = graph
    event_id = await _event(http)
    answer = await http.post(
        f"/users/sme@acme.example/events/{event_id}/cancel", json={field: "ill"}
    )
    assert answer.status_code == 202
    assert fake.events[event_id]["cancelComment"] == "ill"


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "x", "isOnlineMeeting": "yes"},
        {"subject": "x", "onlineMeetingProvider": "zoom"},
        {"subject": "x", "meetingLink": "https://example.com"},
        {"subject": "x", "attendees": [{"emailAddress": {"address": "a@b.c"}, "type": "vip"}]},
    ],
)
async def test_bodies_real_graph_would_refuse_get_an_odata_400(
    graph: tuple[FakeGraph, httpx.AsyncClient], body: dict[str, Any]
) -> None:
    fake, http = graph
    answer = await http.post("/users/sme@acme.example/events", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "BadRequest" and error["innerError"]["request-id"]
    assert fake.events == {}


async def test_a_batch_holds_at_most_twenty_requests_and_answers_each_by_id(
    graph: tuple[FakeGraph, httpx.AsyncClient],
) -> None:
    _, http = graph
    too_many = [{"id": str(i), "method": "GET", "url": "/teams/t/channels"} for i in range(21)]
    assert (await http.post("/$batch", json={"requests": too_many})).status_code == 400
    answer = await http.post("/$batch", json={"requests": too_many[:3]})
    assert sorted(r["id"] for r in answer.json()["responses"]) == ["0", "1", "2"]


async def test_requests_without_a_token_are_refused(
    graph: tuple[FakeGraph, httpx.AsyncClient],
) -> None:
    fake, _ = graph
    async with httpx.AsyncClient(base_url=fake.base_url) as anonymous:
        answer = await anonymous.get("/teams/t/channels")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "InvalidAuthenticationToken"


async def test_throttling_answers_carry_retry_after(
    graph: tuple[FakeGraph, httpx.AsyncClient],
) -> None:
    fake, http = graph
    fake.fail_next(1, 429, "17")
    answer = await http.get("/teams/t/channels")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "17"
    assert (await http.get("/teams/t/channels")).status_code == 200
