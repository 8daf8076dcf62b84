"""The aiohttp application factory: health, metrics, the JSON API, the bot and the LTI tool."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import Any

from aiohttp import web

import api.communities
import api.experts
import api.officehours
import api.people
from adapters.db import lifecycle
from api import openapi
from api.http import api_auth, api_errors, services_key
from app.lti_tool import mount_lti
from app.metrics import Metrics
from app.settings import Settings
from app.teams import mount_teams_bot
from core.services import Services

log = logging.getLogger(__name__)

settings_key = web.AppKey("settings", Settings)
metrics_key = web.AppKey("metrics", Metrics)

#: every JSON API module exposes `routes` (a RouteTableDef) and `OPENAPI` (path items)
API_MODULES: list[ModuleType] = [api.people, api.communities, api.officehours, api.experts]


def app_version() -> str:
    try:
        return version("peerlearn")
    except PackageNotFoundError:
        return "0.0.0"


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    if await lifecycle.ping():
        return web.json_response({"status": "ready", "database": "ok"})
    return web.json_response({"status": "not ready", "database": "unreachable"}, status=503)


async def metrics(request: web.Request) -> web.Response:
    await request.app[metrics_key].refresh(request.app[services_key])
    return request.app[metrics_key].render()


async def openapi_json(request: web.Request) -> web.Response:
    paths: dict[str, Any] = {}
    for module in API_MODULES:
        paths.update(module.OPENAPI)
    return web.json_response(openapi.document(paths, app_version()))


def create_app(
    settings: Settings, services: Services, *, manage_db: bool = False
) -> web.Application:
    """Build the web app. With `manage_db` the app connects and closes the database itself."""
    app_metrics = Metrics()
    app = web.Application(
        middlewares=[app_metrics.middleware(), api_errors, api_auth],
        client_max_size=1024 * 1024,
    )
    app[settings_key] = settings
    app[services_key] = services
    app[metrics_key] = app_metrics
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/openapi.json", openapi_json)
    for module in API_MODULES:
        app.router.add_routes(module.routes)
    mount_lti(app, settings, services)
    mount_teams_bot(app, settings, services)

    if manage_db:

        async def database(_: web.Application) -> AsyncIterator[None]:
            await lifecycle.connect(
                settings.database_url, sqlite_synchronous=settings.sqlite_synchronous
            )
            yield
            await lifecycle.close()

        app.cleanup_ctx.append(database)
    return app
