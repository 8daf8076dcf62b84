"""`POST /api/messages`: Bot Framework authentication, then the bot's turn.

We parse and authenticate ourselves (instead of `CloudAdapter.process`) so that malformed
requests get a 400, bad tokens a 401, and nothing the sender controls can cause a 500.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes

from bot.handler import ERROR_TYPE, PeerlearnBot

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024


@dataclass(frozen=True)
class BotAuth:
    """The Azure Bot registration. No `app_id` turns authentication off (local use only).

    The `*_url`/`token_issuer` overrides point token validation at another OpenID
    configuration (a sovereign cloud, or a local one in tests); empty means the public cloud.
    """

    app_id: str = ""
    app_password: str = ""
    app_type: str = "SingleTenant"
    tenant_id: str = ""
    openid_metadata_url: str = ""
    token_issuer: str = ""
    login_url: str = ""
    oauth_scope: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.app_id)

    def problems(self) -> list[str]:
        """What is missing for the chosen app type (empty when usable)."""
        if not self.app_id:
            return []
        kind = self.app_type.lower()
        missing = []
        if kind not in ("singletenant", "userassignedmsi", "multitenant"):
            missing.append("MICROSOFT_APP_TYPE must be SingleTenant or UserAssignedMSI")
        if kind == "singletenant" and not self.app_password:
            missing.append("MICROSOFT_APP_PASSWORD")
        if kind in ("singletenant", "userassignedmsi") and not self.tenant_id:
            missing.append("MICROSOFT_APP_TENANT_ID")
        return missing


class _Configuration:
    """The attribute bag botbuilder's configuration classes read."""

    def __init__(self, auth: BotAuth) -> None:
        self.APP_ID = auth.app_id or None
        self.APP_PASSWORD = auth.app_password or None
        self.APP_TYPE = auth.app_type if auth.app_id else "MultiTenant"
        self.APP_TENANTID = auth.tenant_id or None
        if auth.openid_metadata_url:
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = auth.openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = (
                auth.token_issuer or "https://api.botframework.com"
            )
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = (
                auth.oauth_scope or "https://api.botframework.com"
            )
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = auth.login_url or (
                f"https://login.microsoftonline.com/{auth.tenant_id or 'botframework.com'}"
            )


def _speed_up_connector_clients() -> None:
    """msrest builds every connector client's retry policy by testing 999 status codes against
    a 500-item *list* (about 10 ms of CPU per client, and botbuilder makes one per turn). The
    same codes as a frozenset give the same policy in microseconds."""
    from msrest.universal_http.requests import ClientRetryPolicy

    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]


def build_adapter(auth: BotAuth) -> CloudAdapter:
    _speed_up_connector_clients()
    problems = auth.problems()
    if problems:
        raise ValueError("Teams bot configuration incomplete: " + ", ".join(problems))
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(_Configuration(auth)))


class BotEndpoint:
    """The aiohttp handler for `/api/messages`."""

    def __init__(self, adapter: CloudAdapter, bot: PeerlearnBot) -> None:
        self.adapter = adapter
        self.bot = bot
        adapter.on_turn_error = self._on_turn_error

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _problem(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the activity as application/json"
            )
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _problem(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "activity too large")
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return _problem(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "activity too large")
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _problem(HTTPStatus.BAD_REQUEST, "the body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _problem(HTTPStatus.BAD_REQUEST, "an activity is a JSON object with a type")
        try:
            activity = Activity().deserialize(body)
        except Exception:  # noqa: BLE001 - msrest raises several unrelated types for bad shapes
            return _problem(HTTPStatus.BAD_REQUEST, "the activity is malformed")
        if not activity.type or not activity.service_url or activity.conversation is None:
            return _problem(
                HTTPStatus.BAD_REQUEST, "an activity needs a type, serviceUrl and conversation"
            )
        auth_header = request.headers.get("Authorization", "")
        try:
            authenticated = await self.adapter.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except Exception as exc:  # noqa: BLE001 - PermissionError, PyJWT, key lookups all mean "no"
            log.info("refused a bot request: %s", type(exc).__name__)
            return _problem(HTTPStatus.UNAUTHORIZED, "the Bot Framework token was not accepted")
        try:
            response = await self.adapter.process_activity(
                authenticated, activity, self.bot.on_turn
            )
        except Exception:
            log.exception("bot turn failed for a %s activity", activity.type)
            return _problem(HTTPStatus.INTERNAL_SERVER_ERROR, "the bot failed; it was logged")
        if isinstance(response, InvokeResponse):
            return web.json_response(_body(response.body), status=int(response.status))
        return web.Response(status=HTTPStatus.OK)

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        log.error("unhandled error in a bot turn", exc_info=error)
        activity = context.activity
        try:
            if activity.type == ActivityTypes.invoke:
                body: dict[str, Any] = {
                    "statusCode": 500,
                    "type": ERROR_TYPE,
                    "value": {"code": "internal", "message": "Something went wrong on our side."},
                }
                await context.send_activity(
                    Activity(
                        type=ActivityTypes.invoke_response,
                        value=InvokeResponse(
                            status=int(HTTPStatus.INTERNAL_SERVER_ERROR), body=body
                        ),
                    )
                )
            elif activity.type == ActivityTypes.message:
                await context.send_activity(
                    "Sorry, something went wrong on my side. It was logged; please try again."
                )
        except Exception:
            log.exception("could not tell the user about the error")


def _body(body: Any) -> Any:
    """Invoke bodies are msrest models or plain JSON values."""
    if body is None or isinstance(body, dict | list | str | int | float | bool):
        return body
    return serializer_helper(body)


def _problem(status: HTTPStatus, message: str) -> web.Response:
    return web.json_response(
        {"error": {"code": status.phrase.lower().replace(" ", "_"), "message": message}},
        status=int(status),
    )
