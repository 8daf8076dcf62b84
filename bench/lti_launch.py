"""Full LTI launches per second (login + launch + first page) through peerlearn, against a
minimal stock pylti1p3 launch handler measured in the same run, over real HTTP on 127.0.0.1.

Both are driven by the same platform (its own RSA key, JWKS served locally, every id_token freshly
signed). The baseline is what the pylti1p3 documentation shows: ToolConfDict, an in-memory
session storage, JWKS key caching on, no checks beyond the library's, and a one-line page. peerlearn
does everything it does in production: registrations, one-time login state and nonce, and the
session in the database (SQLite file), the extra claim checks, person resolution, the page with
the course's experts. The two tools take turns in short rounds, so that load from other processes
on a shared machine weighs on both alike. The script also counts each tool's fetches of the
platform's JWKS (one per key is the goal) and prints the load average.

    python -m bench.lti_launch [--launches 200] [--concurrency 4] [--postgres postgres://…]
                               [--sqlite-synchronous normal|full|off|extra]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web
from aiohttp.test_utils import unused_port
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfDict

from adapters.db import lifecycle
from app.bootstrap import build_services
from app.settings import Secret, Settings
from app.web import create_app
from lti.glue import AiohttpCookieService, AiohttpRedirect, AiohttpRequest
from tests.databases import PostgresDatabase
from tests.fakes.lti_forger import Forger

CLIENT = "bench-client"


class MemoryStorage(LaunchDataStorage[Any]):
    """The baseline's storage: one process-wide dict."""

    data: ClassVar[dict[str, Any]] = {}

    def can_set_keys_expiration(self) -> bool:
        return False

    def get_value(self, key: str) -> Any:
        return self.data.get(key)

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self.data[key] = value

    def check_value(self, key: str) -> bool:
        return key in self.data


class BaselineLogin(OIDCLogin[Any, Any, Any, Any, Any]):
    def get_redirect(self, url: str) -> AiohttpRedirect:
        return AiohttpRedirect(url, self._cookie_service)


class BaselineLaunch(MessageLaunch[Any, Any, Any, Any]):
    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)


def baseline_app(issuer: str, tool_url: str) -> web.Application:
    """A minimal stock pylti1p3 tool on aiohttp."""
    conf = ToolConfDict(
        {
            issuer: [
                {
                    "default": True,
                    "client_id": CLIENT,
                    "auth_login_url": issuer + "/auth",
                    "auth_token_url": issuer + "/token",
                    "key_set_url": issuer + "/jwks",
                    "deployment_ids": ["dep-1"],
                }
            ]
        }
    )
    cache = MemoryStorage()

    def services(req: AiohttpRequest) -> tuple[SessionService, AiohttpCookieService]:
        session = SessionService(req)
        session.set_data_storage(MemoryStorage())
        return session, AiohttpCookieService(req, path="/")

    async def login(request: web.Request) -> web.StreamResponse:
        req = await AiohttpRequest.read(request, False)
        session, cookies = services(req)
        oidc = BaselineLogin(req, conf, session, cookies)
        return oidc.get_redirect_object(tool_url + "/launch").do_redirect()

    async def launch(request: web.Request) -> web.StreamResponse:
        req = await AiohttpRequest.read(request, False)
        session, cookies = services(req)
        message = BaselineLaunch(req, conf, session_service=session, cookie_service=cookies)
        message.set_public_key_caching(cache)
        claims = await asyncio.to_thread(message.get_launch_data)
        return web.Response(text=f"<p>Hello {claims.get('name')}</p>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/login", login)
    app.router.add_post("/launch", launch)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    port = unused_port()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


Flow = Callable[[aiohttp.ClientSession], Awaitable[None]]


def flow(forger: Forger, login_url: str, launch_url: str, target: str, follow: bool) -> Flow:
    async def one(browser: aiohttp.ClientSession) -> None:
        async with browser.get(
            login_url,
            params={
                "iss": forger.url,
                "login_hint": "u",
                "target_link_uri": target,
                "client_id": CLIENT,
            },
            allow_redirects=False,
        ) as resp:
            assert resp.status == 302, await resp.text()
            q = {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["Location"]).query).items()}
        claims = forger.claims(issuer=forger.url, client_id=CLIENT, nonce=q["nonce"], target=target)
        token = forger.sign(claims)
        async with browser.post(
            launch_url, data={"id_token": token, "state": q["state"]}, allow_redirects=follow
        ) as resp:
            assert resp.status == 200, await resp.text()
            await resp.read()

    return one


