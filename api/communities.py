"""Communities of practice endpoints.

The API key acts for the organisation; commands made on behalf of a person name them in the
`X-Acting-Person` header (their id). Reads without it are the organisation's own automation and
see every community of the organisation; reads with it see what that person may see.
User text is returned as data, exactly as written: clients rendering it must escape it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from aiohttp import web

from api.http import field, json_body, organisation, path_id, query_int, services
from api.openapi import operation, path_param, query_param
from core.communities.model import (
    Answer,
    CheckIn,
    Cohort,
    Comment,
    Community,
    Demo,
    Enrolment,
    Membership,
    PairingRound,
    Post,
    PostRevision,
    Question,
    Recognition,
)
from core.communities.ports import SessionSeat
from core.communities.service import CohortView, CommunityView, QuestionView, SearchResult
from core.errors import InvalidInput
from core.ids import parse_id

routes = web.RouteTableDef()
TAG = "communities"
ACTING = "X-Acting-Person"


# request helpers ----------------------------------------------------------------------------
def acting(request: web.Request) -> UUID | None:
    """The person the request acts for, when the header is given (reads may be anonymous)."""
    raw = request.headers.get(ACTING, "").strip()
    return parse_id(raw, ACTING) if raw else None


def actor(request: web.Request) -> UUID:
    """The person a command acts for; commands require the header."""
    person = acting(request)
    if person is None:
        raise InvalidInput(f"send the acting person's id in the {ACTING} header")
    return person


def _date(value: Any, name: str) -> date:
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' is a date such as 2026-04-01")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"'{name}' is a date such as 2026-04-01") from None


def _moment(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"'{name}' is a time such as 2026-03-01T00:00:00+00:00") from None
    if value.tzinfo is None:
        raise InvalidInput(f"'{name}' must carry a UTC offset")
    return value


def _flag(data: dict[str, Any], name: str, default: bool = True) -> bool:
    value = field(data, name, bool, required=False, default=default)
    return bool(value)


def _strings(data: dict[str, Any], name: str) -> list[str]:
    value = field(data, name, list, required=False, default=[])
    if not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"'{name}' is a list of texts")
    return list(value)


# JSON shapes ------------------------------------------------------------------------------
def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def community_json(c: Community) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "name": c.name,
        "purpose": c.purpose,
        "topics": list(c.topics),
        "visibility": c.visibility,
        "time_zone": c.time_zone,
        "lms_course_ids": list(c.lms_course_ids),
        "teams_channel_id": c.teams_channel_id,
        "teams_channel_url": c.teams_channel_url,
        "leaderboard_enabled": c.leaderboard_enabled,
        "expert_weekly_limit_hours": c.expert_weekly_limit_hours,
        "archived": c.archived,
        "created_by": str(c.created_by),
        "created_at": _iso(c.created_at),
    }


def membership_json(m: Membership | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "community_id": str(m.community_id),
        "person_id": str(m.person_id),
        "role": m.role,
        "status": m.status,
        "joined_at": _iso(m.joined_at),
        "notifications_paused": m.notifications_paused,
    }


def view_json(v: CommunityView) -> dict[str, Any]:
    return {
        **community_json(v.community),
        "members": v.members,
        "membership": membership_json(v.membership),
    }


def post_json(p: Post) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "community_id": str(p.community_id),
        "author_id": str(p.author_id),
        "kind": p.kind,
        "title": p.title,
        "body": p.body,
        "tags": list(p.tags),
        "tool": p.tool,
        "prompt_text": p.prompt_text,
        "example_output": p.example_output,
        "saved": p.saved,
        "url": p.url,
        "credited_ids": [str(i) for i in p.credited_ids],
        "source_question_id": str(p.source_question_id) if p.source_question_id else None,
        "featured": p.featured,
        "archived": p.archived,
        "upvotes": p.upvotes,
        "tries": p.tries,
        "comment_count": p.comment_count,
        "created_at": _iso(p.created_at),
        "updated_at": _iso(p.updated_at),
    }


def revision_json(r: PostRevision) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "editor_id": str(r.editor_id),
        "edited_at": _iso(r.edited_at),
        "previous": r.previous,
    }


def comment_json(c: Comment) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "post_id": str(c.post_id),
        "author_id": str(c.author_id),
        "body": c.body,
        "created_at": _iso(c.created_at),
    }


def question_json(q: Question) -> dict[str, Any]:
    def opt(v: UUID | None) -> str | None:
        return str(v) if v else None

    return {
        "id": str(q.id),
        "community_id": str(q.community_id),
        "asker_id": str(q.asker_id),
        "title": q.title,
        "body": q.body,
        "tags": list(q.tags),
        "status": q.status,
        "created_at": _iso(q.created_at),
        "first_answer_at": _iso(q.first_answer_at),
        "accepted_answer_id": opt(q.accepted_answer_id),
        "duplicate_of_id": opt(q.duplicate_of_id),
        "duplicate_answer_id": opt(q.duplicate_answer_id),
        "resource_post_id": opt(q.resource_post_id),
    }


def answer_json(a: Answer) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "question_id": str(a.question_id),
        "author_id": str(a.author_id),
        "body": a.body,
        "accepted": a.accepted,
        "cites_post_id": str(a.cites_post_id) if a.cites_post_id else None,
        "created_at": _iso(a.created_at),
    }


def question_view_json(v: QuestionView) -> dict[str, Any]:
    return {**question_json(v.question), "answers": [answer_json(a) for a in v.answers]}


def cohort_json(c: Cohort) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "community_id": str(c.community_id),
        "name": c.name,
        "goal": c.goal,
        "starts_on": _iso(c.starts_on),
        "ends_on": _iso(c.ends_on),
        "weeks": c.weeks,
        "required_checkins": c.required_checkins,
        "requires_demo": c.requires_demo,
        "created_by": str(c.created_by),
    }


def round_json(r: PairingRound) -> dict[str, Any]:
    return {
        "number": r.number,
        "groups": [[str(p) for p in g] for g in r.groups],
        "created_at": _iso(r.created_at),
    }


def cohort_view_json(v: CohortView) -> dict[str, Any]:
    return {
        **cohort_json(v.cohort),
        "progress": [
            {
                "person_id": str(p.person_id),
                "checkins": p.checkins,
                "demos": p.demos,
                "completed_at": _iso(p.completed_at),
            }
            for p in v.progress
        ],
        "rounds": [round_json(r) for r in v.rounds],
    }


def enrolment_json(e: Enrolment) -> dict[str, Any]:
    return {
        "cohort_id": str(e.cohort_id),
        "person_id": str(e.person_id),
        "joined_at": _iso(e.joined_at),
        "left_at": _iso(e.left_at),
        "completed_at": _iso(e.completed_at),
    }


def checkin_json(c: CheckIn) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "cohort_id": str(c.cohort_id),
        "person_id": str(c.person_id),
        "week": c.week,
        "tried": c.tried,
        "saved": c.saved,
        "stuck": c.stuck,
        "created_at": _iso(c.created_at),
    }


def demo_json(d: Demo) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "community_id": str(d.community_id),
        "cohort_id": str(d.cohort_id) if d.cohort_id else None,
        "person_id": str(d.person_id),
        "title": d.title,
        "given_at": _iso(d.given_at),
    }


def recognition_json(r: Recognition) -> dict[str, Any]:
    return {
        "person_id": str(r.person_id),
        "accepted_answers": r.accepted_answers,
        "promoted_resources": r.promoted_resources,
        "demos_given": r.demos_given,
        "sessions_hosted": r.sessions_hosted,
        "score": r.score,
    }


def hit_json(h: SearchResult) -> dict[str, Any]:
    return {"post": post_json(h.post), "score": h.score, "similarity": h.similarity}


def ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


# communities ------------------------------------------------------------------------------
@routes.get("/api/v1/communities")
async def list_communities(request: web.Request) -> web.Response:
    org = organisation(request)
    archived = request.query.get("include_archived", "false").lower() == "true"
    views = await services(request).communities.list_communities(
        org.id, acting(request), include_archived=archived
    )
    return ok({"items": [view_json(v) for v in views]})


@routes.post("/api/v1/communities")
async def create_community(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    community = await services(request).communities.create_community(
        org.id,
        actor(request),
        name=field(data, "name", str),
        purpose=field(data, "purpose", str, required=False, default=""),
        topics=_strings(data, "topics"),
        visibility=field(data, "visibility", str, required=False, default="open"),
        time_zone=field(data, "time_zone", str, required=False, default="UTC"),
        lms_course_ids=_strings(data, "lms_course_ids"),
        teams_channel_id=field(data, "teams_channel_id", str, required=False),
    )
    return ok(community_json(community), 201)


@routes.get("/api/v1/communities/{community_id}")
async def get_community(request: web.Request) -> web.Response:
    org = organisation(request)
    view = await services(request).communities.get_community(
        org.id, path_id(request, "community_id"), acting(request)
    )
    return ok(view_json(view))


@routes.patch("/api/v1/communities/{community_id}")
async def update_community(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    community = await services(request).communities.update_community(
        org.id, path_id(request, "community_id"), actor(request), **data
    )
    return ok(community_json(community))


@routes.post("/api/v1/communities/{community_id}/teams-channel")
async def request_teams_channel(request: web.Request) -> web.Response:
    """Ask for a Teams channel for the community (created by the worker through Graph). With
    the X-Acting-Person header the person must be an owner or facilitator; without it the
    API key acts as the organisation's admin."""
    org = organisation(request)
    data = await json_body(request)
    message = await services(request).communities.request_teams_channel(
        org.id,
        path_id(request, "community_id"),
        acting(request),
        field(data, "team_id", str),
        field(data, "display_name", str, required=False, default=None),
    )
    return web.json_response(
        {
            "status": "requested",
            "outbox_id": str(message.id),
            "team_id": message.payload["team_id"],
            "display_name": message.payload["display_name"],
        },
        status=202,
    )


