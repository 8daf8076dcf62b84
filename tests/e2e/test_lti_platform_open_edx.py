"""End to end over HTTP on 127.0.0.1 from a second real platform implementation: Open edX's
LTI 1.3 consumer (lti-consumer-xblock) launches the tool and validates its deep linking answer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.lti.model import Platform
from tests.fakes.edx_platform import EdxPlatform
from tests.fakes.lti_tool import Tool, browser, register, start_tool


@pytest.fixture
async def edx(aiohttp_server: Any) -> EdxPlatform:
    p = EdxPlatform()
    server = await aiohttp_server(p.app())
    p.url = str(server.make_url("")).rstrip("/")
    return p


@pytest.fixture
async def tool(database_url: str, aiohttp_server: Any, edx: EdxPlatform, org: Any) -> Tool:
    t = await start_tool(database_url, aiohttp_server)
    edx.tool_url = t.url
    return t


@pytest.fixture
async def registration(tool: Tool, edx: EdxPlatform, org: Any) -> Platform:
    return await register(tool, org, edx, "Open edX")


@pytest.fixture
async def session() -> AsyncIterator[Any]:
    b = browser()
    yield b
    await b.close()


async def _launch(
    b: Any, tool: Tool, edx: EdxPlatform, user: str, deep_linking: bool = False
) -> tuple[str, str]:
    async with b.get(edx.login_url(user, deep_linking), allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        authorize = resp.headers["Location"]
    async with b.get(authorize) as resp:
        form = await resp.json()
        assert resp.status == 200, form
    async with b.post(
        form["launch_url"],
        data={"id_token": form["id_token"], "state": form["state"]},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 200, await resp.text()
        return tool.url + resp.headers["Content-Location"], await resp.text()


async def test_open_edx_launches_a_learner_into_the_course_page(
    session: Any, tool: Tool, edx: EdxPlatform, registration: Platform
) -> None:
    _, html = await _launch(session, tool, edx, "edx-ada")
    assert "Data Literacy (Open edX)" in html
    assert "Ada Lovelace" in html and "Learner" in html


async def test_open_edx_accepts_the_tools_deep_linking_answer(
    session: Any, tool: Tool, edx: EdxPlatform, registration: Platform
) -> None:
    page_url, html = await _launch(session, tool, edx, "edx-grace", deep_linking=True)
    assert "Add peerlearn to" in html
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert csrf
    async with session.post(
        page_url + "/deep-link",
        data={
            "csrf": csrf.group(1),
            "kind": "directory",
            "title": "Find a data expert",
            "topics": "SQL",
        },
    ) as resp:
        answer = await resp.text()
    action = re.search(r'action="([^"]+)"', answer)
    token = re.search(r'name="JWT" value="([^"]+)"', answer)
    assert action and token and action.group(1) == edx.url + "/deep-link-return"
    async with session.post(action.group(1), data={"JWT": token.group(1)}) as resp:
        assert resp.status == 200, await resp.text()
    (item,) = edx.deep_link_items
    assert item["type"] == "ltiResourceLink" and item["title"] == "Find a data expert"
    assert item["url"] == tool.launch_url


async def test_a_launch_replayed_to_another_browser_is_refused(
    tool: Tool, edx: EdxPlatform, registration: Platform
) -> None:
    async with browser() as first, browser() as thief:
        async with first.get(edx.login_url("edx-ada"), allow_redirects=False) as resp:
            authorize = resp.headers["Location"]
        async with first.get(authorize) as resp:
            form = await resp.json()
        async with thief.post(
            form["launch_url"],
            data={"id_token": form["id_token"], "state": form["state"]},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 403
