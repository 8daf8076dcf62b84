"""The LTI 1.3 tool's HTTP endpoints: OIDC login, launch, JWKS, dynamic registration, and the
pages a launch opens (learner and instructor views, deep linking, roster sync)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import UUID

import aiohttp
from aiohttp import web
from pylti1p3.cookies_allowed_check import CookiesAllowedCheckPage
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem

from core.errors import PeerlearnError
from core.ids import parse_id
from core.lti.claims import DL, LTI
from core.lti.errors import LtiBadRequest, LtiRejected
from core.lti.model import CourseView, LtiSession, Platform
from core.lti.service import check_openid_configuration, sha256
from core.people.model import Person
from core.services import Services
from lti import learner
from lti.common import (
    back,
    checked_form,
    ensure_member,
    local_time,
    lti_secret_key,
    lti_services_key,
    page_context,
    people_of,
    services_of,
    session_of,
)
from lti.glue import (
    AiohttpCookieService,
    AiohttpMessageLaunch,
    AiohttpOIDCLogin,
    AiohttpRequest,
    DbToolConf,
    RequestStorage,
    tool_registration,
)
from lti.pages import SECURITY_HEADERS, error_page, render

log = logging.getLogger(__name__)

lti_http_key = web.AppKey("lti_http", aiohttp.ClientSession)
#: one key-set fetch at a time per platform (per process)
lti_locks_key = web.AppKey("lti_locks", dict[str, asyncio.Lock])

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: timeout for the tool's own calls to platforms (JWKS, OpenID configuration, registration)
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
MAX_FORM = 64 * 1024
#: free times offered per office-hours type on a course page
SLOTS_SHOWN = 6
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)


def _secure(request: web.Request) -> bool:
    return services_of(request).lti.tool_url.startswith("https://")


@web.middleware
async def lti_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /lti every failure is a 4xx page with a reason; nothing leaks, nothing is a 500."""
    if not request.path.startswith("/lti"):
        return await handler(request)
    try:
        return await handler(request)
    except PeerlearnError as exc:
        reason = str(exc.details.get("reason") or exc.code)
        log.info("lti %s refused: %s (%s)", request.path, reason, exc.message)
        return error_page(exc.status, reason, exc.message)
    except web.HTTPException as exc:
        if exc.status >= 400:
            return error_page(exc.status, "http", exc.reason)
        raise
    except Exception:
        log.exception("unexpected failure on %s %s", request.method, request.path)
        return error_page(400, "unprocessable", "the request could not be processed")


# JWKS ---------------------------------------------------------------------------------------
async def jwks(request: web.Request) -> web.Response:
    keys = await services_of(request).lti.published_keys()
    return web.json_response({"keys": keys}, headers={"Cache-Control": "public, max-age=300"})


# OIDC login ---------------------------------------------------------------------------------
async def login(request: web.Request) -> web.Response:
    req = await AiohttpRequest.read(request, _secure(request))
    service = services_of(request).lti
    if (
        request.headers.get("Sec-Fetch-Dest") == "iframe"
        and not req.get_param("lti_storage_target")
        and not req.get_param("lti1p3_new_window")
    ):
        # inside an LMS iframe without platform storage: pylti1p3's check page tests whether
        # the browser keeps cookies here, and offers to open peerlearn in a new tab if not
        return _cookie_check(req)
    platform, state, secret = await service.begin_login(
        issuer=req.get_param("iss") or None,
        login_hint=req.get_param("login_hint") or None,
        target_link_uri=req.get_param("target_link_uri") or None,
        client_id=req.get_param("client_id") or None,
        deployment_id=req.get_param("lti_deployment_id") or None,
        storage_target=req.get_param("lti_storage_target") or None,
    )
    conf = DbToolConf(platform, tool_registration(platform, None, None))
    oidc = AiohttpOIDCLogin(req, conf, state.state.removeprefix("state-"), state.nonce)
    try:
        redirect = oidc.get_redirect_object(service.launch_url)
    except (OIDCException, LtiException) as exc:
        raise LtiRejected("login", str(exc)) from None
    # the state cookie carries the browser secret, not the state itself
    oidc.cookies.set_cookie(state.state, secret, 600)
    if state.storage_target:
        response = render(
            "storage.html",
            action=redirect.get_redirect_url(),
            fields={},
            new_window_url=_new_window_url(req, service.tool_url),
            config={
                "mode": "put",
                "target": state.storage_target,
                "origin": _origin(platform.auth_login_url),
                "key": f"peerlearn-{state.state}",
                "value": secret,
                "next": redirect.get_redirect_url(),
            },
        )
        oidc.cookies.update_response(response)
        return response
    return redirect.do_redirect()


