"""Expert matching, profiles, skills, questions, answers and routing actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from aiohttp import web

from api.http import field, json_body, organisation, path_id, services
from api.openapi import operation, path_param, query_param
from core.errors import InvalidInput
from core.expertise.model import Answer, Question, RoutingOffer, Skill
from core.expertise.ranking import RankedExpert
from core.expertise.service import ProfileView, Reuse
from core.ids import parse_id

routes = web.RouteTableDef()


def _tags(data: dict[str, Any]) -> list[str]:
    tags = field(data, "tags", list, required=False, default=[])
    if not all(isinstance(t, str) for t in tags):
        raise InvalidInput("'tags' must be a list of strings")
    return list(tags)


def _id(data: dict[str, Any], name: str) -> UUID:
    return parse_id(field(data, name, str), name)


def _optional_id(data: dict[str, Any], name: str) -> UUID | None:
    raw = field(data, name, str, required=False)
    return parse_id(raw, name) if raw is not None else None


def _when(data: dict[str, Any], name: str) -> datetime | None:
    raw = field(data, name, str, required=False)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"'{name}' must be an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise InvalidInput(f"'{name}' needs a UTC offset")
    return value


def expert_json(e: RankedExpert, labels: dict[UUID, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "person_id": str(e.person_id),
        "score": round(e.score, 4),
        "relevance": round(e.relevance, 4),
        "reasons": list(e.reasons),
        "factors": {k: round(v, 3) for k, v in e.factors.items()},
    }
    if labels is not None:
        out["person"] = labels.get(e.person_id, str(e.person_id))
    return out


def skill_json(s: Skill) -> dict[str, Any]:
    return {"id": str(s.id), "name": s.name, "aliases": list(s.aliases)}


def question_json(q: Question) -> dict[str, Any]:
    return {
        "id": str(q.id),
        "asker_id": str(q.asker_id) if q.asker_id else None,
        "title": q.title,
        "body": q.body,
        "skill_ids": [str(s) for s in q.skill_ids],
        "status": q.status,
        "accepted_answer_id": str(q.accepted_answer_id) if q.accepted_answer_id else None,
        "route_round": q.route_round,
        "created_at": q.created_at.isoformat(),
    }


def answer_json(a: Answer) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "question_id": str(a.question_id),
        "author_id": str(a.author_id),
        "text": a.text,
        "accepted": a.accepted,
        "created_at": a.created_at.isoformat(),
    }


def offer_json(o: RoutingOffer) -> dict[str, Any]:
    return {
        "id": str(o.id),
        "question_id": str(o.question_id),
        "expert_id": str(o.expert_id),
        "status": o.status,
        "round": o.round,
        "reason": o.reason,
        "suggested_id": str(o.suggested_id) if o.suggested_id else None,
        "offered_at": o.offered_at.isoformat(),
        "due_at": o.due_at.isoformat(),
    }


def reuse_json(r: Reuse) -> dict[str, Any]:
    return {
        "questions": [
            {
                "question": question_json(h.question),
                "similarity": h.score,
                "answer": answer_json(h.answer) if h.answer else None,
            }
            for h in r.questions
        ],
        "resources": [
            {"id": h.id, "title": h.title, "similarity": h.score, "url": h.url, **h.extra}
            for h in r.resources
        ],
    }


def profile_json(v: ProfileView) -> dict[str, Any]:
    p = v.profile
    return {
        "person_id": str(v.person.id),
        "name": v.person.name,
        "time_zone": v.person.time_zone,
        "headline": p.headline,
        "weekly_request_cap": p.weekly_request_cap,
        "weekly_hours_cap": p.weekly_hours_cap,
        "paused_until": p.paused_until.isoformat() if p.paused_until else None,
        "skills": [
            {
                "id": str(s.skill.id),
                "name": s.skill.name,
                "level": s.level or None,
                "endorsements": s.endorsements,
                "answered": s.answered,
                "accepted": s.accepted,
            }
            for s in v.skills
        ],
        "evidence": v.evidence,
        "office_hours_rating": v.rating,
    }


# matching ---------------------------------------------------------------------------------
@routes.post("/api/v1/experts/match")
async def match(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    top = field(data, "top", int, required=False, default=5)
    result = await services(request).expertise.match(
        org.id,
        field(data, "text", str),
        _tags(data),
        asker_id=_optional_id(data, "asker_id"),
        top=top,
    )
    labels = await services(request).expertise.person_labels(
        org.id, [e.person_id for e in result.experts]
    )
    return web.json_response({"experts": [expert_json(e, labels) for e in result.experts]})


@routes.post("/api/v1/experts/reuse")
async def reuse(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    found = await services(request).expertise.reuse(
        org.id, field(data, "text", str), field(data, "limit", int, required=False, default=5)
    )
    return web.json_response(reuse_json(found))


# profiles ---------------------------------------------------------------------------------
@routes.get("/api/v1/experts/{person_id}")
async def get_profile(request: web.Request) -> web.Response:
    org = organisation(request)
    view = await services(request).expertise.profile(org.id, path_id(request, "person_id"))
    return web.json_response(profile_json(view))


@routes.patch("/api/v1/experts/{person_id}")
async def update_profile(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    skills = field(data, "skills", dict, required=False)
    pause_set = "paused_until" in data
    view = await services(request).expertise.update_profile(
        org.id,
        path_id(request, "person_id"),
        headline=field(data, "headline", str, required=False),
        skills=skills,
        weekly_request_cap=field(data, "weekly_request_cap", int, required=False),
        weekly_hours_cap=field(data, "weekly_hours_cap", float, required=False),
        paused_until=_when(data, "paused_until"),
        clear_pause=pause_set and data.get("paused_until") is None,
    )
    return web.json_response(profile_json(view))


@routes.post("/api/v1/experts/{person_id}/endorsements")
async def endorse(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    endorser = _id(data, "endorser_id")
    added = await services(request).expertise.endorse(
        org.id, path_id(request, "person_id"), field(data, "skill", str), endorser
    )
    return web.json_response({"added": added}, status=201 if added else 200)


@routes.post("/api/v1/experts/{person_id}/evidence")
async def evidence(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    rating = field(data, "rating", float, required=False)
    added = await services(request).expertise.record_evidence(
        org.id,
        path_id(request, "person_id"),
        field(data, "kind", str),
        ref=field(data, "ref", str),
        skills=_tags(data),
        text=field(data, "text", str, required=False, default=""),
        rating=rating,
        occurred_at=_when(data, "occurred_at"),
    )
    return web.json_response({"added": added}, status=201 if added else 200)


# skills -----------------------------------------------------------------------------------
@routes.get("/api/v1/skills")
async def list_skills(request: web.Request) -> web.Response:
    org = organisation(request)
    skills = await services(request).expertise.skills(org.id)
    return web.json_response({"items": [skill_json(s) for s in skills]})


@routes.post("/api/v1/skills")
async def add_skill(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    aliases = field(data, "aliases", list, required=False, default=[])
    if not all(isinstance(a, str) for a in aliases):
        raise InvalidInput("'aliases' must be a list of strings")
    skill = await services(request).expertise.add_skill(org.id, field(data, "name", str), aliases)
    return web.json_response(skill_json(skill), status=201)


@routes.post("/api/v1/skills/merge")
async def merge_skills(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    skill = await services(request).expertise.merge_skills(
        org.id, field(data, "source", str), field(data, "target", str)
    )
    return web.json_response(skill_json(skill))


@routes.post("/api/v1/skills/rename")
async def rename_skill(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    skill = await services(request).expertise.rename_skill(
        org.id, field(data, "skill", str), field(data, "name", str)
    )
    return web.json_response(skill_json(skill))


@routes.post("/api/v1/skills/aliases")
async def add_alias(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    skill = await services(request).expertise.add_alias(
        org.id, field(data, "skill", str), field(data, "alias", str)
    )
    return web.json_response(skill_json(skill))


# questions, answers, routing --------------------------------------------------------------
@routes.post("/api/v1/questions")
async def ask(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    asker = _id(data, "asker_id")
    question, found = await services(request).expertise.ask(
        org.id, asker, field(data, "text", str), _tags(data)
    )
    return web.json_response(
        {"question": question_json(question), "reuse": reuse_json(found)}, status=201
    )


@routes.get("/api/v1/questions/{question_id}")
async def get_question(request: web.Request) -> web.Response:
    org = organisation(request)
    q, answers, offers = await services(request).expertise.question(
        org.id, path_id(request, "question_id")
    )
    return web.json_response(
        {
            "question": question_json(q),
            "answers": [answer_json(a) for a in answers],
            "offers": [offer_json(o) for o in offers],
        }
    )


@routes.post("/api/v1/questions/{question_id}/route")
async def route(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request) if request.can_read_body else {}
    offers = await services(request).expertise.route(
        org.id, path_id(request, "question_id"), field(data, "k", int, required=False)
    )
    return web.json_response({"offers": [offer_json(o) for o in offers]})


@routes.post("/api/v1/questions/{question_id}/resolved-by-reuse")
async def resolved(request: web.Request) -> web.Response:
    """This answered it: optionally which reused question or resource, and who says so."""
    org = organisation(request)
    data = await json_body(request) if request.can_read_body else {}
    q = await services(request).expertise.resolve_by_reuse(
        org.id,
        path_id(request, "question_id"),
        by=_optional_id(data, "asker_id"),
        reused_question_id=_optional_id(data, "reused_question_id"),
        resource_id=field(data, "resource_id", str, required=False),
    )
    return web.json_response(question_json(q))


@routes.get("/api/v1/expert-analytics")
async def expert_analytics(request: web.Request) -> web.Response:
    """Questions asked in a period and how many were deflected by reuse (default 12 weeks)."""
    org = organisation(request)
    figures = await services(request).expertise.deflection_figures(
        org.id, _query_when(request, "start"), _query_when(request, "end")
    )
    return web.json_response(figures.as_dict())


def _query_when(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    return _when({name: raw}, name) if raw else None


@routes.post("/api/v1/questions/{question_id}/answers")
async def answer(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    author = _id(data, "author_id")
    a = await services(request).expertise.answer(
        org.id, path_id(request, "question_id"), author, field(data, "text", str)
    )
    return web.json_response(answer_json(a), status=201)


@routes.post("/api/v1/questions/{question_id}/answers/{answer_id}/accept")
async def accept_answer(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request) if request.can_read_body else {}
    a = await services(request).expertise.accept_answer(
        org.id,
        path_id(request, "question_id"),
        path_id(request, "answer_id"),
        by=_optional_id(data, "asker_id"),
    )
    return web.json_response(answer_json(a))


@routes.post("/api/v1/routing/{offer_id}/accept")
async def accept_offer(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    expert = _id(data, "expert_id")
    offer = await services(request).expertise.accept_offer(
        org.id, path_id(request, "offer_id"), expert
    )
    return web.json_response(offer_json(offer))


@routes.post("/api/v1/routing/{offer_id}/decline")
async def decline_offer(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    expert = _id(data, "expert_id")
    new = await services(request).expertise.decline_offer(
        org.id, path_id(request, "offer_id"), expert, field(data, "reason", str)
    )
    return web.json_response({"rerouted_to": [offer_json(o) for o in new]})


@routes.post("/api/v1/routing/{offer_id}/suggest")
async def suggest(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    expert = _id(data, "expert_id")
    colleague = _id(data, "colleague_id")
    offer = await services(request).expertise.suggest_colleague(
        org.id,
        path_id(request, "offer_id"),
        expert,
        colleague,
        field(data, "reason", str, required=False, default=""),
    )
    return web.json_response(offer_json(offer), status=201)


_OBJ: dict[str, Any] = {"type": "object"}
_TAGS = {"type": "array", "items": {"type": "string"}, "maxItems": 20}
_EXPERT = {
    "type": "object",
    "properties": {
        "person_id": {"type": "string", "format": "uuid"},
        "person": {"type": "string", "description": "the id the person was imported with"},
        "score": {"type": "number"},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}

OPENAPI = {
    "/api/v1/experts/match": {
        "post": operation(
            "Rank the best available experts for a question, with reasons",
            tag="experts",
            body={
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string", "maxLength": 20000},
                    "tags": _TAGS,
                    "asker_id": {"type": "string", "format": "uuid"},
                    "top": {"type": "integer", "minimum": 1, "maximum": 50},
                },
            },
            response={
                "type": "object",
                "properties": {"experts": {"type": "array", "items": _EXPERT}},
            },
        )
    },
    "/api/v1/experts/reuse": {
        "post": operation(
            "Answered questions and library resources similar to a question",
            tag="experts",
            body={"type": "object", "required": ["text"], "properties": {"text": {}, "limit": {}}},
        )
    },
    "/api/v1/experts/{person_id}": {
        "parameters": [path_param("person_id")],
        "get": operation("An expert profile: declared skills, evidence, caps", tag="experts"),
        "patch": operation(
            "Self-service profile edit",
            tag="experts",
            body={
                "type": "object",
                "properties": {
                    "headline": {"type": "string"},
                    "skills": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "weekly_request_cap": {"type": "integer"},
                    "weekly_hours_cap": {"type": "number"},
                    "paused_until": {"type": ["string", "null"], "format": "date-time"},
                },
            },
        ),
    },
    "/api/v1/experts/{person_id}/endorsements": {
        "parameters": [path_param("person_id")],
        "post": operation(
            "Endorse a colleague's skill",
            tag="experts",
            status=201,
            body={"type": "object", "required": ["endorser_id", "skill"], "properties": {}},
        ),
    },
    "/api/v1/experts/{person_id}/evidence": {
        "parameters": [path_param("person_id")],
        "post": operation(
            "Record activity that shows expertise (office hours, resources, demos)",
            tag="experts",
            status=201,
            body={"type": "object", "required": ["kind", "ref"], "properties": {}},
        ),
    },
    "/api/v1/skills": {
        "get": operation("The skill vocabulary", tag="skills"),
        "post": operation(
            "Add a skill with aliases",
            tag="skills",
            status=201,
            body={"type": "object", "required": ["name"], "properties": {"aliases": _TAGS}},
        ),
    },
    "/api/v1/skills/merge": {
        "post": operation("Merge a skill into another, keeping every link", tag="skills", body=_OBJ)
    },
    "/api/v1/skills/rename": {
        "post": operation("Rename a skill; the old name stays an alias", tag="skills", body=_OBJ)
    },
    "/api/v1/skills/aliases": {
        "post": operation("Add an alias to a skill", tag="skills", body=_OBJ)
    },
    "/api/v1/questions": {
        "post": operation(
            "Ask: records the question and returns what can be reused first",
            tag="questions",
            status=201,
            body={"type": "object", "required": ["asker_id", "text"], "properties": {}},
        )
    },
    "/api/v1/questions/{question_id}": {
        "parameters": [path_param("question_id")],
        "get": operation("A question with its answers and routing offers", tag="questions"),
    },
    "/api/v1/questions/{question_id}/route": {
        "parameters": [path_param("question_id")],
        "post": operation("Offer the question to the top-k experts", tag="questions", body=_OBJ),
    },
    "/api/v1/questions/{question_id}/resolved-by-reuse": {
        "parameters": [path_param("question_id")],
        "post": operation(
            "This answered it: the asker stops at a reused question or resource (a deflection)",
            tag="questions",
            body={
                "type": "object",
                "properties": {
                    "asker_id": {"type": "string", "format": "uuid"},
                    "reused_question_id": {"type": "string", "format": "uuid"},
                    "resource_id": {"type": "string", "maxLength": 200},
                },
            },
        ),
    },
    "/api/v1/expert-analytics": {
        "get": operation(
            "Questions asked in a period, deflected by reuse (by source), routed and answered",
            tag="questions",
            params=[
                query_param(
                    "start", {"type": "string", "format": "date-time"}, "default: 12 weeks ago"
                ),
                query_param("end", {"type": "string", "format": "date-time"}, "default: now"),
            ],
        ),
    },
    "/api/v1/questions/{question_id}/answers": {
        "parameters": [path_param("question_id")],
        "post": operation("Answer a question", tag="questions", status=201, body=_OBJ),
    },
    "/api/v1/questions/{question_id}/answers/{answer_id}/accept": {
        "parameters": [path_param("question_id"), path_param("answer_id")],
        "post": operation("The asker accepts an answer", tag="questions"),
    },
    "/api/v1/routing/{offer_id}/accept": {
        "parameters": [path_param("offer_id")],
        "post": operation("The expert accepts the question", tag="routing", body=_OBJ),
    },
    "/api/v1/routing/{offer_id}/decline": {
        "parameters": [path_param("offer_id")],
        "post": operation("The expert declines, with a reason", tag="routing", body=_OBJ),
    },
    "/api/v1/routing/{offer_id}/suggest": {
        "parameters": [path_param("offer_id")],
        "post": operation("The expert suggests a colleague", tag="routing", status=201, body=_OBJ),
    },
}
