"""Shared HTTP plumbing for the JSON API: keys, body parsing, errors, pagination."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from aiohttp import web

from core.errors import InvalidInput, PeerlearnError, Unauthenticated
from core.ids import parse_id
from core.people.model import Organisation
from core.services import Services

log = logging.getLogger(__name__)

services_key = web.AppKey("services", Services)
org_key = web.RequestKey("organisation", Organisation)
MAX_BODY = 256 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BodyTooLarge(InvalidInput):
    code = "too_large"
    status = 413


def error_response(status: int, code: str, message: str, **details: Any) -> web.Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = {k: v for k, v in details.items() if _jsonable(v)}
    return web.json_response(body, status=status)


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure under /api becomes `{"error": {"code", "message"}}`; never a stack trace."""
    if not request.path.startswith("/api/v1"):
        return await handler(request)
    try:
        return await handler(request)
    except PeerlearnError as exc:
        return error_response(exc.status, exc.code, exc.message, **exc.details)
    except web.HTTPException as exc:
        if exc.status >= 400:
            code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
                exc.status, "http_error"
            )
            return error_response(exc.status, code, exc.reason)
        raise
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal", "something went wrong on our side; it was logged")


@web.middleware
async def api_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Per-organisation API keys: `Authorization: Bearer pl_…` or `X-Api-Key: pl_…`."""
    if not request.path.startswith("/api/v1") or request.path == "/api/v1/openapi.json":
        return await handler(request)
    header = request.headers.get("Authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
    secret = secret or request.headers.get("X-Api-Key", "").strip()
    if not secret:
        raise Unauthenticated("send your API key as 'Authorization: Bearer <key>'")
    org = await request.app[services_key].people.authenticate_api_key(secret)
    request[org_key] = org
    return await handler(request)


def organisation(request: web.Request) -> Organisation:
    org: Organisation = request[org_key]
    return org


def services(request: web.Request) -> Services:
    return request.app[services_key]


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or a clear 4xx."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BodyTooLarge(f"request body is larger than {MAX_BODY // 1024} KB")
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise BodyTooLarge(f"request body is larger than {MAX_BODY // 1024} KB")
    if not raw:
        raise InvalidInput("a JSON object body is required")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return data


def path_id(request: web.Request, name: str) -> UUID:
    return parse_id(request.match_info[name], name)


def field(
    data: dict[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    required: bool = True,
    default: Any = None,
) -> Any:
    """Typed access to a JSON field with a clear message on a missing or mistyped value."""
    if name not in data or data[name] is None:
        if required:
            raise InvalidInput(f"'{name}' is required")
        return default
    value = data[name]
    if kind is int and isinstance(value, bool):
        raise InvalidInput(f"'{name}' must be an integer")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InvalidInput(f"'{name}' must be of type {names}")
    return value


def query_int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"query parameter '{name}' must be an integer") from None
    if not lo <= value <= hi:
        raise InvalidInput(f"query parameter '{name}' must be between {lo} and {hi}")
    return value
