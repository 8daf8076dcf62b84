"""The whole app serving the LTI tool on 127.0.0.1, and a browser that keeps cookies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp.test_utils import unused_port

from app.bootstrap import build_services
from app.settings import Secret, Settings
from app.web import create_app
from core.clock import FixedClock
from core.lti.model import Platform
from core.services import Services


@dataclass
class Tool:
    url: str
    settings: Settings
    services: Services
    clock: FixedClock
    server: Any

    @property
    def launch_url(self) -> str:
        return self.url + "/lti/launch"


async def start_tool(database_url: str, aiohttp_server: Any) -> Tool:
    """The app with its public URL on a free local port; the clock is real time, frozen, since
    platforms sign with the real time."""
    port = unused_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=database_url, public_url=url, secret_key=Secret("lti-test-secret")
    )
    clock = FixedClock(datetime.now(UTC))
    services = build_services(settings, clock=clock)
    server = await aiohttp_server(create_app(settings, services), port=port)
    return Tool(url, settings, services, clock, server)


def browser() -> aiohttp.ClientSession:
    """A browser for 127.0.0.1 (an IP host needs an 'unsafe' cookie jar)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def register(tool: Tool, org: Any, platform: Any, name: str = "") -> Platform:
    """Register a local LMS (anything with `url`, `client_id` and `deployment_id`, serving
    /authorize, /token and /jwks) with the tool, as an admin would."""
    return await tool.services.lti.add_platform(
        org.id,
        issuer=platform.url,
        client_id=platform.client_id,
        auth_login_url=platform.url + "/authorize",
        auth_token_url=platform.url + "/token",
        key_set_url=platform.url + "/jwks",
        deployment_ids=[platform.deployment_id],
        name=name,
    )
