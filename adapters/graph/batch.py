"""`$batch`: up to 20 Graph requests in one HTTP call, sent as our own JSON body through the SDK's
request adapter (the SDK's batch support is broken in the pinned version). Throttled or failed
sub-requests come back as classified errors so the outbox re-queues just those rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.graph.client import GraphClient
from adapters.graph.errors import from_exception, from_sub_response
from core.delivery import DeliveryError, TransientError

MAX_BATCH = 20


@dataclass(frozen=True)
class SubRequest:
    method: str
    url: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubResponse:
    status: int
    headers: dict[str, str]
    body: Any


async def send_batch(
    client: GraphClient, requests: list[SubRequest]
) -> list[SubResponse | DeliveryError]:
    """Send the requests (≤ 20) as one `$batch`; one answer per request, in order."""
    if not 1 <= len(requests) <= MAX_BATCH:
        raise ValueError(f"a $batch holds 1 to {MAX_BATCH} requests")
    items = []
    for index, request in enumerate(requests):
        item: dict[str, Any] = {"id": str(index), "method": request.method, "url": request.url}
        headers = dict(request.headers)
        if request.body is not None:
            item["body"] = request.body
            headers.setdefault("Content-Type", "application/json")
        if headers:
            item["headers"] = headers
        items.append(item)
    try:
        answer = await client.send_json("POST", "/$batch", {"requests": items})
    except Exception as exc:  # noqa: BLE001 - every failure is classified for the outbox
        error = from_exception(exc)
        return [error] * len(requests)
    by_id: dict[str, SubResponse] = {}
    for response in (answer or {}).get("responses") or []:
        if not isinstance(response, dict) or "id" not in response:
            continue
        try:
            status = int(response.get("status") or 0)
        except (TypeError, ValueError):
            continue
        headers = response.get("headers") or {}
        by_id[str(response["id"])] = SubResponse(
            status, headers if isinstance(headers, dict) else {}, response.get("body")
        )
    results: list[SubResponse | DeliveryError] = []
    for index in range(len(requests)):
        sub = by_id.get(str(index))
        if sub is None:
            results.append(TransientError("graph $batch answer left this request out"))
        elif sub.status >= 400:
            results.append(from_sub_response(sub.status, sub.headers, sub.body))
        else:
            results.append(sub)
    return results
