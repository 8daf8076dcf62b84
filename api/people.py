"""People endpoints."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.http import field, json_body, organisation, path_id, query_int, services
from api.openapi import operation, path_param, query_param
from core.people.model import Person

routes = web.RouteTableDef()

PERSON = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "time_zone": {"type": "string"},
        "locale": {"type": "string"},
    },
}


def person_json(p: Person) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "email": p.email,
        "time_zone": p.time_zone,
        "locale": p.locale,
        "identities": [
            {"kind": i.kind, "issuer": i.issuer, "subject": i.subject} for i in p.identities
        ],
    }


@routes.get("/api/v1/people")
async def list_people(request: web.Request) -> web.Response:
    org = organisation(request)
    limit = query_int(request, "limit", 100, 1, 500)
    offset = query_int(request, "offset", 0, 0, 10_000_000)
    query = request.query.get("q") or None
    people = await services(request).people.list_people(org.id, offset, limit, query)
    return web.json_response({"items": [person_json(p) for p in people]})


@routes.post("/api/v1/people")
async def create_person(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    person = await services(request).people.add_person(
        org.id,
        name=field(data, "name", str),
        email=field(data, "email", str, required=False),
        time_zone=field(data, "time_zone", str, required=False, default="UTC"),
        locale=field(data, "locale", str, required=False, default="en"),
    )
    return web.json_response(person_json(person), status=201)


@routes.get("/api/v1/people/{person_id}")
async def get_person(request: web.Request) -> web.Response:
    org = organisation(request)
    person = await services(request).people.get_person(org.id, path_id(request, "person_id"))
    return web.json_response(person_json(person))


@routes.patch("/api/v1/people/{person_id}")
async def update_person(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    person = await services(request).people.update_person(
        org.id,
        path_id(request, "person_id"),
        name=field(data, "name", str, required=False),
        time_zone=field(data, "time_zone", str, required=False),
        locale=field(data, "locale", str, required=False),
    )
    return web.json_response(person_json(person))


OPENAPI = {
    "/api/v1/people": {
        "get": operation(
            "List people",
            tag="people",
            params=[
                query_param("q", {"type": "string"}, "name or email contains"),
                query_param("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                query_param("offset", {"type": "integer", "minimum": 0}),
            ],
        ),
        "post": operation(
            "Add a person",
            tag="people",
            status=201,
            response=PERSON,
            body={
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "email": {"type": "string"},
                    "time_zone": {"type": "string", "description": "IANA zone"},
                    "locale": {"type": "string"},
                },
            },
        ),
    },
    "/api/v1/people/{person_id}": {
        "parameters": [path_param("person_id")],
        "get": operation("Get a person", tag="people", response=PERSON),
        "patch": operation(
            "Change a person's name, time zone or locale",
            tag="people",
            response=PERSON,
            body={"type": "object", "properties": {"name": {}, "time_zone": {}, "locale": {}}},
        ),
    },
}
