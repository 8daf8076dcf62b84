"""Platform registrations, tool keys, login states, launch sessions and course links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit
from uuid import UUID

from core.communities.model import Cohort
from core.errors import InvalidInput
from core.officehours.model import Booking, OfficeHoursType
from core.people.model import Person

RegistrationSource = Literal["manual", "dynamic"]
LinkKind = Literal["directory", "expert", "community", "cohort"]
LINK_KINDS: tuple[str, ...] = ("directory", "expert", "community", "cohort")

#: how long a login (state + nonce) may wait for its launch
LOGIN_TTL = timedelta(minutes=10)
#: how long a launched page session lasts
SESSION_TTL = timedelta(hours=8)
#: a launch asks for a roster sync when the last one is older than this
ROSTER_REFRESH = timedelta(hours=6)
#: how long a retired tool key stays published so platforms' caches can catch up
KEY_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class Platform:
    """One LMS registration: an issuer and the client id it gave the tool, in one organisation."""

    id: UUID
    organisation_id: UUID
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    name: str = ""
    active: bool = True
    deployment_ids: tuple[str, ...] = ()
    auth_audience: str | None = None
    source: RegistrationSource = "manual"
    created_at: datetime | None = None


@dataclass(frozen=True)
class ToolKey:
    """An RSA key the tool signs with; the newest unretired key signs, retired ones stay
    published until their grace period ends."""

    kid: str
    private_pem: str
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None = None

    def published(self, now: datetime) -> bool:
        return self.retired_at is None or self.retired_at + KEY_GRACE > now


@dataclass(frozen=True)
class LoginState:
    """What the OIDC login step issued, so the launch can be checked against it once."""

    state: str
    nonce: str
    platform_id: UUID
    target_link_uri: str
    #: sha256 of the secret the browser keeps (cookie or platform storage)
    browser_hash: str
    created_at: datetime
    expires_at: datetime
    storage_target: str | None = None
    used_at: datetime | None = None


@dataclass(frozen=True)
class CachedKey:
    key_set_url: str
    kid: str
    jwk: dict[str, Any]
    fetched_at: datetime


@dataclass(frozen=True)
class LtiSession:
    """A launched page session; its secret travels in the URL (iframes may block cookies)."""

    id: UUID
    #: sha256 of the bearer token
    token_hash: str
    organisation_id: UUID
    person_id: UUID
    platform_id: UUID
    deployment_id: str
    message_type: str
    roles: tuple[str, ...]
    context_id: str | None
    context_title: str | None
    resource_link_id: str | None
    claims: dict[str, Any]
    created_at: datetime
    expires_at: datetime

    @property
    def is_instructor(self) -> bool:
        return any(is_instructor_role(r) for r in self.roles)

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == "LtiDeepLinkingRequest"


@dataclass(frozen=True)
class CourseLink:
    """What a placement in a course shows: the expert directory for topics, one expert,
    a community or a cohort; `line_item_url` when completion is graded."""

    id: UUID
    organisation_id: UUID
    platform_id: UUID
    kind: LinkKind
    target: str
    title: str
    context_id: str | None = None
    topics: tuple[str, ...] = ()
    graded: bool = False
    line_item_url: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class RosterMember:
    user_id: str
    name: str | None
    email: str | None
    roles: tuple[str, ...]
    status: str = "Active"


@dataclass
class RosterSync:
    joined: int = 0
    left: int = 0
    unchanged: int = 0
    #: (person, community role) carried into the course's linked communities
    members: list[tuple[UUID, str]] = field(default_factory=list)


_INSTRUCTOR_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
    "Instructor",
    "TeachingAssistant",
    "ContentDeveloper",
)


def is_instructor_role(role: str) -> bool:
    return role in _INSTRUCTOR_ROLES or role.endswith(("#Instructor", "#Administrator"))


def clean_url(value: str, what: str, *, allow_http: bool = True) -> str:
    """An absolute http(s) URL, or a clear `InvalidInput`."""
    value = (value or "").strip()
    parts = urlsplit(value)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc:
        raise InvalidInput(f"{what} must be an absolute {' or '.join(schemes)} URL")
    if len(value) > 1000:
        raise InvalidInput(f"{what} is limited to 1000 characters")
    return value


def clean_text(value: str, what: str, limit: int = 255) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{what} is required")
    if len(value) > limit:
        raise InvalidInput(f"{what} is limited to {limit} characters")
    return value


@dataclass(frozen=True)
class Placement:
    """A resource link in a course as last launched: its services' endpoints and what it shows."""

    platform_id: UUID
    context_id: str | None
    resource_link_id: str
    title: str | None = None
    link_id: UUID | None = None
    lineitems_url: str | None = None
    lineitem_url: str | None = None
    ags_scopes: tuple[str, ...] = ()
    memberships_url: str | None = None
    updated_at: datetime | None = None
    roster_requested_at: datetime | None = None


@dataclass(frozen=True)
class CourseView:
    """What a course page shows, read in one transaction (see `LtiService.course_view`)."""

    placement: Placement | None
    link: CourseLink | None
    #: the placed cohort (a cohort or challenge link), when it still exists
    cohort: Cohort | None
    community_ids: tuple[UUID, ...]
    roster: tuple[RosterMember, ...]
    summary: dict[str, int]
    #: every office-hours type of the organisation (titles of past bookings included)
    kinds: tuple[OfficeHoursType, ...] = ()
    #: the active types the placement offers, at most MAX_OFFERED
    offered: tuple[OfficeHoursType, ...] = ()
    hosts: dict[UUID, Person] = field(default_factory=dict)
    #: the viewer's upcoming bookings and waitlist places
    bookings: tuple[Booking, ...] = ()


#: office-hours types listed on a course page
MAX_OFFERED = 12


def offered_kinds(
    link: CourseLink | None, kinds: Sequence[OfficeHoursType]
) -> list[OfficeHoursType]:
    """The active experts' office hours a placement offers (community sessions such as
    show-and-tell are signed up for in the community): one expert's, those matching the
    link's topics (in their topics, title or description), or all."""
    active = [t for t in kinds if t.owner_kind == "expert" and not t.paused and not t.archived]
    if link is not None and link.kind == "expert":
        return [t for t in active if str(t.host_id) == link.target]
    if link is not None and link.topics:
        wanted = {t.lower() for t in link.topics}
        return [
            t
            for t in active
            if wanted & {x.lower() for x in t.topics}
            or any(w in (t.title + " " + t.description).lower() for w in wanted)
        ]
    return active


@dataclass(frozen=True)
class Launched:
    """A launch that opened a page session: the session's bearer token (given once), who
    launched and the placement as the launch stored it."""

    session: LtiSession
    token: str
    person: Person
    placement: Placement | None
    #: the course page's view, when asked for with the launch
    view: CourseView | None = None


@dataclass(frozen=True)
class LaunchContext:
    """What a launch is checked against, read before its signature is verified: nothing in
    it is trusted until the checks pass."""

    platform: Platform
    jwk: dict[str, Any] | None
    login: LoginState | None


@dataclass(frozen=True)
class RegistrationToken:
    """The secret in a dynamic registration URL: it names the organisation, so the admin pastes
    one URL into the LMS. Only its sha256 is stored; it can be revoked and may expire."""

    id: UUID
    organisation_id: UUID
    token_hash: str
    created_at: datetime
    label: str = ""
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
