"""Office hours, slots, bookings and waitlists over the JSON API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from api.http import field, json_body, organisation, path_id, query_int, services
from api.openapi import operation, path_param, query_param
from core.errors import InvalidInput
from core.ids import parse_id
from core.officehours.model import (
    Booking,
    OfficeHoursType,
    Slot,
    blackout_json,
    location_json,
    override_json,
    question_json,
    rule_json,
)
from core.timezones import ensure_utc, zone

routes = web.RouteTableDef()


def type_json(t: OfficeHoursType) -> dict[str, Any]:
    return {
        "id": str(t.id),
        "host_id": str(t.host_id),
        "owner_kind": t.owner_kind,
        "owner_id": str(t.owner_id) if t.owner_id else None,
        "title": t.title,
        "description": t.description,
        "topics": list(t.topics),
        "time_zone": t.time_zone,
        "rules": [rule_json(r) for r in t.rules],
        "overrides": [override_json(o) for o in t.overrides],
        "blackouts": [blackout_json(b) for b in t.blackouts],
        "questions": [question_json(q) for q in t.questions],
        "location": location_json(t.location),
        "slot_minutes": t.slot_minutes,
        "interval_minutes": t.interval_minutes,
        "capacity": t.capacity,
        "buffer_before_minutes": t.buffer_before_minutes,
        "buffer_after_minutes": t.buffer_after_minutes,
        "min_notice_minutes": t.min_notice_minutes,
        "horizon_days": t.horizon_days,
        "max_per_day": t.max_per_day,
        "max_per_week": t.max_per_week,
        "requires_approval": t.requires_approval,
        "paused": t.paused,
        "archived": t.archived,
    }


def booking_json(b: Booking) -> dict[str, Any]:
    return {
        "id": str(b.id),
        "office_hours_id": str(b.type_id),
        "host_id": str(b.host_id),
        "person_id": str(b.person_id),
        "start": b.start_utc.isoformat(),
        "end": b.end_utc.isoformat(),
        "status": b.status,
        "waitlist_position": b.waitlist_position,
        "promoted_at": b.promoted_at.isoformat() if b.promoted_at else None,
        "answers": b.answers,
        "note": b.note,
        "cancel_reason": b.cancel_reason or None,
        "attendance": b.attendance,
        "rating": b.rating,
        "rating_comment": b.rating_comment or None,
        # the Teams meeting (Outlook event) once the calendar sync has delivered it
        "join_url": b.join_url or None,
        "calendar_event_id": b.calendar_event_id or None,
        # an audience place at a community session: it takes no seat and never waits
        "audience": b.audience,
    }


def slot_json(s: Slot, tz: str) -> dict[str, Any]:
    z = zone(tz)
    return {
        "start": s.start_utc.isoformat(),
        "end": s.end_utc.isoformat(),
        "start_local": s.start_utc.astimezone(z).isoformat(),
        "end_local": s.end_utc.astimezone(z).isoformat(),
        "seats_left": s.seats_left,
        "capacity": s.capacity,
    }


def parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be a date-time such as 2026-03-29T09:00:00+02:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"'{name}' must be a date-time such as 2026-03-29T09:00:00+02:00, got {value[:40]!r}"
        ) from None
    return ensure_utc(parsed)


def _bool_query(request: web.Request, name: str) -> bool:
    raw = request.query.get(name, "").lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise InvalidInput(f"query parameter '{name}' is true or false")


# types ------------------------------------------------------------------------------------
@routes.get("/api/v1/office-hours")
async def list_types(request: web.Request) -> web.Response:
    org = organisation(request)
    host = request.query.get("host_id")
    types = await services(request).office_hours.list_types(
        org.id,
        host_id=parse_id(host, "host_id") if host else None,
        include_inactive=_bool_query(request, "include_inactive"),
    )
    return web.json_response({"items": [type_json(t) for t in types]})


@routes.post("/api/v1/office-hours")
async def create_type(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    host_id = parse_id(field(data, "host_id", str), "host_id")
    spec = {k: v for k, v in data.items() if k != "host_id"}
    t = await services(request).office_hours.create_type(org.id, host_id, spec)
    return web.json_response(type_json(t), status=201)


@routes.get("/api/v1/office-hours/{type_id}")
async def get_type(request: web.Request) -> web.Response:
    org = organisation(request)
    t = await services(request).office_hours.get_type(org.id, path_id(request, "type_id"))
    return web.json_response(type_json(t))


@routes.patch("/api/v1/office-hours/{type_id}")
async def update_type(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    t = await services(request).office_hours.update_type(org.id, path_id(request, "type_id"), data)
    return web.json_response(type_json(t))


@routes.delete("/api/v1/office-hours/{type_id}")
async def archive_type(request: web.Request) -> web.Response:
    org = organisation(request)
    t = await services(request).office_hours.archive_type(org.id, path_id(request, "type_id"))
    return web.json_response(type_json(t))


@routes.post("/api/v1/office-hours/{type_id}/pause")
async def pause_type(request: web.Request) -> web.Response:
    org = organisation(request)
    oh = services(request).office_hours
    return web.json_response(
        type_json(await oh.set_paused(org.id, path_id(request, "type_id"), True))
    )


@routes.post("/api/v1/office-hours/{type_id}/resume")
async def resume_type(request: web.Request) -> web.Response:
    org = organisation(request)
    oh = services(request).office_hours
    t = await oh.set_paused(org.id, path_id(request, "type_id"), False)
    return web.json_response(type_json(t))


@routes.get("/api/v1/office-hours/{type_id}/slots")
async def list_slots(request: web.Request) -> web.Response:
    org = organisation(request)
    s = services(request)
    start = parse_time(request.query["from"], "from") if "from" in request.query else s.clock.now()
    end = (
        parse_time(request.query["to"], "to")
        if "to" in request.query
        else start + timedelta(days=14)
    )
    tz = request.query.get("tz", "UTC")
    zone(tz)
    slots = await s.office_hours.slots(
        org.id,
        path_id(request, "type_id"),
        start,
        end,
        include_full=not _bool_query(request, "free_only"),
    )
    return web.json_response({"time_zone": tz, "items": [slot_json(x, tz) for x in slots]})


@routes.get("/api/v1/office-hours/{type_id}/waitlist")
async def list_waitlist(request: web.Request) -> web.Response:
    org = organisation(request)
    if "start" not in request.query:
        raise InvalidInput("query parameter 'start' (the slot's start) is required")
    items = await services(request).office_hours.waitlist(
        org.id, path_id(request, "type_id"), parse_time(request.query["start"], "start")
    )
    return web.json_response({"items": [booking_json(b) for b in items]})


@routes.post("/api/v1/office-hours/{type_id}/waitlist")
async def join_waitlist(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    result = await services(request).office_hours.join_waitlist(
        org.id,
        path_id(request, "type_id"),
        parse_id(field(data, "person_id", str), "person_id"),
        parse_time(field(data, "start", str), "start"),
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return web.json_response(booking_json(result.booking), status=200 if result.replayed else 201)


# bookings ---------------------------------------------------------------------------------
@routes.post("/api/v1/bookings")
async def create_booking(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    answers = field(data, "answers", dict, required=False, default={})
    result = await services(request).office_hours.book(
        org.id,
        parse_id(field(data, "office_hours_id", str), "office_hours_id"),
        parse_id(field(data, "person_id", str), "person_id"),
        parse_time(field(data, "start", str), "start"),
        answers=answers,
        note=field(data, "note", str, required=False, default=""),
        idempotency_key=request.headers.get("Idempotency-Key"),
        join_waitlist=field(data, "join_waitlist", bool, required=False, default=True),
    )
    resp = web.json_response(booking_json(result.booking), status=200 if result.replayed else 201)
    if result.replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


@routes.get("/api/v1/bookings")
async def list_bookings(request: web.Request) -> web.Response:
    org = organisation(request)
    oh = services(request).office_hours
    limit = query_int(request, "limit", 100, 1, 500)
    upcoming = not _bool_query(request, "include_past")
    if "person_id" in request.query:
        pid = parse_id(request.query["person_id"], "person_id")
        items = await oh.bookings_for_person(org.id, pid, upcoming=upcoming, limit=limit)
    elif "host_id" in request.query:
        hid = parse_id(request.query["host_id"], "host_id")
        items = await oh.bookings_for_host(org.id, hid, upcoming=upcoming, limit=limit)
    else:
        raise InvalidInput("pass person_id (someone's bookings) or host_id (an expert's)")
    return web.json_response({"items": [booking_json(b) for b in items]})


@routes.get("/api/v1/bookings/{booking_id}")
async def get_booking(request: web.Request) -> web.Response:
    org = organisation(request)
    b = await services(request).office_hours.get_booking(org.id, path_id(request, "booking_id"))
    return web.json_response(booking_json(b))


@routes.get("/api/v1/bookings/{booking_id}/invite.ics")
async def booking_ics(request: web.Request) -> web.Response:
    org = organisation(request)
    booking_id = path_id(request, "booking_id")
    body = await services(request).office_hours.invitation(org.id, booking_id)
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="booking-{booking_id}.ics"'},
    )


async def _optional_body(request: web.Request) -> dict[str, Any]:
    if request.can_read_body:
        return await json_body(request)
    return {}


@routes.post("/api/v1/bookings/{booking_id}/cancel")
async def cancel_booking(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await _optional_body(request)
    by = field(data, "by", str, required=False)
    b = await services(request).office_hours.cancel(
        org.id,
        path_id(request, "booking_id"),
        field(data, "reason", str, required=False, default=""),
        by=parse_id(by, "by") if by else None,
    )
    return web.json_response(booking_json(b))


@routes.post("/api/v1/office-hours/{type_id}/sessions/cancel")
async def cancel_session(request: web.Request) -> web.Response:
    """The host calls off one sitting: all its bookings and its calendar event are cancelled."""
    org = organisation(request)
    data = await json_body(request)
    cancelled = await services(request).office_hours.cancel_session(
        org.id,
        path_id(request, "type_id"),
        parse_time(field(data, "start", str), "start"),
        field(data, "reason", str, required=False, default=""),
    )
    return web.json_response({"items": [booking_json(b) for b in cancelled]})


@routes.post("/api/v1/bookings/{booking_id}/release")
async def release_booking(request: web.Request) -> web.Response:
    org = organisation(request)
    b = await services(request).office_hours.release(org.id, path_id(request, "booking_id"))
    return web.json_response(booking_json(b))


@routes.post("/api/v1/bookings/{booking_id}/reschedule")
async def reschedule_booking(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    b = await services(request).office_hours.reschedule(
        org.id, path_id(request, "booking_id"), parse_time(field(data, "start", str), "start")
    )
    return web.json_response(booking_json(b))


@routes.post("/api/v1/bookings/{booking_id}/approve")
async def approve_booking(request: web.Request) -> web.Response:
    org = organisation(request)
    b = await services(request).office_hours.approve(org.id, path_id(request, "booking_id"))
    return web.json_response(booking_json(b))


@routes.post("/api/v1/bookings/{booking_id}/decline")
async def decline_booking(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await _optional_body(request)
    b = await services(request).office_hours.decline(
        org.id,
        path_id(request, "booking_id"),
        field(data, "reason", str, required=False, default=""),
    )
    return web.json_response(booking_json(b))


@routes.post("/api/v1/bookings/{booking_id}/attendance")
async def booking_attendance(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    b = await services(request).office_hours.mark_attendance(
        org.id, path_id(request, "booking_id"), field(data, "attended", bool)
    )
    return web.json_response(booking_json(b))


@routes.post("/api/v1/bookings/{booking_id}/rating")
async def booking_rating(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    b = await services(request).office_hours.rate(
        org.id,
        path_id(request, "booking_id"),
        field(data, "stars", int),
        field(data, "comment", str, required=False, default=""),
    )
    return web.json_response(booking_json(b))


# OpenAPI ----------------------------------------------------------------------------------
_WINDOW = {
    "type": "object",
    "required": ["start", "end"],
    "properties": {"start": {"type": "string", "example": "09:00"}, "end": {"type": "string"}},
}
TYPE_SPEC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "description": {"type": "string"},
        "topics": {"type": "array", "items": {"type": "string"}},
        "time_zone": {"type": "string", "description": "IANA zone; the host's by default"},
        "rules": {
            "type": "array",
            "items": {
                "allOf": [_WINDOW],
                "properties": {"weekday": {"type": ["string", "integer"], "example": "mon"}},
            },
        },
        "overrides": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "date": {"type": "string", "format": "date"},
                    "windows": {"type": "array", "items": _WINDOW},
                },
            },
        },
        "blackouts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                    "reason": {"type": "string"},
                },
            },
        },
        "questions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "label": {"type": "string"},
                    "required": {"type": "boolean"},
                },
            },
        },
        "location": {
            "type": "object",
            "properties": {
                "kind": {"enum": ["teams", "room", "url"]},
                "text": {"type": "string"},
            },
        },
        **{
            name: {"type": "integer"}
            for name in (
                "slot_minutes",
                "interval_minutes",
                "capacity",
                "buffer_before_minutes",
                "buffer_after_minutes",
                "min_notice_minutes",
                "horizon_days",
            )
        },
        "max_per_day": {"type": ["integer", "null"]},
        "max_per_week": {"type": ["integer", "null"]},
        "requires_approval": {"type": "boolean"},
        "paused": {"type": "boolean"},
    },
}
TYPE = {
    "type": "object",
    "properties": {"id": {"type": "string", "format": "uuid"}, **TYPE_SPEC["properties"]},
}
BOOKING = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "office_hours_id": {"type": "string", "format": "uuid"},
        "person_id": {"type": "string", "format": "uuid"},
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "status": {"enum": ["pending", "confirmed", "waitlisted", "cancelled", "declined"]},
        "waitlist_position": {"type": ["integer", "null"]},
        "attendance": {"enum": ["attended", "no_show", None]},
        "rating": {"type": ["integer", "null"]},
        "join_url": {"type": ["string", "null"], "format": "uri"},
        "calendar_event_id": {"type": ["string", "null"]},
    },
}
SLOTS = {
    "type": "object",
    "properties": {
        "time_zone": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "start": {"type": "string", "format": "date-time"},
                    "end": {"type": "string", "format": "date-time"},
                    "start_local": {"type": "string", "format": "date-time"},
                    "end_local": {"type": "string", "format": "date-time"},
                    "seats_left": {"type": "integer"},
                    "capacity": {"type": "integer"},
                },
            },
        },
    },
}
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "a retried request with the same key books once and returns the first booking",
}
_T = "office hours"
_B = "bookings"


def _items(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": schema}}}


def _booking_action(summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "parameters": [path_param("booking_id")],
        "post": operation(summary, tag=_B, response=BOOKING, body=body),
    }


OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/office-hours": {
        "get": operation(
            "List office hours",
            tag=_T,
            response=_items(TYPE),
            params=[
                query_param("host_id", {"type": "string", "format": "uuid"}),
                query_param("include_inactive", {"type": "boolean"}, "paused and archived too"),
            ],
        ),
        "post": operation(
            "Publish office hours for an expert",
            tag=_T,
            status=201,
            response=TYPE,
            body={
                "allOf": [TYPE_SPEC],
                "required": ["host_id", "title", "rules"],
                "properties": {"host_id": {"type": "string", "format": "uuid"}},
            },
        ),
    },
    "/api/v1/office-hours/{type_id}": {
        "parameters": [path_param("type_id")],
        "get": operation("Get office hours", tag=_T, response=TYPE),
        "patch": operation("Change office hours", tag=_T, response=TYPE, body=TYPE_SPEC),
        "delete": operation("Archive office hours (bookings stay)", tag=_T, response=TYPE),
    },
    "/api/v1/office-hours/{type_id}/pause": {
        "parameters": [path_param("type_id")],
        "post": operation("Pause: no new bookings", tag=_T, response=TYPE),
    },
    "/api/v1/office-hours/{type_id}/resume": {
        "parameters": [path_param("type_id")],
        "post": operation("Resume taking bookings", tag=_T, response=TYPE),
    },
    "/api/v1/office-hours/{type_id}/slots": {
        "parameters": [path_param("type_id")],
        "get": operation(
            "Slots, in UTC and in the viewer's zone; full ones have seats_left 0 (waitlist)",
            tag=_T,
            response=SLOTS,
            params=[
                query_param("from", {"type": "string", "format": "date-time"}, "default now"),
                query_param(
                    "to", {"type": "string", "format": "date-time"}, "default from + 14 days"
                ),
                query_param("tz", {"type": "string"}, "IANA zone of the viewer (default UTC)"),
                query_param("free_only", {"type": "boolean"}),
            ],
        ),
    },
    "/api/v1/office-hours/{type_id}/waitlist": {
        "parameters": [path_param("type_id")],
        "get": operation(
            "The waitlist of one slot, first in line first",
            tag=_T,
            response=_items(BOOKING),
            params=[query_param("start", {"type": "string", "format": "date-time"})],
        ),
        "post": {
            **operation(
                "Join the waitlist of a slot (books directly if a seat is free)",
                tag=_T,
                status=201,
                response=BOOKING,
                body={
                    "type": "object",
                    "required": ["person_id", "start"],
                    "properties": {
                        "person_id": {"type": "string", "format": "uuid"},
                        "start": {"type": "string", "format": "date-time"},
                    },
                },
            ),
            "parameters": [IDEMPOTENCY],
        },
    },
    "/api/v1/office-hours/{type_id}/sessions/cancel": {
        "parameters": [path_param("type_id")],
        "post": operation(
            "Call off one sitting: every booking and waitlist place is cancelled, the people "
            "told, and its calendar event cancelled once",
            tag=_T,
            response=_items(BOOKING),
            body={
                "type": "object",
                "required": ["start"],
                "properties": {
                    "start": {"type": "string", "format": "date-time"},
                    "reason": {"type": "string"},
                },
            },
        ),
    },
    "/api/v1/bookings": {
        "get": operation(
            "Someone's bookings (person_id) or an expert's (host_id), upcoming first",
            tag=_B,
            response=_items(BOOKING),
            params=[
                query_param("person_id", {"type": "string", "format": "uuid"}),
                query_param("host_id", {"type": "string", "format": "uuid"}),
                query_param("include_past", {"type": "boolean"}),
                query_param("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
            ],
        ),
        "post": {
            **operation(
                "Book a slot; a full slot puts the person on its waitlist",
                tag=_B,
                status=201,
                response=BOOKING,
                body={
                    "type": "object",
                    "required": ["office_hours_id", "person_id", "start"],
                    "properties": {
                        "office_hours_id": {"type": "string", "format": "uuid"},
                        "person_id": {"type": "string", "format": "uuid"},
                        "start": {"type": "string", "format": "date-time"},
                        "answers": {"type": "object", "additionalProperties": {"type": "string"}},
                        "note": {"type": "string"},
                        "join_waitlist": {"type": "boolean", "default": True},
                    },
                },
            ),
            "parameters": [IDEMPOTENCY],
        },
    },
    "/api/v1/bookings/{booking_id}": {
        "parameters": [path_param("booking_id")],
        "get": operation("Get a booking", tag=_B, response=BOOKING),
    },
    "/api/v1/bookings/{booking_id}/invite.ics": {
        "parameters": [path_param("booking_id")],
        "get": {
            "summary": "The booking's iCalendar invitation",
            "tags": [_B],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"text/calendar": {"schema": {"type": "string"}}},
                },
                "404": {"description": "not found in your organisation"},
            },
        },
    },
    "/api/v1/bookings/{booking_id}/cancel": _booking_action(
        "Cancel; the freed seat goes to the first on the waitlist",
        {
            "type": "object",
            "properties": {
                "reason": {"type": "string"},
                "by": {"type": "string", "format": "uuid"},
            },
        },
    ),
    "/api/v1/bookings/{booking_id}/release": _booking_action(
        "Release a seat offered from the waitlist"
    ),
    "/api/v1/bookings/{booking_id}/reschedule": _booking_action(
        "Move to another slot of the same office hours",
        {
            "type": "object",
            "required": ["start"],
            "properties": {"start": {"type": "string", "format": "date-time"}},
        },
    ),
    "/api/v1/bookings/{booking_id}/approve": _booking_action("Approve a pending booking"),
    "/api/v1/bookings/{booking_id}/decline": _booking_action(
        "Decline a pending booking",
        {"type": "object", "properties": {"reason": {"type": "string"}}},
    ),
    "/api/v1/bookings/{booking_id}/attendance": _booking_action(
        "Mark attended or no-show (reported to the LMS)",
        {
            "type": "object",
            "required": ["attended"],
            "properties": {"attended": {"type": "boolean"}},
        },
    ),
    "/api/v1/bookings/{booking_id}/rating": _booking_action(
        "Rate a session 1–5 after it ended",
        {
            "type": "object",
            "required": ["stars"],
            "properties": {
                "stars": {"type": "integer", "minimum": 1, "maximum": 5},
                "comment": {"type": "string"},
            },
        },
    ),
}