@routes.post("/api/v1/communities/{community_id}/join")
async def join(request: web.Request) -> web.Response:
    org = organisation(request)
    m = await services(request).communities.join(
        org.id, path_id(request, "community_id"), actor(request)
    )
    return ok(membership_json(m))


@routes.post("/api/v1/communities/{community_id}/leave")
async def leave(request: web.Request) -> web.Response:
    org = organisation(request)
    m = await services(request).communities.leave(
        org.id, path_id(request, "community_id"), actor(request)
    )
    return ok(membership_json(m))


@routes.post("/api/v1/communities/{community_id}/requests/{person_id}")
async def decide_join(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    m = await services(request).communities.decide_join(
        org.id,
        path_id(request, "community_id"),
        actor(request),
        path_id(request, "person_id"),
        _flag(data, "approve"),
    )
    return ok(membership_json(m))


@routes.put("/api/v1/communities/{community_id}/members/{person_id}/role")
async def set_role(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    m = await services(request).communities.set_role(
        org.id,
        path_id(request, "community_id"),
        actor(request),
        path_id(request, "person_id"),
        field(data, "role", str),
    )
    return ok(membership_json(m))


@routes.put("/api/v1/communities/{community_id}/notifications")
async def set_notifications(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    m = await services(request).communities.set_notifications(
        org.id, path_id(request, "community_id"), actor(request), field(data, "paused", bool)
    )
    return ok(membership_json(m))


@routes.get("/api/v1/communities/{community_id}/members")
async def members(request: web.Request) -> web.Response:
    org = organisation(request)
    items = await services(request).communities.members(
        org.id, path_id(request, "community_id"), acting(request)
    )
    return ok({"items": [membership_json(m) for m in items]})


# library ----------------------------------------------------------------------------------
@routes.get("/api/v1/communities/{community_id}/posts")
async def list_posts(request: web.Request) -> web.Response:
    org = organisation(request)
    featured_raw = request.query.get("featured")
    featured = None if featured_raw is None else featured_raw.lower() == "true"
    posts = await services(request).communities.list_posts(
        org.id,
        path_id(request, "community_id"),
        acting(request),
        kind=request.query.get("kind") or None,
        tag=request.query.get("tag") or None,
        featured=featured,
        offset=query_int(request, "offset", 0, 0, 1_000_000),
        limit=query_int(request, "limit", 50, 1, 200),
    )
    return ok({"items": [post_json(p) for p in posts]})


@routes.post("/api/v1/communities/{community_id}/posts")
async def create_post(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    post = await services(request).communities.create_post(
        org.id,
        path_id(request, "community_id"),
        actor(request),
        kind=field(data, "kind", str),
        title=field(data, "title", str),
        body=field(data, "body", str, required=False, default=""),
        tags=_strings(data, "tags"),
        tool=field(data, "tool", str, required=False, default=""),
        prompt_text=field(data, "prompt_text", str, required=False, default=""),
        example_output=field(data, "example_output", str, required=False, default=""),
        saved=field(data, "saved", str, required=False, default=""),
        url=field(data, "url", str, required=False, default=""),
    )
    return ok(post_json(post), 201)


@routes.get("/api/v1/community-posts/{post_id}")
async def get_post(request: web.Request) -> web.Response:
    org = organisation(request)
    post = await services(request).communities.get_post(
        org.id, path_id(request, "post_id"), acting(request)
    )
    return ok(post_json(post))


@routes.patch("/api/v1/community-posts/{post_id}")
async def edit_post(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    post = await services(request).communities.edit_post(
        org.id, path_id(request, "post_id"), actor(request), **data
    )
    return ok(post_json(post))


@routes.get("/api/v1/community-posts/{post_id}/history")
async def post_history(request: web.Request) -> web.Response:
    org = organisation(request)
    items = await services(request).communities.history(
        org.id, path_id(request, "post_id"), acting(request)
    )
    return ok({"items": [revision_json(r) for r in items]})


@routes.put("/api/v1/community-posts/{post_id}/featured")
async def feature_post(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    post = await services(request).communities.set_featured(
        org.id, path_id(request, "post_id"), actor(request), field(data, "featured", bool)
    )
    return ok(post_json(post))


@routes.put("/api/v1/community-posts/{post_id}/archived")
async def archive_post(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    post = await services(request).communities.set_archived(
        org.id, path_id(request, "post_id"), actor(request), field(data, "archived", bool)
    )
    return ok(post_json(post))


@routes.post("/api/v1/community-posts/{post_id}/vote")
async def upvote(request: web.Request) -> web.Response:
    org = organisation(request)
    post = await services(request).communities.vote(
        org.id, path_id(request, "post_id"), actor(request), True
    )
    return ok(post_json(post))


@routes.delete("/api/v1/community-posts/{post_id}/vote")
async def unvote(request: web.Request) -> web.Response:
    org = organisation(request)
    post = await services(request).communities.vote(
        org.id, path_id(request, "post_id"), actor(request), False
    )
    return ok(post_json(post))


@routes.post("/api/v1/community-posts/{post_id}/save")
async def save(request: web.Request) -> web.Response:
    org = organisation(request)
    await services(request).communities.save_for_later(
        org.id, path_id(request, "post_id"), actor(request), True
    )
    return ok({"saved": True})


@routes.delete("/api/v1/community-posts/{post_id}/save")
async def unsave(request: web.Request) -> web.Response:
    org = organisation(request)
    await services(request).communities.save_for_later(
        org.id, path_id(request, "post_id"), actor(request), False
    )
    return ok({"saved": False})


@routes.get("/api/v1/community-saved")
async def saved(request: web.Request) -> web.Response:
    org = organisation(request)
    posts = await services(request).communities.saved_posts(org.id, actor(request))
    return ok({"items": [post_json(p) for p in posts]})


@routes.get("/api/v1/community-posts/{post_id}/comments")
async def comments(request: web.Request) -> web.Response:
    org = organisation(request)
    items = await services(request).communities.comments(
        org.id, path_id(request, "post_id"), acting(request)
    )
    return ok({"items": [comment_json(c) for c in items]})


@routes.post("/api/v1/community-posts/{post_id}/comments")
async def add_comment(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    c = await services(request).communities.comment(
        org.id, path_id(request, "post_id"), actor(request), field(data, "body", str)
    )
    return ok(comment_json(c), 201)


@routes.post("/api/v1/community-posts/{post_id}/try")
async def try_prompt(request: web.Request) -> web.Response:
    org = organisation(request)
    copy = await services(request).communities.try_prompt(
        org.id, path_id(request, "post_id"), actor(request)
    )
    return ok(copy)


@routes.get("/api/v1/community-search")
async def search(request: web.Request) -> web.Response:
    org = organisation(request)
    community = request.query.get("community_id")
    hits = await services(request).communities.search(
        org.id,
        request.query.get("q", ""),
        acting(request),
        parse_id(community, "community_id") if community else None,
        query_int(request, "limit", 20, 1, 50),
    )
    return ok({"items": [hit_json(h) for h in hits]})


# questions --------------------------------------------------------------------------------
@routes.get("/api/v1/communities/{community_id}/questions")
async def list_questions(request: web.Request) -> web.Response:
    org = organisation(request)
    items = await services(request).communities.list_questions(
        org.id,
        path_id(request, "community_id"),
        acting(request),
        request.query.get("status") or None,
        query_int(request, "offset", 0, 0, 1_000_000),
        query_int(request, "limit", 50, 1, 200),
    )
    return ok({"items": [question_json(q) for q in items]})


@routes.post("/api/v1/communities/{community_id}/questions")
async def ask(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    q = await services(request).communities.ask(
        org.id,
        path_id(request, "community_id"),
        actor(request),
        field(data, "title", str),
        field(data, "body", str, required=False, default=""),
        _strings(data, "tags"),
    )
    return ok(question_json(q), 201)


@routes.get("/api/v1/community-questions/{question_id}")
async def get_question(request: web.Request) -> web.Response:
    org = organisation(request)
    view = await services(request).communities.get_question(
        org.id, path_id(request, "question_id"), acting(request)
    )
    return ok(question_view_json(view))


@routes.post("/api/v1/community-questions/{question_id}/answers")
async def answer(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    cites = field(data, "cites_post_id", str, required=False)
    a = await services(request).communities.answer(
        org.id,
        path_id(request, "question_id"),
        actor(request),
        field(data, "body", str),
        parse_id(cites, "cites_post_id") if cites else None,
    )
    return ok(answer_json(a), 201)


@routes.post("/api/v1/community-answers/{answer_id}/accept")
async def accept(request: web.Request) -> web.Response:
    org = organisation(request)
    a = await services(request).communities.accept(
        org.id, path_id(request, "answer_id"), actor(request)
    )
    return ok(answer_json(a))


@routes.post("/api/v1/community-questions/{question_id}/promote")
async def promote(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request) if request.can_read_body else {}
    post = await services(request).communities.promote(
        org.id,
        path_id(request, "question_id"),
        actor(request),
        field(data, "title", str, required=False),
    )
    return ok(post_json(post), 201)


@routes.post("/api/v1/community-questions/{question_id}/duplicate")
async def duplicate(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    q = await services(request).communities.mark_duplicate(
        org.id,
        path_id(request, "question_id"),
        actor(request),
        parse_id(field(data, "earlier_question_id", str), "earlier_question_id"),
    )
    return ok(question_json(q))


# cohorts ----------------------------------------------------------------------------------
@routes.get("/api/v1/communities/{community_id}/cohorts")
async def list_cohorts(request: web.Request) -> web.Response:
    org = organisation(request)
    items = await services(request).communities.cohorts(
        org.id, path_id(request, "community_id"), acting(request)
    )
    return ok({"items": [cohort_json(c) for c in items]})


@routes.post("/api/v1/communities/{community_id}/cohorts")
async def create_cohort(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    cohort = await services(request).communities.create_cohort(
        org.id,
        path_id(request, "community_id"),
        actor(request),
        field(data, "name", str),
        field(data, "goal", str),
        _date(data.get("starts_on"), "starts_on"),
        _date(data.get("ends_on"), "ends_on"),
        field(data, "required_checkins", int, required=False, default=3),
        _flag(data, "requires_demo", True),
    )
    return ok(cohort_json(cohort), 201)


@routes.get("/api/v1/cohorts/{cohort_id}")
async def get_cohort(request: web.Request) -> web.Response:
    org = organisation(request)
    view = await services(request).communities.cohort(
        org.id, path_id(request, "cohort_id"), acting(request)
    )
    return ok(cohort_view_json(view))


@routes.post("/api/v1/cohorts/{cohort_id}/join")
async def join_cohort(request: web.Request) -> web.Response:
    org = organisation(request)
    e = await services(request).communities.join_cohort(
        org.id, path_id(request, "cohort_id"), actor(request)
    )
    return ok(enrolment_json(e))


@routes.post("/api/v1/cohorts/{cohort_id}/leave")
async def leave_cohort(request: web.Request) -> web.Response:
    org = organisation(request)
    e = await services(request).communities.leave_cohort(
        org.id, path_id(request, "cohort_id"), actor(request)
    )
    return ok(enrolment_json(e))


@routes.post("/api/v1/cohorts/{cohort_id}/checkins")
async def check_in(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    c = await services(request).communities.check_in(
        org.id,
        path_id(request, "cohort_id"),
        actor(request),
        field(data, "tried", str),
        field(data, "saved", str, required=False, default=""),
        field(data, "stuck", str, required=False, default=""),
    )
    return ok(checkin_json(c), 201)


@routes.post("/api/v1/cohorts/{cohort_id}/pairings")
async def pair(request: web.Request) -> web.Response:
    org = organisation(request)
    r = await services(request).communities.pair_round(
        org.id, path_id(request, "cohort_id"), actor(request)
    )
    return ok(round_json(r), 201)


@routes.post("/api/v1/communities/{community_id}/demos")
async def record_demo(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    cohort = field(data, "cohort_id", str, required=False)
    d = await services(request).communities.record_demo(
        org.id,
        path_id(request, "community_id"),
        actor(request),
        parse_id(field(data, "person_id", str), "person_id"),
        field(data, "title", str),
        parse_id(cohort, "cohort_id") if cohort else None,
    )
    return ok(demo_json(d), 201)


# show-and-tell ------------------------------------------------------------------------------
def _start(data: dict[str, Any]) -> datetime:
    raw = field(data, "start", str)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("'start' is a time such as 2026-03-26T16:00:00+00:00") from None
    if value.tzinfo is None:
        raise InvalidInput("'start' must carry a UTC offset")
    return value


def seat_json(s: SessionSeat) -> dict[str, Any]:
    return {
        "booking_id": str(s.booking_id),
        "person_id": str(s.person_id),
        "start": _iso(s.start),
        "status": s.status,
        "title": s.note,
        "attendance": s.attendance,
        "audience": s.audience,
    }


@routes.post("/api/v1/communities/{community_id}/show-and-tell")
async def start_show_and_tell(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    session = await services(request).communities.start_show_and_tell(
        org.id,
        path_id(request, "community_id"),
        actor(request),
        field(data, "weekday", int),
        field(data, "start", str),
        field(data, "minutes", int, required=False, default=30),
        field(data, "capacity", int, required=False, default=6),
    )
    return ok({"session_id": str(session)}, 201)


@routes.get("/api/v1/communities/{community_id}/show-and-tell")
async def upcoming_show_and_tell(request: web.Request) -> web.Response:
    org = organisation(request)
    starts = await services(request).communities.upcoming_show_and_tell(
        org.id, path_id(request, "community_id"), acting(request)
    )
    return ok({"upcoming": [_iso(s) for s in starts]})


@routes.post("/api/v1/communities/{community_id}/show-and-tell/signups")
async def sign_up_demo(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    seat = await services(request).communities.sign_up_demo(
        org.id,
        path_id(request, "community_id"),
        actor(request),
        _start(data),
        field(data, "title", str),
    )
    return ok(seat_json(seat), 201)


@routes.get("/api/v1/communities/{community_id}/show-and-tell/agenda")
async def get_agenda(request: web.Request) -> web.Response:
    org = organisation(request)
    start = _moment(request, "start")
    if start is None:
        raise InvalidInput("'start' is required")
    agenda = await services(request).communities.agenda(
        org.id, path_id(request, "community_id"), start, acting(request)
    )
    return ok(
        {
            "session_id": str(agenda.session_id),
            "start": _iso(agenda.start),
            "demos": [seat_json(s) for s in agenda.demos],
            "waitlist": [seat_json(s) for s in agenda.waitlist],
            "audience": [seat_json(s) for s in agenda.audience],
        }
    )


@routes.post("/api/v1/communities/{community_id}/show-and-tell/audience")
async def attend_show_and_tell(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    seat = await services(request).communities.attend_show_and_tell(
        org.id, path_id(request, "community_id"), actor(request), _start(data)
    )
    return ok(seat_json(seat))


@routes.delete("/api/v1/communities/{community_id}/show-and-tell/audience")
async def leave_show_and_tell(request: web.Request) -> web.Response:
    org = organisation(request)
    start = _moment(request, "start")
    if start is None:
        raise InvalidInput("'start' is required, a time such as 2026-03-26T16:00:00+00:00")
    seat = await services(request).communities.leave_show_and_tell(
        org.id, path_id(request, "community_id"), actor(request), start
    )
    return ok({"left": seat is not None, "seat": seat_json(seat) if seat else None})


@routes.post("/api/v1/communities/{community_id}/show-and-tell/agenda")
async def send_agenda(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    queued = await services(request).communities.send_agenda(
        org.id, path_id(request, "community_id"), actor(request), _start(data)
    )
    return ok({"queued": queued})


@routes.post("/api/v1/communities/{community_id}/show-and-tell/attendance")
async def record_attendance(request: web.Request) -> web.Response:
    org = organisation(request)
    data = await json_body(request)
    attended = [parse_id(v, "attended") for v in _strings(data, "attended")]
    demos = await services(request).communities.record_show_and_tell(
        org.id, path_id(request, "community_id"), actor(request), _start(data), attended
    )
    return ok({"demos": [demo_json(d) for d in demos]})


@routes.get("/api/v1/community-show-and-tell/{booking_id}/invitation.ics")
async def invitation(request: web.Request) -> web.Response:
    org = organisation(request)
    body = await services(request).communities.show_and_tell_invitation(
        org.id, path_id(request, "booking_id")
    )
    return web.Response(body=body, content_type="text/calendar", charset="utf-8")


# recognition, analytics, digest -------------------------------------------------------------
@routes.get("/api/v1/communities/{community_id}/leaderboard")
async def leaderboard(request: web.Request) -> web.Response:
    org = organisation(request)
    items = await services(request).communities.leaderboard(
        org.id,
        path_id(request, "community_id"),
        acting(request),
        query_int(request, "limit", 10, 1, 100),
    )
    return ok({"items": [recognition_json(r) for r in items]})


@routes.get("/api/v1/community-recognition/{person_id}")
async def recognition(request: web.Request) -> web.Response:
    org = organisation(request)
    r = await services(request).communities.recognition(org.id, path_id(request, "person_id"))
    return ok(recognition_json(r))


async def _export(request: web.Request, community_id: UUID | None) -> web.Response:
    org = organisation(request)
    fmt = request.query.get("format", "json")
    content_type, body = await services(request).communities.export_analytics(
        org.id, fmt, community_id, _moment(request, "start"), _moment(request, "end")
    )
    if fmt == "json":
        return web.Response(body=body, content_type="application/json")
    resp = web.Response(body=body)
    resp.headers["Content-Type"] = content_type
    name = f"community-analytics.{fmt}"
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@routes.get("/api/v1/community-analytics")
async def org_analytics(request: web.Request) -> web.Response:
    return await _export(request, None)


@routes.get("/api/v1/communities/{community_id}/analytics")
async def community_analytics(request: web.Request) -> web.Response:
    return await _export(request, path_id(request, "community_id"))


@routes.get("/api/v1/community-digest/{person_id}")
async def digest(request: web.Request) -> web.Response:
    org = organisation(request)
    d = await services(request).communities.digest(org.id, path_id(request, "person_id"))
    return ok(
        {
            "person_id": str(d.person_id),
            "week_start": _iso(d.week_start),
            "week_end": _iso(d.week_end),
            "top_resources": [post_json(p) for p in d.top_resources],
            "open_questions": [question_json(q) for q in d.open_questions],
            "upcoming": [
                {
                    "kind": u.kind,
                    "title": u.title,
                    "community_id": str(u.community_id),
                    "at": _iso(u.at),
                }
                for u in d.upcoming
            ],
            "skills": list(d.skills),
            "paused_community_ids": [str(c) for c in d.paused_community_ids],
        }
    )


# OpenAPI ----------------------------------------------------------------------------------
_ACTING_PARAM = {
    "name": ACTING,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "format": "uuid"},
    "description": "the person the call is made for (required for commands)",
}
_OBJ: dict[str, Any] = {"type": "object"}
_LIST: dict[str, Any] = {"type": "object", "properties": {"items": {"type": "array"}}}
_TEXT = {"type": "string"}


def _op(summary: str, **kw: Any) -> dict[str, Any]:
    op = operation(summary, tag=TAG, **kw)
    op.setdefault("parameters", []).append(_ACTING_PARAM)
    op["responses"]["403"] = {
        "description": "not allowed for the acting person",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return op


def _body(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


_PERIOD = [
    query_param("start", {"type": "string", "format": "date-time"}, "default: 12 weeks ago"),
    query_param("end", {"type": "string", "format": "date-time"}, "default: now"),
    query_param("format", {"enum": ["json", "csv", "svg", "png"]}, "svg/png: weekly chart"),
]

OPENAPI: dict[str, Any] = {
    "/api/v1/communities": {
        "get": _op("List communities", response=_LIST),
        "post": _op(
            "Create a community (the acting person owns it)",
            status=201,
            body=_body(
                ["name"],
                name=_TEXT,
                purpose=_TEXT,
                topics={"type": "array", "items": _TEXT},
                visibility={"enum": ["open", "approval"]},
                time_zone=_TEXT,
                lms_course_ids={"type": "array", "items": _TEXT},
                teams_channel_id=_TEXT,
            ),
        ),
    },
    "/api/v1/communities/{community_id}": {
        "parameters": [path_param("community_id")],
        "get": _op("Get a community"),
        "patch": _op(
            "Change a community (owners)",
            body=_body(
                [],
                name=_TEXT,
                purpose=_TEXT,
                topics={"type": "array"},
                visibility={"enum": ["open", "approval"]},
                leaderboard_enabled={"type": "boolean"},
                expert_weekly_limit_hours={"type": "number"},
                archived={"type": "boolean"},
            ),
        ),
    },
    "/api/v1/communities/{community_id}/teams-channel": {
        "parameters": [path_param("community_id")],
        "post": _op(
            "Ask for a Teams channel for the community, created through Microsoft Graph by the "
            "worker (owners, facilitators; without X-Acting-Person: the organisation's admin)",
            body=_body(
                ["team_id"], team_id={"type": "string", "format": "uuid"}, display_name=_TEXT
            ),
        ),
    },
    "/api/v1/communities/{community_id}/join": {
        "parameters": [path_param("community_id")],
        "post": _op("Join (approval-only communities: ask to join)"),
    },
    "/api/v1/communities/{community_id}/leave": {
        "parameters": [path_param("community_id")],
        "post": _op("Leave"),
    },
    "/api/v1/communities/{community_id}/requests/{person_id}": {
        "parameters": [path_param("community_id"), path_param("person_id")],
        "post": _op(
            "Approve or decline a request to join (owners, facilitators)",
            body=_body(["approve"], approve={"type": "boolean"}),
        ),
    },
    "/api/v1/communities/{community_id}/members/{person_id}/role": {
        "parameters": [path_param("community_id"), path_param("person_id")],
        "put": _op(
            "Give an active member a role (owners)",
            body=_body(["role"], role={"enum": ["owner", "facilitator", "member"]}),
        ),
    },
    "/api/v1/communities/{community_id}/notifications": {
        "parameters": [path_param("community_id")],
        "put": _op(
            "Pause or resume one's notifications",
            body=_body(["paused"], paused={"type": "boolean"}),
        ),
    },
    "/api/v1/communities/{community_id}/members": {
        "parameters": [path_param("community_id")],
        "get": _op("Members and pending requests", response=_LIST),
    },
    "/api/v1/communities/{community_id}/posts": {
        "parameters": [path_param("community_id")],
        "get": _op(
            "Library posts (featured first, newest first)",
            response=_LIST,
            params=[
                query_param("kind", {"enum": ["tip", "prompt", "resource", "experiment"]}),
                query_param("tag", _TEXT),
                query_param("featured", {"type": "boolean"}),
                query_param("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
                query_param("offset", {"type": "integer", "minimum": 0}),
            ],
        ),
        "post": _op(
            "Share a tip, prompt, resource or experiment (members)",
            status=201,
            body=_body(
                ["kind", "title"],
                kind={"enum": ["tip", "prompt", "resource", "experiment"]},
                title=_TEXT,
                body=_TEXT,
                tags={"type": "array", "items": _TEXT},
                tool=_TEXT,
                prompt_text=_TEXT,
                example_output=_TEXT,
                saved=_TEXT,
                url={"type": "string", "format": "uri"},
            ),
        ),
    },
    "/api/v1/community-posts/{post_id}": {
        "parameters": [path_param("post_id")],
        "get": _op("Get a post"),
        "patch": _op("Edit one's post (history is kept)", body=_OBJ),
    },
    "/api/v1/community-posts/{post_id}/history": {
        "parameters": [path_param("post_id")],
        "get": _op("Edit history", response=_LIST),
    },
    "/api/v1/community-posts/{post_id}/featured": {
        "parameters": [path_param("post_id")],
        "put": _op(
            "Feature or unfeature (owners)", body=_body(["featured"], featured={"type": "boolean"})
        ),
    },
    "/api/v1/community-posts/{post_id}/archived": {
        "parameters": [path_param("post_id")],
        "put": _op(
            "Archive or restore (owners)", body=_body(["archived"], archived={"type": "boolean"})
        ),
    },
    "/api/v1/community-posts/{post_id}/vote": {
        "parameters": [path_param("post_id")],
        "post": _op("Upvote"),
        "delete": _op("Withdraw an upvote"),
    },
    "/api/v1/community-posts/{post_id}/save": {
        "parameters": [path_param("post_id")],
        "post": _op("Save for later"),
        "delete": _op("Unsave"),
    },
    "/api/v1/community-saved": {"get": _op("The acting person's saved posts", response=_LIST)},
    "/api/v1/community-posts/{post_id}/comments": {
        "parameters": [path_param("post_id")],
        "get": _op("Comments", response=_LIST),
        "post": _op("Comment (members)", status=201, body=_body(["body"], body=_TEXT)),
    },
    "/api/v1/community-posts/{post_id}/try": {
        "parameters": [path_param("post_id")],
        "post": _op("Try it: a ready-to-paste copy of a prompt"),
    },
    "/api/v1/community-search": {
        "get": _op(
            "Search the library by relevance and recency",
            response=_LIST,
            params=[
                query_param("q", _TEXT, "search text"),
                query_param("community_id", {"type": "string", "format": "uuid"}),
                query_param("limit", {"type": "integer", "minimum": 1, "maximum": 50}),
            ],
        )
    },
    "/api/v1/communities/{community_id}/questions": {
        "parameters": [path_param("community_id")],
        "get": _op(
            "Questions",
            response=_LIST,
            params=[query_param("status", {"enum": ["open", "answered", "duplicate"]})],
        ),
        "post": _op(
            "Ask (members)",
            status=201,
            body=_body(["title"], title=_TEXT, body=_TEXT, tags={"type": "array"}),
        ),
    },
    "/api/v1/community-questions/{question_id}": {
        "parameters": [path_param("question_id")],
        "get": _op("A question with its answers"),
    },
    "/api/v1/community-questions/{question_id}/answers": {
        "parameters": [path_param("question_id")],
        "post": _op(
            "Answer (members); cite a library post to reuse it",
            status=201,
            body=_body(["body"], body=_TEXT, cites_post_id={"type": "string", "format": "uuid"}),
        ),
    },
    "/api/v1/community-answers/{answer_id}/accept": {
        "parameters": [path_param("answer_id")],
        "post": _op("Accept an answer (the asker or a host)"),
    },
    "/api/v1/community-questions/{question_id}/promote": {
        "parameters": [path_param("question_id")],
        "post": _op(
            "Promote the accepted answer to a library resource (asker and answerer credited)",
            status=201,
        ),
    },
    "/api/v1/community-questions/{question_id}/duplicate": {
        "parameters": [path_param("question_id")],
        "post": _op(
            "Link as a duplicate of an earlier question's answer",
            body=_body(["earlier_question_id"], earlier_question_id={"type": "string"}),
        ),
    },
    "/api/v1/communities/{community_id}/cohorts": {
        "parameters": [path_param("community_id")],
        "get": _op("Cohorts and challenges", response=_LIST),
        "post": _op(
            "Start a cohort (owners, facilitators)",
            status=201,
            body=_body(
                ["name", "goal", "starts_on", "ends_on"],
                name=_TEXT,
                goal=_TEXT,
                starts_on={"type": "string", "format": "date"},
                ends_on={"type": "string", "format": "date"},
                required_checkins={"type": "integer"},
                requires_demo={"type": "boolean"},
            ),
        ),
    },
    "/api/v1/cohorts/{cohort_id}": {
        "parameters": [path_param("cohort_id")],
        "get": _op("A cohort with progress and pairing rounds"),
    },
    "/api/v1/cohorts/{cohort_id}/join": {
        "parameters": [path_param("cohort_id")],
        "post": _op("Join a cohort (community members)"),
    },
    "/api/v1/cohorts/{cohort_id}/leave": {
        "parameters": [path_param("cohort_id")],
        "post": _op("Leave a cohort"),
    },
    "/api/v1/cohorts/{cohort_id}/checkins": {
        "parameters": [path_param("cohort_id")],
        "post": _op(
            "Weekly check-in: what I tried, what it saved, where I am stuck",
            status=201,
            body=_body(["tried"], tried=_TEXT, saved=_TEXT, stuck=_TEXT),
        ),
    },
    "/api/v1/cohorts/{cohort_id}/pairings": {
        "parameters": [path_param("cohort_id")],
        "post": _op("Pair the cohort for the next round (owners, facilitators)", status=201),
    },
    "/api/v1/communities/{community_id}/demos": {
        "parameters": [path_param("community_id")],
        "post": _op(
            "Record a demo someone gave (owners, facilitators)",
            status=201,
            body=_body(["person_id", "title"], person_id=_TEXT, title=_TEXT, cohort_id=_TEXT),
        ),
    },
    "/api/v1/communities/{community_id}/show-and-tell": {
        "parameters": [path_param("community_id")],
        "get": _op("Upcoming show-and-tell sessions"),
        "post": _op(
            "Start a weekly show-and-tell in the community's zone (owners, facilitators)",
            status=201,
            body=_body(
                ["weekday", "start"],
                weekday={"type": "integer", "minimum": 0, "maximum": 6},
                start={"type": "string", "description": "HH:MM"},
                minutes={"type": "integer"},
                capacity={"type": "integer", "description": "demo slots; later sign-ups wait"},
            ),
        ),
    },
    "/api/v1/communities/{community_id}/show-and-tell/signups": {
        "parameters": [path_param("community_id")],
        "post": _op(
            "Sign up to demo (members); a full session puts you on its waitlist",
            status=201,
            body=_body(
                ["start", "title"], start={"type": "string", "format": "date-time"}, title=_TEXT
            ),
        ),
    },
    "/api/v1/communities/{community_id}/show-and-tell/agenda": {
        "parameters": [path_param("community_id")],
        "get": _op(
            "The agenda of one session",
            params=[query_param("start", {"type": "string", "format": "date-time"})],
        ),
        "post": _op(
            "Send the agenda to members who have not paused notifications (hosts)",
            body=_body(["start"], start={"type": "string", "format": "date-time"}),
        ),
    },
    "/api/v1/communities/{community_id}/show-and-tell/audience": {
        "parameters": [path_param("community_id")],
        "post": _op(
            "Sign up to attend one session (members): an audience place, no demo slot taken; "
            "signing up again gives the same place",
            body=_body(["start"], start={"type": "string", "format": "date-time"}),
        ),
        "delete": _op(
            "Leave a session's audience; `left` is false when you were not in it",
            params=[query_param("start", {"type": "string", "format": "date-time"})],
        ),
    },
    "/api/v1/communities/{community_id}/show-and-tell/attendance": {
        "parameters": [path_param("community_id")],
        "post": _op(
            "Record who was there (hosts), after the session started: presenters and "
            "audience; the demos given are returned",
            body=_body(
                ["start", "attended"],
                start={"type": "string", "format": "date-time"},
                attended={"type": "array", "items": {"type": "string", "format": "uuid"}},
            ),
        ),
    },
    "/api/v1/community-show-and-tell/{booking_id}/invitation.ics": {
        "parameters": [path_param("booking_id")],
        "get": _op("The sign-up's calendar invitation (.ics)"),
    },
    "/api/v1/communities/{community_id}/leaderboard": {
        "parameters": [path_param("community_id")],
        "get": _op("Recognition leaderboard (unless the owners turned it off)", response=_LIST),
    },
    "/api/v1/community-recognition/{person_id}": {
        "parameters": [path_param("person_id")],
        "get": _op("A person's recognition counts"),
    },
    "/api/v1/community-analytics": {
        "get": _op("Outcome analytics for the organisation", params=_PERIOD),
    },
    "/api/v1/communities/{community_id}/analytics": {
        "parameters": [path_param("community_id")],
        "get": _op("Outcome analytics for one community", params=_PERIOD),
    },
    "/api/v1/community-digest/{person_id}": {
        "parameters": [path_param("person_id")],
        "get": _op("The weekly digest for a member"),
    },
}
