"""A local Microsoft Graph for tests and benchmarks: answers like Graph for the endpoints peerlearn
uses (events with Teams meetings and transactionId de-duplication, cancel, getSchedule, Viva
Learning contents and course activities, Teams channels, `$batch`), validates request bodies
against the Graph v1.0 JSON Schema slice (property names matched case-insensitively, as Graph
does), and injects faults on demand: OData errors, 429 with Retry-After, 503s, slow answers and
malformed answers."""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).with_name("graph-v1.0-slice.schema.json")
_SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
DEFS: dict[str, Any] = _SCHEMA["$defs"]
ACTIONS: dict[str, Any] = _SCHEMA["x-actions"]
_VALIDATORS: dict[str, Draft202012Validator] = {}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DEFS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def normalize(instance: Any, schema: dict[str, Any]) -> Any:
    """Respell property names as the schema does (Graph accepts `comment` for `Comment`)."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        for branch in schema["anyOf"]:
            branch = _resolve(branch)
            if isinstance(instance, dict) and "properties" in branch:
                return normalize(instance, branch)
            if isinstance(instance, list) and "items" in branch:
                return normalize(instance, branch)
        return instance
    if isinstance(instance, dict) and "properties" in schema:
        props = schema["properties"]
        spelled = {name.lower(): name for name in props}
        out: dict[str, Any] = {}
        for key, value in instance.items():
            if key.startswith("@"):
                out[key] = value
                continue
            name = spelled.get(key.lower(), key)
            out[name] = normalize(value, props[name]) if name in props else value
        return out
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        return [normalize(item, schema["items"]) for item in instance]
    return instance


def validate(kind: str, body: Any) -> tuple[Any, str | None]:
    """(normalized body, first error or None) for a Graph type or an `x-actions` action."""
    schema = ACTIONS.get(kind) or DEFS[kind]
    if kind not in _VALIDATORS:
        _VALIDATORS[kind] = Draft202012Validator({"$defs": DEFS, **schema})
    if not isinstance(body, dict):
        return body, "the body must be a JSON object"
    body = normalize(body, schema)
    for error in _VALIDATORS[kind].iter_errors(body):
        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
        return body, f"{where}: {error.message}"
    return body, None


class Reply(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def odata_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "request-id": str(uuid.uuid4()),
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            },
        }
    }
    return Reply(status, body, headers)


@dataclass
class Faults:
    """What goes wrong, and how often. Scripted faults (`fail_next`) come first."""

    latency: float = 0.0
    throttle_rate: float = 0.0
    unavailable_rate: float = 0.0
    retry_after: str = "1"
    #: answers for the next N operations: (status, retry_after) tuples or ("slow", seconds)
    script: list[tuple[Any, Any]] = field(default_factory=list)
    #: answer successful creates with missing fields / unknown enum values
    bad_data: bool = False
    #: share of request bodies validated against the schema (1.0 in tests; benchmarks sample,
    #: since validating a full event costs milliseconds of the fake's CPU)
    validate_share: float = 1.0
    #: answer successful creates without the event id
    drop_ids: bool = False
    #: learner ids without a Viva Learning licence
    unlicensed: set[str] = field(default_factory=set)


class FakeGraph:
    """`async with FakeGraph() as graph:` → `graph.base_url` is `http://127.0.0.1:PORT/v1.0`."""

    def __init__(self, faults: Faults | None = None, seed: int = 7) -> None:
        self.faults = faults or Faults()
        self.rng = random.Random(seed)
        self.events: dict[str, dict[str, Any]] = {}
        self.event_owner: dict[str, str] = {}
        self.transactions: dict[tuple[str, str], str] = {}
        self.busy: dict[str, list[dict[str, Any]]] = {}
        self.contents: dict[tuple[str, str], dict[str, Any]] = {}
        self.activities: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, list[dict[str, Any]]] = {}
        self.http_requests = 0
        # requests per Host header: tests tell two clients apart by the host name they use
        self.requests_by_host = Counter[str]()
        self.operations = Counter[str]()
        self.cancel_calls = Counter[str]()
        self.rejected: list[str] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # lifecycle ---------------------------------------------------------------------------
    async def __aenter__(self) -> FakeGraph:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._http)
        app.router.add_get("/_fake/state", self._state)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1.0"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, count: int, status: Any = 429, retry_after: Any = "1") -> None:
        self.faults.script.extend([(status, retry_after)] * count)

    # what tests look at --------------------------------------------------------------------
    def live_events(self, organizer: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for i, e in self.events.items()
            if not e.get("isCancelled") and (organizer is None or self.event_owner[i] == organizer)
        ]

    def state(self) -> dict[str, Any]:
        """What a test or benchmark in another process needs to check the outcome."""
        return {
            "http_requests": self.http_requests,
            "operations": dict(self.operations),
            "events_per_subject": dict(
                Counter(str(e.get("subject")) for e in self.events.values())
            ),
            "event_ids": sorted(self.events),
            "cancel_calls": dict(self.cancel_calls),
            "rejected": list(self.rejected),
        }

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state())

    # HTTP ----------------------------------------------------------------------------------
    async def _http(self, request: web.Request) -> web.StreamResponse:
        self.http_requests += 1
        self.requests_by_host[request.host.split(":")[0]] += 1
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            reply = odata_error(401, "InvalidAuthenticationToken", "Access token is empty.")
            return self._response(reply)
        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._response(
                odata_error(400, "BadRequest", "Unable to read JSON request payload.")
            )
        if path == "/$batch" and request.method == "POST":
            try:
                return web.json_response(await self._batch(body))
            except Reply as reply:
                return self._response(reply)
        try:
            await self._fault()
            status, answer = self._dispatch(request.method, path, body)
        except Reply as reply:
            return self._response(reply)
        if answer is None:
            return web.Response(status=status)
        return web.json_response(answer, status=status)

    @staticmethod
    def _response(reply: Reply) -> web.Response:
        if reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)

    async def _fault(self) -> None:
        f = self.faults
        if f.script:
            status, extra = f.script.pop(0)
            if status == "slow":
                await asyncio.sleep(float(extra))
                return
            if status == 429:
                raise odata_error(
                    429, "TooManyRequests", "Too many requests.", {"Retry-After": str(extra)}
                )
            raise odata_error(
                int(status),
                "ServiceUnavailable",
                "The service is temporarily unavailable.",
                {"Retry-After": str(extra)} if extra else None,
            )
        roll = self.rng.random()
        if roll < f.throttle_rate:
            raise odata_error(
                429, "TooManyRequests", "Too many requests.", {"Retry-After": f.retry_after}
            )
        if roll < f.throttle_rate + f.unavailable_rate:
            raise odata_error(503, "ServiceUnavailable", "The service is temporarily unavailable.")

    async def _batch(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            raise odata_error(400, "BadRequest", "Invalid batch payload.")
        items = body["requests"]
        if not 1 <= len(items) <= 20:
            raise odata_error(400, "MaximumRequestsExceeded", "A batch holds at most 20 requests.")
        ids = [str(i.get("id")) for i in items if isinstance(i, dict)]
        if len(set(ids)) != len(items):
            raise odata_error(400, "BadRequest", "Batch request ids must be unique.")
        responses = []
        for item in items:
            rid = str(item["id"])
            url = str(item.get("url", ""))
            if not url.startswith("/"):
                url = "/" + url
            try:
                await self._fault()
                status, answer = self._dispatch(
                    str(item.get("method", "GET")), url, item.get("body")
                )
                response: dict[str, Any] = {"id": rid, "status": status, "headers": {}}
                if answer is not None:
                    response["body"] = answer
                    response["headers"] = {"Content-Type": "application/json"}
            except Reply as reply:
                response = {
                    "id": rid,
                    "status": reply.status,
                    "headers": reply.headers,
                    "body": reply.body,
                }
            responses.append(response)
        return {"responses": responses}

    # Graph behaviour -----------------------------------------------------------------------
    def _dispatch(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        path = path.split("?", 1)[0]
        for pattern, verb, handler in self._routes():
            m = re.fullmatch(pattern, path)
            if m and verb == method.upper():
                self.operations[handler.__name__] += 1
                return handler(body, *m.groups())  # type: ignore[no-any-return]
        raise odata_error(400, "BadRequest", f"Resource not found for the segment '{path}'.")

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/users/([^/]+)/events", "POST", self.create_event),
            (r"/users/([^/]+)/events/([^/]+)", "PATCH", self.update_event),
            (r"/users/([^/]+)/events/([^/]+)", "GET", self.get_event),
            (r"/users/([^/]+)/events/([^/]+)/cancel", "POST", self.cancel_event),
            (r"/users/([^/]+)/calendar/getSchedule", "POST", self.get_schedule),
            (
                r"/employeeExperience/learningProviders/([^/]+)/learningContents\(externalId='([^']+)'\)",
                "PATCH",
                self.upsert_content,
            ),
            (
                r"/employeeExperience/learningProviders/([^/]+)/learningCourseActivities",
                "POST",
                self.create_activity,
            ),
            (r"/teams/([^/]+)/channels", "POST", self.create_channel),
            (r"/teams/([^/]+)/channels", "GET", self.list_channels),
        ]

    def _valid(self, kind: str, body: Any) -> dict[str, Any]:
        if self.faults.validate_share < 1.0 and self.rng.random() >= self.faults.validate_share:
            schema = ACTIONS.get(kind) or DEFS[kind]
            return normalize(body, schema) if isinstance(body, dict) else body  # type: ignore[no-any-return]
        body, error = validate(kind, body)
        if error:
            self.rejected.append(f"{kind}: {error}")
            raise odata_error(400, "BadRequest", f"Invalid request body: {error}")
        return body  # type: ignore[no-any-return]

    def create_event(self, body: Any, user: str) -> tuple[int, Any]:
        body = self._valid("event", body)
        user = user.lower()
        tx = body.get("transactionId")
        if tx and (user, tx) in self.transactions:
            return 201, self._present(self.events[self.transactions[(user, tx)]])
        event_id = "AAMk" + uuid.uuid4().hex
        event = {**body, "id": event_id, "iCalUId": "0400" + uuid.uuid4().hex, "isCancelled": False}
        event["organizer"] = {"emailAddress": {"address": user}}
        if body.get("isOnlineMeeting"):
            event["onlineMeeting"] = {
                "joinUrl": f"https://teams.microsoft.com/l/meetup-join/{event_id}"
            }
        self.events[event_id] = event
        self.event_owner[event_id] = user
        if tx:
            self.transactions[(user, tx)] = event_id
        return 201, self._present(event)

    def _present(self, event: dict[str, Any]) -> dict[str, Any]:
        shown = dict(event)
        if self.faults.drop_ids:
            shown.pop("id", None)
        if self.faults.bad_data:
            shown.pop("onlineMeeting", None)
            shown.pop("iCalUId", None)
            shown["onlineMeetingProvider"] = "teamsForBusinessPremiumFuture"
            shown["showAs"] = "somethingNew"
        return shown

    def _event(self, user: str, event_id: str) -> dict[str, Any]:
        event = self.events.get(event_id)
        if event is None or self.event_owner[event_id] != user.lower():
            raise odata_error(
                404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        return event

    def update_event(self, body: Any, user: str, event_id: str) -> tuple[int, Any]:
        body = self._valid("event", body)
        event = self._event(user, event_id)
        if event.get("isCancelled"):
            raise odata_error(400, "ErrorInvalidRequest", "The event has been cancelled.")
        if event.get("isOnlineMeeting") and body.get("isOnlineMeeting") is False:
            raise odata_error(400, "ErrorInvalidRequest", "An online meeting cannot be turned off.")
        body.pop("transactionId", None)
        event.update(body)
        if event.get("isOnlineMeeting") and "onlineMeeting" not in event:
            event["onlineMeeting"] = {
                "joinUrl": f"https://teams.microsoft.com/l/meetup-join/{event_id}"
            }
        return 200, self._present(event)

    def get_event(self, body: Any, user: str, event_id: str) -> tuple[int, Any]:
        return 200, self._present(self._event(user, event_id))

    def cancel_event(self, body: Any, user: str, event_id: str) -> tuple[int, Any]:
        body = self._valid("event.cancel", body or {})
        event = self._event(user, event_id)
        self.cancel_calls[event_id] += 1
        event["isCancelled"] = True
        event["cancelComment"] = body.get("Comment")
        return 202, None

    def get_schedule(self, body: Any, user: str) -> tuple[int, Any]:
        body = self._valid("calendar.getSchedule", body)
        if not body.get("Schedules") or not body.get("StartTime") or not body.get("EndTime"):
            raise odata_error(
                400, "ErrorInvalidParameter", "Schedules, StartTime and EndTime are required."
            )
        start = _parse(body["StartTime"])
        end = _parse(body["EndTime"])
        values = []
        for who in body["Schedules"]:
            items = []
            for item in self.busy.get(who.lower(), []):
                s, e = _parse(item["start"]), _parse(item["end"])
                if s < end and e > start:
                    items.append(item)
            values.append({"scheduleId": who, "availabilityView": "", "scheduleItems": items})
        return 200, {"value": values}

    def upsert_content(self, body: Any, provider: str, external_id: str) -> tuple[int, Any]:
        body = self._valid("learningContent", body)
        key = (provider, external_id)
        content = self.contents.get(key) or {
            "id": "lc-" + uuid.uuid4().hex[:12],
            "externalId": external_id,
        }
        content.update(body)
        self.contents[key] = content
        return 200, content

    def create_activity(self, body: Any, provider: str) -> tuple[int, Any]:
        odata = (body or {}).get("@odata.type", "") if isinstance(body, dict) else ""
        kind = {
            "#microsoft.graph.learningSelfInitiatedCourse": "learningSelfInitiatedCourse",
            "#microsoft.graph.learningAssignment": "learningAssignment",
        }.get(odata)
        if kind is None:
            raise odata_error(400, "BadRequest", "@odata.type is required for a course activity.")
        body = self._valid(kind, body)
        if body.get("learnerUserId") in self.faults.unlicensed:
            raise odata_error(403, "Forbidden", "User License is not valid.")
        external = body.get("externalcourseActivityId")
        for activity in self.activities.values():
            if external and activity.get("externalcourseActivityId") == external:
                raise odata_error(
                    409, "Conflict", "A course activity with this externalcourseActivityId exists."
                )
        if not any(c["id"] == body.get("learningContentId") for c in self.contents.values()):
            raise odata_error(404, "NotFound", "Learning content not found.")
        activity = {**body, "id": "ca-" + uuid.uuid4().hex[:12], "learningProviderId": provider}
        self.activities[activity["id"]] = activity
        return 201, activity

    def create_channel(self, body: Any, team: str) -> tuple[int, Any]:
        body = self._valid("channel", body)
        name = str(body.get("displayName", ""))
        if not name or len(name) > 50 or any(c in CHANNEL_FORBIDDEN for c in name):
            raise odata_error(400, "BadRequest", f"Channel name is not valid: {name!r}")
        if name.startswith(("_", ".")) or name.endswith("."):
            raise odata_error(400, "BadRequest", f"Channel name is not valid: {name!r}")
        if any(c["displayName"].lower() == name.lower() for c in self.channels.get(team, [])):
            raise odata_error(400, "NameAlreadyExists", f"Channel name already existed: {name}")
        channel = {
            **body,
            "id": f"19:{uuid.uuid4().hex}@thread.tacv2",
            "webUrl": f"https://teams.microsoft.com/l/channel/{uuid.uuid4().hex}",
        }
        self.channels.setdefault(team, []).append(channel)
        return 201, channel

    def list_channels(self, body: Any, team: str) -> tuple[int, Any]:
        return 200, {"value": list(self.channels.get(team, []))}


#: characters Teams refuses in a channel name
CHANNEL_FORBIDDEN = set("~#%&*{}+/\\:<>?|'\",")


def _parse(value: dict[str, Any]) -> datetime:
    when = datetime.fromisoformat(str(value["dateTime"]).rstrip("Z")[:26])
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class StaticToken:
    """A dummy async token credential: the fake only checks that a bearer token is present."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("fake-graph-token", 4_102_444_800)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> StaticToken:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


async def _serve(args: Any) -> None:
    faults = Faults(
        latency=args.latency,
        throttle_rate=args.throttle,
        unavailable_rate=args.unavailable,
        retry_after=args.retry_after,
        validate_share=args.validate_share,
    )
    async with FakeGraph(faults, seed=args.seed) as graph:
        print(graph.base_url, flush=True)
        await asyncio.Event().wait()


def main() -> None:
    """Serve a fake Graph in its own process (benchmarks); prints its base URL first."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--throttle", type=float, default=0.0)
    parser.add_argument("--unavailable", type=float, default=0.0)
    parser.add_argument("--retry-after", default="1")
    parser.add_argument("--validate-share", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
