"""A local fake Bot Connector: what Teams' `serviceUrl` would receive from the bot.

It records every activity the bot sends and can answer with scripted failures (429 with or
without Retry-After, 5xx) to exercise backoff.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import web

PLAYGROUND = Path(__file__).parent / "data" / "teams_playground_activities.json"
TENANT = "11111111-2222-3333-4444-555555555555"
USER_AAD = "aaaaaaaa-0000-0000-0000-000000000001"
BOT_ID = "28:fixed-bot-id"


@dataclass
class Sent:
    method: str
    conversation_id: str
    reply_to: str | None
    activity: dict[str, Any]
    authorization: str | None

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class FakeConnector:
    sent: list[Sent] = field(default_factory=list)
    #: statuses to answer with before succeeding again: (status, Retry-After or None)
    failures: list[tuple[int, str | None]] = field(default_factory=list)
    attempts: int = 0
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def _send(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.failures:
            status, retry_after = self.failures.pop(0)
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "slow down"}},
                status=status,
                headers=headers,
            )
        body = await request.json()
        self.sent.append(
            Sent(
                request.method,
                unquote(request.match_info["conversation"]),
                request.match_info.get("activity"),
                body,
                request.headers.get("Authorization"),
            )
        )
        return web.json_response({"id": f"reply-{next(self._ids)}"})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._send)
        return app

    def messages(self) -> list[Sent]:
        return [s for s in self.sent if s.activity.get("type") == "message"]


def playground_activity(kind: str, service_url: str, **changes: Any) -> dict[str, Any]:
    """A real activity the Agents Playground sent, aimed at our fake connector."""
    for entry in json.loads(PLAYGROUND.read_text()):
        if entry["kind"] == kind:
            activity = copy.deepcopy(entry["activity"])
            activity["serviceUrl"] = service_url
            activity.update(changes)
            return activity
    raise KeyError(kind)


def invoke(name: str, value: Any, service_url: str, **changes: Any) -> dict[str, Any]:
    """An invoke shaped like Teams sends it from the personal chat."""
    activity = playground_activity("message/personal/False/False", service_url)
    for key in ("text", "textFormat"):
        activity.pop(key, None)
    activity.update({"type": "invoke", "name": name, "value": value, "id": f"invoke-{name}"})
    activity.update(changes)
    return activity
