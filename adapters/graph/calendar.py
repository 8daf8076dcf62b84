"""`CalendarSync` on Microsoft Graph: booking events with a Teams meeting on the expert's calendar.

One operation is one request through the SDK's adapter; several go out as `$batch` requests of up
to 20.
Creates carry `transactionId` = outbox row id, so a replayed create never makes a second event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from msgraph.generated.users.item.events.item.cancel.cancel_post_request_body import (
    CancelPostRequestBody,
)

from adapters.graph.batch import MAX_BATCH, SubRequest, SubResponse, send_batch
from adapters.graph.client import GraphClient
from adapters.graph.errors import from_exception
from core.calendar import CalendarEventSpec, CalendarOp, CancelEvent, EventRef, UpsertEvent
from core.delivery import DeliveryError, SkippedError, TransientError

log = logging.getLogger(__name__)


def _when(spec_time: Any) -> dict[str, str]:
    return {"dateTime": spec_time.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def event_json(spec: CalendarEventSpec, transaction_id: str | None) -> dict[str, Any]:
    """The Graph event body (camelCase JSON) for a create (with transaction id) or an update."""
    body: dict[str, Any] = {
        "subject": spec.subject,
        "body": {"contentType": "text", "content": spec.body},
        "start": _when(spec.start),
        "end": _when(spec.end),
        "attendees": [
            {"emailAddress": {"address": a.email, "name": a.name or a.email}, "type": "required"}
            for a in spec.attendees
        ],
        "allowNewTimeProposals": False,
    }
    if spec.location:
        body["location"] = {"displayName": spec.location}
    if spec.online:
        # once a meeting is online it stays online: never send isOnlineMeeting=false
        body["isOnlineMeeting"] = True
        body["onlineMeetingProvider"] = "teamsForBusiness"
    if transaction_id:
        body["transactionId"] = transaction_id
    return body


def _user(email: str) -> str:
    return quote(email, safe="@")


def _ref_from_json(body: Any) -> EventRef | DeliveryError:
    if not isinstance(body, dict) or not body.get("id"):
        return TransientError("graph answered without an event id")
    meeting = body.get("onlineMeeting")
    join = meeting.get("joinUrl") if isinstance(meeting, dict) else None
    return EventRef(str(body["id"]), str(body.get("iCalUId") or ""), str(join or ""))


class GraphCalendar:
    """Graph implementation of `core.calendar.CalendarSync`."""

    def __init__(self, client: GraphClient, *, use_batch: bool = True) -> None:
        self._client = client
        self._use_batch = use_batch

    async def apply(self, ops: Sequence[CalendarOp]) -> list[EventRef | DeliveryError]:
        if len(ops) > 1 and self._use_batch:
            results: list[EventRef | DeliveryError] = []
            for i in range(0, len(ops), MAX_BATCH):
                results.extend(await self._batch(ops[i : i + MAX_BATCH]))
            return results
        return [await self._one(op) for op in ops]

    async def _one(self, op: CalendarOp) -> EventRef | DeliveryError:
        try:
            if isinstance(op, CancelEvent):
                # the typed SDK call: its action body goes out in the CSDL's PascalCase
                await (
                    self._client.sdk.users.by_user_id(op.organizer_email)
                    .events.by_event_id(op.event_id)
                    .cancel.post(CancelPostRequestBody(comment=op.comment))
                )
                return EventRef(op.event_id)
            # creates and updates send our JSON through the SDK's adapter and read the answer
            # as JSON: the SDK's typed Event deserialisation costs ~40 ms of CPU per event
            request = self._sub_request(op)
            answer = await self._client.send_json(request.method, request.url, request.body)
            return _ref_from_json(answer)
        except Exception as exc:  # noqa: BLE001 - every failure is classified for the outbox
            return self._cancel_gone(op, from_exception(exc), exc)

    async def _batch(self, ops: Sequence[CalendarOp]) -> list[EventRef | DeliveryError]:
        requests = [self._sub_request(op) for op in ops]
        answers = await send_batch(self._client, requests)
        results: list[EventRef | DeliveryError] = []
        for op, answer in zip(ops, answers, strict=True):
            if isinstance(answer, DeliveryError):
                results.append(self._cancel_gone(op, answer, None))
            elif isinstance(op, CancelEvent):
                results.append(EventRef(op.event_id))
            else:
                results.append(_ref_from_json(answer.body))
        return results

    def _sub_request(self, op: CalendarOp) -> SubRequest:
        if isinstance(op, CancelEvent):
            url = f"/users/{_user(op.organizer_email)}/events/{quote(op.event_id)}/cancel"
            return SubRequest("POST", url, {"Comment": op.comment})
        base = f"/users/{_user(op.spec.organizer_email)}/events"
        if op.event_id:
            return SubRequest("PATCH", f"{base}/{quote(op.event_id)}", event_json(op.spec, None))
        assert isinstance(op, UpsertEvent)
        return SubRequest("POST", base, event_json(op.spec, op.transaction_id))

    @staticmethod
    def _cancel_gone(
        op: CalendarOp, error: DeliveryError, exc: BaseException | None
    ) -> DeliveryError:
        """Cancelling an event that no longer exists has nothing left to do."""
        if isinstance(op, CancelEvent) and "graph 404" in error.reason:
            return SkippedError("the event no longer exists")
        if exc is not None and not isinstance(exc, DeliveryError):
            log.debug("graph calendar call failed: %s", error.reason)
        return error


__all__ = ["GraphCalendar", "SubResponse", "event_json"]
