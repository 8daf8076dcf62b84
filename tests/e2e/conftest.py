"""A course on the lti1p3platform platform (PyPI `lti1p3platform`) and the tool, both over HTTP on
127.0.0.1, with the platform registered and two learners' browsers. Test modules that launch
from another platform define their own `platform`, `tool` and `registration`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.lti.model import Platform
from tests.fakes.lti1p3_platform import Lti1p3Platform
from tests.fakes.lti_course import User
from tests.fakes.lti_tool import Tool, register, start_tool


@pytest.fixture
async def platform(aiohttp_server: Any) -> Lti1p3Platform:
    p = Lti1p3Platform()
    server = await aiohttp_server(p.app())
    p.url = str(server.make_url("")).rstrip("/")
    return p


@pytest.fixture
async def tool(database_url: str, aiohttp_server: Any, platform: Lti1p3Platform) -> Tool:
    t = await start_tool(database_url, aiohttp_server)
    platform.tool_url = t.url
    return t


@pytest.fixture
async def registration(tool: Tool, platform: Lti1p3Platform, org: Any) -> Platform:
    return await register(tool, org, platform, "lti1p3platform")


@pytest.fixture
async def ada(tool: Tool, platform: Lti1p3Platform, registration: Platform) -> AsyncIterator[User]:
    user = User(tool, platform, "u-ada")
    yield user
    await user.browser.close()


@pytest.fixture
async def grace(
    tool: Tool, platform: Lti1p3Platform, registration: Platform
) -> AsyncIterator[User]:
    user = User(tool, platform, "u-grace")
    yield user
    await user.browser.close()