def _cookie_check(req: AiohttpRequest) -> web.Response:
    keys = (
        "iss",
        "login_hint",
        "target_link_uri",
        "lti_message_hint",
        "lti_deployment_id",
        "client_id",
    )
    params = {"lti1p3_new_window": "1"}
    params.update({k: req.get_param(k) for k in keys if req.get_param(k)})
    page = CookiesAllowedCheckPage(
        params,
        "https" if req.is_secure() else "http",
        "Your browser does not let peerlearn keep its sign-in inside this course page.",
        "Open peerlearn in a new tab",
        "Opening peerlearn…",
    ).get_html()
    page = page.replace("<title></title>", "<title>Opening peerlearn</title>", 1)
    return web.Response(text=page, content_type="text/html", headers=SECURITY_HEADERS)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _new_window_url(req: AiohttpRequest, tool_url: str) -> str:
    keys = (
        "iss",
        "login_hint",
        "target_link_uri",
        "lti_message_hint",
        "lti_deployment_id",
        "client_id",
    )
    params = {k: req.get_param(k) for k in keys if req.get_param(k)}
    return f"{tool_url}/lti/login?{urlencode(params)}"


# launch -------------------------------------------------------------------------------------
def _decode_segment(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def _unverified(id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    parts = id_token.split(".")
    if len(parts) != 3:
        raise LtiBadRequest("id_token", "the id_token is not a signed JWT")
    try:
        return _decode_segment(parts[0]), _decode_segment(parts[1])
    except (ValueError, UnicodeDecodeError):
        raise LtiBadRequest("id_token", "the id_token cannot be decoded") from None


async def _platform_key(request: web.Request, platform: Platform, kid: str) -> dict[str, Any]:
    """The platform key for `kid` from the cache; one re-fetch of the JWKS on an unknown kid."""
    service = services_of(request).lti
    jwk = await service.cached_key(platform.key_set_url, kid)
    if jwk is not None:
        return jwk
    # concurrent launches with a new key fetch the key set once, not once each
    locks = request.app[lti_locks_key]
    async with locks.setdefault(platform.key_set_url, asyncio.Lock()):
        jwk = await service.cached_key(platform.key_set_url, kid)
        if jwk is not None:
            return jwk
        return await _fetch_key(request, platform, kid)


async def _fetch_key(request: web.Request, platform: Platform, kid: str) -> dict[str, Any]:
    service = services_of(request).lti
    try:
        async with request.app[lti_http_key].get(platform.key_set_url) as resp:
            resp.raise_for_status()
            body = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        log.warning("could not fetch the key set of %s", platform.issuer, exc_info=True)
        raise LtiRejected("jwks", "the platform's key set could not be fetched") from None
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list):
        raise LtiRejected("jwks", "the platform's key set is not a JWKS document")
    await service.cache_keys(platform.key_set_url, keys)
    jwk = await service.cached_key(platform.key_set_url, kid)
    if jwk is None:
        raise LtiRejected("kid", "the id_token is signed with a key the platform does not publish")
    return jwk


async def launch(request: web.Request) -> web.Response:
    if request.content_length and request.content_length > MAX_FORM:
        raise LtiBadRequest("too_large", "the launch request is too large")
    req = await AiohttpRequest.read(request, _secure(request))
    service = services_of(request).lti
    id_token, state = req.get_param("id_token"), req.get_param("state")
    if not id_token:
        raise LtiBadRequest("id_token", "the launch carries no id_token")
    if not state:
        raise LtiBadRequest("state", "the launch carries no state")
    header, claims = _unverified(id_token)
    if header.get("alg") != "RS256":
        raise LtiRejected("alg", "only RS256-signed id_tokens are accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise LtiRejected("kid", "the id_token names no signing key (kid)")
    context = await service.launch_context(claims, kid, state)
    platform, jwk, login_state = context.platform, context.jwk, context.login
    cookies = AiohttpCookieService(req)
    secret = cookies.get_cookie(state) or req.get_param("lti_browser") or None
    if secret is None and login_state is not None and login_state.storage_target:
        # cookies blocked in the iframe: read the browser secret back from platform storage
        return render(
            "storage.html",
            action=service.launch_url,
            fields={"id_token": id_token, "state": state},
            new_window_url=service.tool_url + "/lti/",
            config={
                "mode": "get",
                "target": login_state.storage_target,
                "origin": _origin(platform.auth_login_url),
                "key": f"peerlearn-{state}",
            },
        )
    service.check_launch(platform, claims, login_state, browser_secret=secret)
    if jwk is None:
        jwk = await _platform_key(request, platform, kid)
    registration = tool_registration(platform, None, {"keys": [jwk]})
    storage = RequestStorage()
    if login_state is not None and login_state.used_at is None:
        # what pylti1p3 checks, as the sealed login says it: the nonce was issued, and this
        # browser holds the login's secret (the core checks again, and uses the login once)
        storage.values[f"lti1p3-nonce-{login_state.nonce}"] = True
        if secret and hmac.compare_digest(login_state.browser_hash, sha256(secret)):
            token_hash = hashlib.md5(id_token.encode(), usedforsecurity=False).hexdigest()
            storage.values[f"lti1p3-{state}-id-token-hash"] = token_hash
    message = AiohttpMessageLaunch(req, DbToolConf(platform, registration), storage)
    # the platform key is already loaded and parsed once per key: validation is a millisecond
    # of CPU work with no I/O, cheaper on the loop than handed to a thread and back
    try:
        message.validate()
    except LtiException as exc:
        raise LtiRejected("id_token", f"the launch is not valid: {exc}") from None
    # who the launch is for is read in the launch's own transaction, once it is verified
    launched = await service.complete_launch(
        platform,
        message.claims(),
        state=state,
        browser_secret=secret,
        login=login_state,
        with_view=True,
    )
    # the first page comes in the launch response (no redirect, no second request); its own
    # address replaces the launch in the browser's history, so a reload reads the page
    response = await _course_page(
        request, launched.session, launched.token, launched.person, view=launched.view
    )
    response.headers["Content-Location"] = f"/lti/app/{launched.token}"
    response.del_cookie(f"lti1p3-{state}", path="/lti/")
    return response


# pages ----------------------------------------------------------------------------------------
async def _experts(
    services: Services, session: LtiSession, view: CourseView, zone: str
) -> list[dict[str, Any]]:
    """The office hours the placement offers, each with its next free slots."""
    now = services.clock.now()
    out: list[dict[str, Any]] = []
    for kind in view.offered:
        free = await services.office_hours.slots(
            session.organisation_id, kind.id, now, now + timedelta(days=21), include_full=False
        )
        host = view.hosts.get(kind.host_id)
        out.append(
            {
                "type": kind,
                "host": host.name if host else "",
                "slots": [
                    {"iso": s.start_utc.isoformat(), "label": local_time(s.start_utc, zone)}
                    for s in free[:SLOTS_SHOWN]
                ],
            }
        )
    return out


async def home(request: web.Request) -> web.Response:
    session = await session_of(request)
    person = await services_of(request).people.get_person(
        session.organisation_id, session.person_id
    )
    notice = request.query.get("notice", "")[:200]
    return await _course_page(request, session, request.match_info["token"], person, notice)


async def _course_page(
    request: web.Request,
    session: LtiSession,
    token: str,
    person: Person,
    notice: str = "",
    view: CourseView | None = None,
) -> web.Response:
    services = services_of(request)
    context = page_context(request, session, token, person)
    zone = person.time_zone
    org = session.organisation_id
    if session.is_deep_linking:
        kinds = await services.office_hours.list_types(org)
        hosts = {p.id: p.name for p in await people_of(services, org, [k.host_id for k in kinds])}
        experts = sorted(
            {(str(k.host_id), hosts.get(k.host_id, "")) for k in kinds}, key=lambda e: e[1]
        )
        communities = [v.community for v in await services.communities.list_communities(org)]
        cohorts = await _placeable_cohorts(services, org, communities)
        return render(
            "deep_link.html",
            experts=experts,
            communities=communities,
            cohorts=cohorts,
            **context,
        )
    if view is None:
        view = await services.lti.course_view(session)
    bookings, waitlist = await learner.booking_rows(services, session, view, zone)
    return render(
        "home.html",
        link=view.link,
        cohort=await _cohort_panel(services, session, view),
        community=await _course_community(services, session, view, zone),
        experts=await _experts(services, session, view, zone),
        bookings=bookings,
        waitlist=waitlist,
        roster=view.roster,
        summary=view.summary,
        notice=notice,
        **context,
    )


async def _course_community(
    services: Services, session: LtiSession, view: CourseView, zone: str
) -> dict[str, Any] | None:
    """The course community: its library, questions, cohorts and show-and-tell; outcomes for
    instructors."""
    ids = view.community_ids
    if not ids:
        return None
    org, viewer = session.organisation_id, session.person_id
    communities = services.communities
    try:
        found = await communities.get_community(org, ids[0], viewer)
        posts = await communities.list_posts(org, ids[0], viewer, limit=5)
        questions = await communities.list_questions(org, ids[0], viewer, limit=5)
        cohorts = await communities.cohorts(org, ids[0], viewer)
    except PeerlearnError:
        # an approval-only community the viewer has not joined: show its name only
        return {
            "id": ids[0],
            "name": "",
            "posts": [],
            "questions": [],
            "cohorts": [],
            "show": None,
            "member": False,
        }
    report = await communities.analytics(org, ids[0]) if session.is_instructor else None
    return {
        "id": ids[0],
        "name": found.community.name,
        "purpose": found.community.purpose,
        "posts": posts,
        "questions": questions,
        "cohorts": cohorts,
        "report": report,
        "show": await learner.show_and_tell(services, session, ids[0], zone, view),
        "member": learner.contributes(found),
    }


async def _placeable_cohorts(
    services: Services, org: UUID, communities: Sequence[Any]
) -> list[dict[str, str]]:
    """Cohorts and challenges an instructor can place: those not over yet, by community."""
    names = {c.id: c.name for c in communities}
    today = services.clock.now().date()
    async with services.uow() as uow:
        found = [
            cohort
            for community_id in names
            for cohort in await uow.cohorts.list(org, community_id)
            if cohort.ends_on >= today
        ]
    return [{"id": str(c.id), "name": f"{c.name} ({names.get(c.community_id, '')})"} for c in found]


async def _cohort_panel(
    services: Services, session: LtiSession, view: CourseView
) -> dict[str, Any] | None:
    """The placed cohort or challenge: its goal, dates and the viewer's progress."""
    if view.link is None or view.link.kind != "cohort" or view.cohort is None:
        return None
    org, viewer = session.organisation_id, session.person_id
    try:
        found = await services.communities.cohort(org, view.cohort.id, viewer)
    except PeerlearnError:
        return {"cohort": view.cohort, "readable": False}
    mine = next((p for p in found.progress if p.person_id == viewer), None)
    today = services.clock.now().date()
    return {
        "cohort": found.cohort,
        "readable": True,
        "enrolled": mine is not None,
        "progress": mine,
        "completed": mine is not None and mine.completed_at is not None,
        "participants": len(found.progress),
        "open": found.cohort.starts_on <= today <= found.cohort.ends_on,
        "ended": today > found.cohort.ends_on,
    }


async def _placed_cohort(request: web.Request, session: LtiSession, form: dict[str, str]) -> UUID:
    """The cohort a form acts on: only the one placed where this page was launched."""
    cohort_id = parse_id(form.get("cohort_id", ""), "cohort")
    view = await services_of(request).lti.course_view(session)
    if view.cohort is None or view.cohort.id != cohort_id:
        raise LtiRejected("cohort", "that cohort is not placed in this course")
    return cohort_id


async def cohort_join(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    cohort_id = await _placed_cohort(request, session, form)
    services = services_of(request)
    cohort = await services.communities.cohort(session.organisation_id, cohort_id)
    # joining a cohort placed in the course makes the learner a member of its community
    await ensure_member(services, session, cohort.cohort.community_id)
    await services.communities.join_cohort(session.organisation_id, cohort_id, session.person_id)
    return back(request, "You have joined the cohort.")


async def cohort_check_in(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    cohort_id = await _placed_cohort(request, session, form)
    await services_of(request).communities.check_in(
        session.organisation_id,
        cohort_id,
        session.person_id,
        form.get("tried", ""),
        form.get("saved", ""),
        form.get("stuck", ""),
    )
    return back(request, "Check-in saved.")


async def cohort_leave(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    cohort_id = await _placed_cohort(request, session, form)
    await services_of(request).communities.leave_cohort(
        session.organisation_id, cohort_id, session.person_id
    )
    return back(request, "You have left the cohort.")


async def ask(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    services = services_of(request)
    community_id = parse_id(form.get("community_id", ""), "community")
    if community_id not in (await services.lti.course_view(session)).community_ids:
        raise LtiRejected("community", "that community is not part of this course")
    # asking in the course community makes the learner a member of it
    await ensure_member(services, session, community_id)
    await services.communities.ask(
        session.organisation_id,
        community_id,
        session.person_id,
        form.get("title", ""),
        form.get("body", ""),
    )
    return back(request, "Your question is posted: the community's experts are notified.")


async def book(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    try:
        start = datetime.fromisoformat(form.get("start", ""))
    except ValueError:
        raise LtiBadRequest("start", "pick one of the offered times") from None
    if start.tzinfo is None:
        raise LtiBadRequest("start", "pick one of the offered times")
    type_id = parse_id(form.get("type_id", ""), "office hours")
    result = await services_of(request).office_hours.book(
        session.organisation_id,
        type_id,
        session.person_id,
        start,
        note=form.get("note", "")[:1000],
        idempotency_key=f"lti-{session.id.hex[:16]}-{type_id.hex[:8]}-{int(start.timestamp())}",
    )
    status = result.booking.status
    notice = {
        "confirmed": "Booked: you will find the invitation in your calendar.",
        "pending": "Requested: the expert confirms the session.",
        "waitlisted": "That time is full: you are on its waitlist.",
    }.get(status, "Booking recorded.")
    return back(request, notice)


async def cancel(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    services = services_of(request)
    booking_id = parse_id(form.get("booking_id", ""), "booking")
    booking = await services.office_hours.get_booking(session.organisation_id, booking_id)
    if booking.person_id != session.person_id:
        raise LtiRejected("booking", "you can only cancel your own bookings")
    await services.office_hours.cancel(
        session.organisation_id, booking_id, "cancelled from the course", by=session.person_id
    )
    return back(request, "Cancelled.")


async def roster_sync(request: web.Request) -> web.Response:
    session = await session_of(request)
    await checked_form(request, session)
    if not session.is_instructor:
        raise LtiRejected("role", "only instructors can sync the roster")
    result = await services_of(request).lti.sync_roster(session)
    notice = (
        f"Roster synced: {result.joined} joined, {result.left} left, {result.unchanged} unchanged."
    )
    return back(request, notice)


async def deep_link(request: web.Request) -> web.Response:
    session = await session_of(request)
    form = await checked_form(request, session)
    service = services_of(request).lti
    link = await service.create_link(
        session,
        kind=form.get("kind", ""),
        target=form.get("target", ""),
        title=form.get("title", ""),
        topics=form.get("topics", "").split(","),
        graded=form.get("graded") == "1",
    )
    settings: Any = session.claims.get(DL + "deep_linking_settings") or {}
    platform = await service.platform(session.platform_id)
    key = await service.signing_key()
    registration = tool_registration(platform, key.private_pem, None)
    resource = (
        DeepLinkResource()
        .set_url(service.launch_url)
        .set_title(link.title)
        .set_custom_params({"peerlearn_link": str(link.id)})
    )
    if link.graded:
        resource.set_lineitem(
            LineItem()
            .set_score_maximum(1)
            .set_label(link.title)
            .set_resource_id(str(link.id))
            .set_tag("peerlearn")
        )
    dl = DeepLink(registration, session.deployment_id, settings)
    token = await asyncio.to_thread(dl.get_response_jwt, [resource])
    return render("autopost.html", action=settings["deep_link_return_url"], fields={"JWT": token})


# dynamic registration -----------------------------------------------------------------------
async def register(request: web.Request) -> web.Response:
    services = services_of(request)
    config_url = request.query.get("openid_configuration", "")
    token = request.query.get("registration_token", "")
    if not config_url.startswith(("https://", "http://")):
        raise LtiBadRequest(
            "openid_configuration", "the registration link has no openid_configuration URL"
        )
    org_id, vouched = await _registering_organisation(request)
    http = request.app[lti_http_key]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with http.get(config_url, headers=headers) as resp:
            resp.raise_for_status()
            config = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        raise LtiRejected(
            "openid_configuration", "the platform's OpenID configuration could not be read"
        ) from None
    if not isinstance(config, dict):
        raise LtiRejected(
            "openid_configuration", "the platform's OpenID configuration is not a JSON object"
        )
    endpoints = check_openid_configuration(config_url, config)
    tool = services.lti.tool_url
    body = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{tool}/lti/login",
        "redirect_uris": [f"{tool}/lti/launch"],
        "client_name": "peerlearn",
        "jwks_uri": f"{tool}/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(tool).netloc,
            "target_link_uri": f"{tool}/lti/launch",
            "description": "Ask your organisation's experts, book office hours, join communities.",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": f"{tool}/lti/launch"},
                {"type": "LtiDeepLinkingRequest", "target_link_uri": f"{tool}/lti/launch"},
            ],
        },
    }
    try:
        async with http.post(
            endpoints["registration_endpoint"], json=body, headers=headers
        ) as resp:
            resp.raise_for_status()
            answer = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        raise LtiRejected(
            "registration", "the platform refused or failed the registration"
        ) from None
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise LtiRejected("registration", "the platform's registration answer has no client_id")
    tool_conf = (
        answer.get(TOOL_CONFIGURATION) if isinstance(answer.get(TOOL_CONFIGURATION), dict) else {}
    )
    deployment_id = tool_conf.get("deployment_id") if isinstance(tool_conf, dict) else None
    platform_conf = config.get(PLATFORM_CONFIGURATION) or {}
    platform = await services.lti.register_dynamic(
        org_id,
        endpoints,
        client_id,
        deployment_id if isinstance(deployment_id, str) else None,
        platform_name=str(platform_conf.get("product_family_code") or "")[:200],
        vouched=vouched,
    )
    return render("registered.html", platform=platform)


async def _registering_organisation(request: web.Request) -> tuple[UUID, bool]:
    """Which organisation a registration is for, and whether its own registration URL vouches
    for it: the secret in the URL `peerlearn lti register-url` printed; else `?org=` or, on a
    single-organisation installation, the bare URL (those always wait for approval)."""
    services = services_of(request)
    secret = request.match_info.get("secret", "")
    if secret:
        return await services.lti.registration_organisation(secret), True
    org_ref = request.query.get("org", "")
    if org_ref:
        return (await services.people.organisation(org_ref)).id, False
    sole = await services.lti.sole_organisation()
    if sole is None:
        raise LtiBadRequest(
            "org",
            "this registration URL names no organisation: use the one "
            "`peerlearn lti register-url --org …` prints",
        )
    return sole, False


async def _http_client(app: web.Application) -> Any:
    async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
        app[lti_http_key] = session
        yield


def setup(app: web.Application, services: Services, secret: str) -> None:
    """Mount the LTI tool on `app` (called from the composition root)."""
    app[lti_services_key] = services
    app[lti_secret_key] = secret
    app[lti_locks_key] = {}
    app.middlewares.append(lti_errors)
    app.cleanup_ctx.append(_http_client)

    async def signing_key(_: web.Application) -> None:
        # the tool has a key to publish and sign with before the first platform asks
        await services.lti.signing_key()

    app.on_startup.append(signing_key)
    app.router.add_route("GET", "/lti/login", login)
    app.router.add_route("POST", "/lti/login", login)
    app.router.add_post("/lti/launch", launch)
    app.router.add_get("/lti/jwks", jwks)
    app.router.add_get("/.well-known/jwks.json", jwks)
    app.router.add_get("/lti/register", register)
    app.router.add_get("/lti/register/{secret}", register)
    app.router.add_get("/lti/app/{token}", home)
    app.router.add_post("/lti/app/{token}/roster", roster_sync)
    app.router.add_post("/lti/app/{token}/deep-link", deep_link)
    app.router.add_post("/lti/app/{token}/book", book)
    app.router.add_post("/lti/app/{token}/cancel", cancel)
    app.router.add_post("/lti/app/{token}/ask", ask)
    app.router.add_post("/lti/app/{token}/cohort/join", cohort_join)
    app.router.add_post("/lti/app/{token}/cohort/check-in", cohort_check_in)
    app.router.add_post("/lti/app/{token}/cohort/leave", cohort_leave)
    learner.add_routes(app)


__all__ = ["LTI", "setup"]
