"""Turning Graph failures into the outbox's classified delivery errors."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Any

import aiohttp
import httpx
from kiota_abstractions.api_error import APIError

from core.delivery import DeliveryError, PermanentError, SkippedError, TransientError

#: statuses worth retrying: throttled, timed out, the service having a bad moment
TRANSIENT_STATUSES = {408, 429, 500, 502, 503, 504}


def retry_after(headers: Any) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date), if any."""
    if not headers:
        return None
    value = None
    for key in headers:
        if str(key).lower() == "retry-after":
            value = headers[key]
            break
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def classify(status: int | None, code: str, message: str, headers: Any = None) -> DeliveryError:
    """One Graph answer (status, OData error code and message) → transient, permanent or skipped."""
    reason = f"graph {status}: {code or 'error'}: {message}".strip()
    if status is None or status in TRANSIENT_STATUSES or status == 401:
        return TransientError(reason, retry_after(headers))
    if status == 403 and "licen" in message.lower():
        return SkippedError(f"no licence: {message}")
    return PermanentError(reason)


def from_exception(exc: BaseException) -> DeliveryError:
    """Classify what an SDK call raised."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, APIError):
        code, message = _odata_parts(exc)
        return classify(exc.response_status_code, code, message, exc.response_headers)
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"graph timed out: {type(exc).__name__}")
    if isinstance(exc, httpx.TransportError):
        return TransientError(f"graph unreachable: {type(exc).__name__}: {exc}")
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return TransientError(f"graph timed out: {type(exc).__name__}")
    if isinstance(exc, aiohttp.ClientError):
        return TransientError(f"graph unreachable: {type(exc).__name__}: {exc}")
    if isinstance(exc, ValueError | TypeError | KeyError | AttributeError):
        # the answer could not be read (missing fields, unexpected values)
        return TransientError(f"graph answer not understood: {type(exc).__name__}: {exc}")
    return TransientError(f"graph call failed: {type(exc).__name__}: {exc}")


def _odata_parts(exc: APIError) -> tuple[str, str]:
    error = getattr(exc, "error", None)
    code = str(getattr(error, "code", "") or "")
    message = str(getattr(error, "message", "") or exc.message or "")
    return code, message


def from_sub_response(status: int, headers: Any, body: Any) -> DeliveryError:
    """Classify a failed `$batch` sub-response."""
    error = body.get("error") if isinstance(body, dict) else None
    code = str(error.get("code", "")) if isinstance(error, dict) else ""
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    return classify(status, code, message, headers)
