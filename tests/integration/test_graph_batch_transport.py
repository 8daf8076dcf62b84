"""The `$batch` transport: one app token reused across batches (renewed when Graph refuses it or
it nears expiry), and every way a whole batch can fail classified per row, never raised."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from azure.core.credentials import AccessToken

from adapters.graph.batch import SubRequest, SubResponse, send_batch
from adapters.graph.client import GraphClient, GraphConfig, build_client
from core.delivery import DeliveryError, PermanentError, TransientError
from tests.fakes.fake_graph import FakeGraph

REQUESTS = [SubRequest("GET", f"/teams/t{i}/channels") for i in range(3)]


class CountingToken:
    """A credential that hands out numbered tokens valid for `lifetime` seconds."""

    def __init__(self, lifetime: float = 3600) -> None:
        self.issued = 0
        self.lifetime = lifetime

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.issued += 1
        return AccessToken(f"token-{self.issued}", int(time.time() + self.lifetime))

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> CountingToken:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class ScriptedGraph:
    """A server whose `$batch` answers are scripted per test (whole-batch failures)."""

    def __init__(self) -> None:
        self.answers: list[web.Response] = []
        self.tokens: list[str] = []
        self.base_url = ""

    async def _batch(self, request: web.Request) -> web.Response:
        self.tokens.append(request.headers.get("Authorization", ""))
        await request.read()
        return self.answers.pop(0)


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedGraph]:
    graph = ScriptedGraph()
    app = web.Application()
    app.router.add_post("/v1.0/$batch", graph._batch)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    graph.base_url = f"http://127.0.0.1:{port}/v1.0"
    yield graph
    await runner.cleanup()


def client_for(base_url: str, credential: CountingToken) -> GraphClient:
    return build_client(GraphConfig("t", "c", base_url=base_url, timeout=5), credential=credential)


async def test_one_token_serves_many_batches_and_all_answers_come_back_in_order() -> None:
    credential = CountingToken()
    async with FakeGraph() as graph:
        client = client_for(graph.base_url, credential)
        try:
            for _ in range(5):
                answers = await send_batch(client, REQUESTS)
                assert [type(a) for a in answers] == [SubResponse] * 3
        finally:
            await client.close()
    assert credential.issued == 1
    assert graph.http_requests == 5


async def test_a_token_near_its_expiry_is_renewed_before_use() -> None:
    credential = CountingToken(lifetime=60)  # inside the renewal margin from the start
    async with FakeGraph() as graph:
        client = client_for(graph.base_url, credential)
        try:
            await send_batch(client, REQUESTS)
            await send_batch(client, REQUESTS)
        finally:
            await client.close()
    assert credential.issued == 2


async def test_whole_batch_failures_are_classified_per_row(scripted: ScriptedGraph) -> None:
    throttled = {"error": {"code": "TooManyRequests", "message": "Slow down."}}
    scripted.answers = [
        web.json_response(throttled, status=429, headers={"Retry-After": "3"}),
        web.json_response({"error": {"code": "BadRequest", "message": "No."}}, status=400),
        web.Response(status=200, body=b"<html>gateway</html>"),
        web.json_response({"responses": [{"id": "1", "status": 204}]}),
    ]
    client = client_for(scripted.base_url, CountingToken())
    try:
        throttled_answers = await send_batch(client, REQUESTS)
        bad = await send_batch(client, REQUESTS)
        garbled = await send_batch(client, REQUESTS)
        partial = await send_batch(client, REQUESTS)
    finally:
        await client.close()
    assert all(isinstance(a, TransientError) and a.retry_after == 3 for a in throttled_answers)
    assert all(isinstance(a, PermanentError) and "BadRequest" in a.reason for a in bad)
    assert all(isinstance(a, TransientError) for a in garbled)
    assert isinstance(partial[1], SubResponse) and partial[1].status == 204
    assert isinstance(partial[0], TransientError) and isinstance(partial[2], TransientError)


async def test_a_refused_token_is_dropped_and_a_new_one_fetched(scripted: ScriptedGraph) -> None:
    expired = {"error": {"code": "InvalidAuthenticationToken", "message": "Token expired."}}
    scripted.answers = [
        web.json_response({"responses": [{"id": str(i), "status": 200} for i in range(3)]}),
        web.json_response(expired, status=401),
        web.json_response({"responses": [{"id": str(i), "status": 200} for i in range(3)]}),
    ]
    credential = CountingToken()
    client = client_for(scripted.base_url, credential)
    try:
        await send_batch(client, REQUESTS)
        refused = await send_batch(client, REQUESTS)
        await send_batch(client, REQUESTS)
    finally:
        await client.close()
    assert all(isinstance(a, TransientError) for a in refused)
    assert scripted.tokens == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]


async def test_an_unreachable_graph_is_a_transient_failure_for_every_row() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = client_for(f"http://127.0.0.1:{port}/v1.0", CountingToken())
    try:
        answers: list[SubResponse | DeliveryError] = await send_batch(client, REQUESTS)
    finally:
        await client.close()
    assert all(isinstance(a, TransientError) and "unreachable" in a.reason for a in answers)