class Side:
    """One side of the comparison: its browsers (kept across rounds), time and latencies."""

    def __init__(self, name: str, one: Flow, concurrency: int) -> None:
        self.name, self.one = name, one
        self.browsers = [
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            for _ in range(concurrency)
        ]
        self.elapsed = 0.0
        self.launches = 0
        self.latencies: list[float] = []
        self.jwks_fetches = 0

    async def run(self, launches: int, record: bool = True) -> None:
        queue = list(range(launches))
        latencies: list[float] = []

        async def worker(b: aiohttp.ClientSession) -> None:
            while queue:
                queue.pop()
                t0 = time.perf_counter()
                await self.one(b)
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(worker(b) for b in self.browsers))
        if record:
            self.elapsed += time.perf_counter() - start
            self.launches += launches
            self.latencies.extend(latencies)

    async def close(self) -> None:
        for b in self.browsers:
            await b.close()


async def compare(
    sides: list[Side], launches: int, fetches: Callable[[], int], rounds: int = 10
) -> None:
    """Warm up, then alternate the sides in short rounds: load from other processes on a
    shared machine then weighs on both alike instead of on whichever ran second. `fetches`
    reads the platform's JWKS fetch counter (attributed to the side that was running)."""
    per_round = max(1, launches // rounds)
    for i in range(rounds + 1):
        for side in sides:
            before = fetches()
            await side.run(2 * len(side.browsers) if i == 0 else per_round, record=i > 0)
            side.jwks_fetches += fetches() - before


async def main(
    launches: int, concurrency: int, postgres: str | None = None, synchronous: str = "normal"
) -> None:
    forger = Forger()
    platform_runner, forger.url = await serve(forger.app())
    with tempfile.TemporaryDirectory() as tmp:
        pg = PostgresDatabase(postgres, label="peerlearn_bench") if postgres else None
        if pg is not None:
            await asyncio.to_thread(pg.create)
            url = pg.url
        else:
            url = f"sqlite://{Path(tmp) / 'bench.db'}"
        await lifecycle.upgrade(url, sqlite_synchronous=synchronous)
        await lifecycle.connect(url, sqlite_synchronous=synchronous)
        port = unused_port()
        tool_url = f"http://127.0.0.1:{port}"
        settings = Settings(
            database_url=url,
            public_url=tool_url,
            secret_key=Secret("bench"),
            sqlite_synchronous=synchronous,
        )
        services = build_services(settings)
        org = await services.people.create_organisation("bench", "Bench Org")
        await services.lti.add_platform(
            org.id,
            issuer=forger.url,
            client_id=CLIENT,
            auth_login_url=forger.url + "/auth",
            auth_token_url=forger.url + "/token",
            key_set_url=forger.url + "/jwks",
            deployment_ids=["dep-1"],
        )
        runner = web.AppRunner(create_app(settings, services), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        base_port = unused_port()
        base_url = f"http://127.0.0.1:{base_port}"
        base_runner, _ = await _serve_on(baseline_app(forger.url, base_url), base_port)
        try:
            ours = flow(
                forger,
                tool_url + "/lti/login",
                tool_url + "/lti/launch",
                tool_url + "/lti/launch",
                True,
            )
            theirs = flow(
                forger, base_url + "/login", base_url + "/launch", base_url + "/launch", False
            )
            sides = [
                Side("minimal pylti1p3 handler", theirs, concurrency),
                Side("peerlearn", ours, concurrency),
            ]
            try:
                await compare(sides, launches, lambda: forger.jwks_fetches)
            finally:
                for side in sides:
                    await side.close()
            print(
                f"{sides[0].launches} full launches each (login + launch + page), {concurrency} "
                "browsers at a time, the two tools alternating in 10 rounds"
            )
            for side in sides:
                rate = side.launches / side.elapsed
                p50 = statistics.median(side.latencies) * 1000
                print(
                    f"  {side.name:26} {rate:7.1f} launches/s   median {p50:6.1f} ms"
                    f"   JWKS fetches {side.jwks_fetches}"
                )
            ratio = (sides[1].elapsed / sides[1].launches) / (sides[0].elapsed / sides[0].launches)
            print(f"  peerlearn / baseline time per launch: {ratio:.2f}x")
            load = os.getloadavg()
            print(f"  load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
            db = "PostgreSQL" if pg else f"SQLite, synchronous={synchronous}"
            print(f"  ({db}; Python {sys.version.split()[0]}; one platform key, fetched once)")
        finally:
            await runner.cleanup()
            await base_runner.cleanup()
            await platform_runner.cleanup()
            await lifecycle.close()
            if pg is not None:
                await asyncio.to_thread(pg.drop)


async def _serve_on(app: web.Application, port: int) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--postgres", default=None, help="a PostgreSQL server URL (a fresh database is made)"
    )
    parser.add_argument(
        "--sqlite-synchronous", default="normal", choices=("off", "normal", "full", "extra")
    )
    args = parser.parse_args()
    asyncio.run(main(args.launches, args.concurrency, args.postgres, args.sqlite_synchronous))
