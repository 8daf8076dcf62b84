"""What the LTI pages share: the app's keys, the page session, CSRF-checked forms,
post/redirect/get, the viewer's local times and small reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from core.lti.errors import LtiRejected
from core.lti.model import LtiSession
from core.people.model import Person
from core.services import Services
from lti.pages import csrf_ok, csrf_token

lti_services_key = web.AppKey("lti_services", Services)
lti_secret_key = web.AppKey("lti_secret", str)


def services_of(request: web.Request) -> Services:
    """The services the tool was mounted with."""
    return request.app[lti_services_key]


async def session_of(request: web.Request) -> LtiSession:
    """The page session named by the bearer token in the URL (expired ones are refused)."""
    return await services_of(request).lti.session(request.match_info["token"])


async def checked_form(request: web.Request, session: LtiSession) -> dict[str, str]:
    """The posted form's text fields, once its CSRF token matches the page session."""
    form = await request.post()
    if not csrf_ok(request.app[lti_secret_key], str(session.id), str(form.get("csrf") or "")):
        raise LtiRejected("csrf", "this form has expired: reload the page and try again")
    return {k: v for k, v in form.items() if isinstance(v, str)}


def back(request: web.Request, notice: str, path: str = "") -> web.Response:
    """Post/redirect/get: back to the page (or a page under it) with a notice."""
    location = f"/lti/app/{request.match_info['token']}{path}?{urlencode({'notice': notice})}"
    return web.Response(status=303, headers={"Location": location})


def page_context(
    request: web.Request, session: LtiSession, token: str, person: Person
) -> dict[str, Any]:
    return {
        "person": person,
        "lang": (person.locale or "en").split("-")[0],
        "instructor": session.is_instructor,
        "course": session.context_title,
        "base": f"/lti/app/{token}",
        "csrf": csrf_token(request.app[lti_secret_key], str(session.id)),
    }


def local_time(when: datetime, zone: str) -> str:
    """A time in the viewer's zone, e.g. 'Tue 24 Mar, 14:30 CET'."""
    try:
        local = when.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = when.astimezone(UTC)
    return local.strftime("%a %d %b, %H:%M %Z")


async def people_of(services: Services, org: UUID, ids: list[UUID]) -> list[Any]:
    if not ids:
        return []
    async with services.uow() as uow:
        return list(await uow.people.get_many(org, ids))


async def ensure_member(services: Services, session: LtiSession, community_id: UUID) -> None:
    """Acting in a course's community (asking, joining a cohort, demoing) makes the viewer a
    member of it."""
    org, person = session.organisation_id, session.person_id
    found = await services.communities.get_community(org, community_id, person)
    if not (found.membership and found.membership.active):
        await services.communities.join(org, community_id, person)
