"""AGS scores and NRPS rosters through pylti1p3's service connector, in a worker thread,
with timeouts and access tokens cached per platform and scope set until they expire."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from adapters.lms.http import TimeoutSession
from adapters.lms.registration import pylti_registration
from core.delivery import DeliveryError, PermanentError, TransientError
from core.errors import NotFound
from core.lti.model import Platform, RosterMember, ToolKey
from core.outbox import OutboxMessage
from core.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINEITEM_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
RESULT_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
MEMBERSHIP = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
#: platforms grant tokens for an hour; renew a little early
TOKEN_LIFETIME = 3000.0


class CachingConnector(ServiceConnector):
    """pylti1p3's connector keeps tokens forever; this one forgets them after a lifetime."""

    def __init__(self, registration: Any, session: TimeoutSession) -> None:
        super().__init__(registration, session)
        self._born = time.monotonic()
        self.token_requests = 0

    @property
    def stale(self) -> bool:
        return time.monotonic() - self._born > TOKEN_LIFETIME

    def get_access_token(self, scopes: Sequence[str]) -> str:
        before = len(self._access_tokens)
        token: str = super().get_access_token(scopes)
        if len(self._access_tokens) > before:
            self.token_requests += 1
        return token


class LmsServices:
    """One per process; connectors (and their tokens) are kept per (platform, signing key)."""

    def __init__(self, uow: UnitOfWorkFactory, timeout: float = 10.0) -> None:
        self._uow = uow
        self._timeout = timeout
        self._connectors: dict[tuple[UUID, str], CachingConnector] = {}
        self._lock = threading.Lock()

    async def _registration(self, platform_id: UUID) -> tuple[Platform, ToolKey]:
        async with self._uow() as uow:
            platform = await uow.lti.get_platform(platform_id)
            keys = [k for k in await uow.lti.list_keys() if k.retired_at is None]
        if platform is None:
            raise NotFound("the platform of this score is no longer registered")
        if not keys:
            raise NotFound("the tool has no signing key yet")
        return platform, max(keys, key=lambda k: k.created_at)

    def connector(self, platform: Platform, key: ToolKey) -> CachingConnector:
        with self._lock:
            cached = self._connectors.get((platform.id, key.kid))
            if cached is None or cached.stale:
                cached = CachingConnector(
                    pylti_registration(platform, key), TimeoutSession(self._timeout)
                )
                self._connectors[(platform.id, key.kid)] = cached
            return cached

    # AGS --------------------------------------------------------------------------------------
    async def deliver(self, message: OutboxMessage) -> dict[str, Any]:
        """Send one `lms.score` outbox row to the platform's grade book; failures are
        classified for the worker (4xx: permanent, 429/5xx/network: retried)."""
        return await self.send_score(message.payload)

    async def send_score(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            platform, key = await self._registration(UUID(payload["platform_id"]))
        except NotFound as exc:
            raise PermanentError(exc.message) from None
        connector = self.connector(platform, key)
        try:
            return await asyncio.to_thread(_send_score, connector, payload)
        except LtiServiceException as exc:
            raise _classified(exc) from None
        except requests.RequestException as exc:
            raise TransientError(f"LMS unreachable: {type(exc).__name__}") from None
        except LtiException as exc:
            raise PermanentError(f"LMS refused the score: {exc}") from None

    # NRPS -------------------------------------------------------------------------------------
    async def fetch(self, platform: Platform, memberships_url: str) -> Sequence[RosterMember]:
        """Every member of a course, following `Link: rel="next"` pages."""
        _, key = await self._registration(platform.id)
        connector = self.connector(platform, key)
        return await asyncio.to_thread(_members, connector, memberships_url)


def _classified(exc: LtiServiceException) -> DeliveryError:
    response = exc.args[0] if exc.args else None
    status = getattr(response, "status_code", 0) or 0
    if status == 429 or status >= 500 or status == 0:
        retry_after = getattr(response, "headers", {}).get("Retry-After")
        try:
            hint = float(retry_after) if retry_after else None
        except ValueError:
            hint = None
        return TransientError(f"LMS answered {status}", retry_after=hint)
    if status == 401:
        return TransientError("LMS refused the access token", retry_after=None)
    return PermanentError(f"LMS answered {status}")


def _send_score(connector: CachingConnector, payload: dict[str, Any]) -> dict[str, Any]:
    scopes = [SCORE, LINEITEM_READ, RESULT_READ]
    if payload.get("can_create_lineitem"):
        scopes.append(LINEITEM)
    service_data: Any = {
        "scope": scopes,
        "lineitems": payload.get("lineitems_url") or "",
        "lineitem": payload.get("lineitem_url") or "",
    }
    ags = AssignmentsGradesService(connector, service_data)
    grade = (
        Grade()
        .set_score_given(payload["score_given"])
        .set_score_maximum(payload["score_maximum"])
        .set_timestamp(payload["timestamp"])
        .set_activity_progress(payload.get("activity_progress", "Completed"))
        .set_grading_progress(payload.get("grading_progress", "FullyGraded"))
        .set_user_id(payload["user_id"])
    )
    if payload.get("comment"):
        grade.set_comment(payload["comment"])
    line_item: LineItem | None = None
    if not payload.get("lineitem_url"):
        line_item = (
            LineItem()
            .set_tag(f"peerlearn:{payload.get('resource_link_id')}")
            .set_score_maximum(payload["score_maximum"])
            .set_label(payload.get("label") or "peerlearn")
            .set_resource_id(payload.get("resource_link_id") or "peerlearn")
        )
    response = ags.put_grade(grade, line_item)
    return {"status": response.get("status_code") if isinstance(response, dict) else None}


_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)
#: a roster larger than this many pages is cut off rather than fetched forever
MAX_PAGES = 500


def next_link(header: str) -> str | None:
    """The `rel=next` URL of a Link header, case preserved (pylti1p3 lower-cases URLs and
    only accepts a quoted rel)."""
    match = _NEXT.search(header.replace("\n", " "))
    return match.group(1) if match else None


def _members(connector: CachingConnector, url: str) -> list[RosterMember]:
    raw: list[Any] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url and next_url not in seen and len(seen) < MAX_PAGES:
        seen.add(next_url)
        page = connector.make_service_request(
            [MEMBERSHIP],
            next_url,
            accept="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
            case_insensitive_headers=True,
        )
        body: Any = page.get("body") or {}
        members: Any = body.get("members") if isinstance(body, dict) else None
        raw.extend(m for m in members or [] if isinstance(m, dict))
        next_url = next_link(str(page["headers"].get("Link") or ""))
    out: list[RosterMember] = []
    for m in raw:
        user_id = m.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            continue
        roles = m.get("roles") if isinstance(m.get("roles"), list) else []
        out.append(
            RosterMember(
                user_id=user_id,
                name=m.get("name") if isinstance(m.get("name"), str) else None,
                email=m.get("email") if isinstance(m.get("email"), str) else None,
                roles=tuple(r for r in roles or [] if isinstance(r, str)),
                status=str(m.get("status") or "Active"),
            )
        )
    return out
