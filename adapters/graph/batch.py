"""`$batch`: up to 20 Graph requests in one HTTP call, sent as our own JSON body, encoded once, over
the client's lean session (the SDK's batch support is broken in the pinned version, and its
middleware chain costs more CPU than the batch itself). Throttled or failed sub-requests come back
as classified errors so the outbox re-queues just those rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from adapters.graph.client import GraphClient
from adapters.graph.errors import classify, from_exception, from_sub_response
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
    body = json.dumps({"requests": items}, separators=(",", ":")).encode()
    try:
        status, headers, answer = await client.post_json_bytes("/$batch", body)
    except Exception as exc:  # noqa: BLE001 - every failure is classified for the outbox
        error = from_exception(exc)
        return [error] * len(requests)
    if status >= 400:
        error = from_sub_response(status, headers, answer)
        return [error] * len(requests)
    if not isinstance(answer, dict):
        error = classify(None, "BadResponse", "graph $batch answer is not a JSON object")
        return [error] * len(requests)
    by_id: dict[str, SubResponse] = {}
    for response in answer.get("responses") or []:
        if not isinstance(response, dict) or "id" not in response:
            continue
        try:
            sub_status = int(response.get("status") or 0)
        except (TypeError, ValueError):
            continue
        sub_headers = response.get("headers") or {}
        by_id[str(response["id"])] = SubResponse(
            sub_status, sub_headers if isinstance(sub_headers, dict) else {}, response.get("body")
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
