"""What the LTI use cases need from storage and from the key generator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from core.communities.model import Community
from core.lti.model import (
    CachedKey,
    CourseLink,
    LoginState,
    LtiSession,
    Placement,
    Platform,
    RegistrationToken,
    RosterMember,
    ToolKey,
)
from core.officehours.model import Booking, OfficeHoursType


class CourseRows(NamedTuple):
    """What a course page reads of a course, its organisation and its viewer."""

    links: Sequence[CourseLink]
    #: the organisation's communities, archived ones left out
    communities: Sequence[Community]
    roster: Sequence[RosterMember]
    #: every office-hours type of the organisation
    kinds: Sequence[OfficeHoursType]
    #: the viewer's bookings not over yet, by start
    bookings: Sequence[Booking]


#: makes a new RSA key pair: (kid, private key PEM, public JWK)
KeyFactory = Callable[[], tuple[str, str, dict[str, Any]]]


class LtiRepository(Protocol):
    # platforms ------------------------------------------------------------------------------
    async def add_platform(self, platform: Platform) -> None: ...

    async def update_platform(self, platform: Platform) -> None: ...

    async def get_platform(self, platform_id: UUID) -> Platform | None: ...

    async def platforms_for_issuer(self, issuer: str) -> Sequence[Platform]: ...

    async def list_platforms(self, organisation_id: UUID | None = None) -> Sequence[Platform]: ...

    async def get_auto_approve(self, organisation_id: UUID) -> bool: ...

    async def set_auto_approve(self, organisation_id: UUID, value: bool) -> None: ...

    # registration tokens ----------------------------------------------------------------------
    async def add_registration_token(self, token: RegistrationToken) -> None: ...

    async def registration_token(self, token_hash: str) -> RegistrationToken | None: ...

    async def registration_tokens(self, organisation_id: UUID) -> Sequence[RegistrationToken]: ...

    async def update_registration_token(self, token: RegistrationToken) -> None: ...

    # tool keys ------------------------------------------------------------------------------
    async def add_key(self, key: ToolKey) -> None: ...

    async def list_keys(self) -> Sequence[ToolKey]: ...

    async def retire_keys(self, when: datetime) -> None: ...

    # login states ---------------------------------------------------------------------------
    async def use_login(
        self, login: LoginState, when: datetime, deployment_id: str | None = None
    ) -> bool:
        """Record a login as used (`login.state` is the state's hash); False when that state
        or its nonce was used before (atomic: unique keys, one winner), or when the login's
        registration is not active (or does not list `deployment_id`) in storage now."""
        ...

    async def purge_logins(self, before: datetime) -> int: ...

    # platform key cache ---------------------------------------------------------------------
    async def cached_key(self, key_set_url: str, kid: str) -> CachedKey | None: ...

    async def cache_keys(self, keys: Sequence[CachedKey]) -> None: ...

    # sessions -------------------------------------------------------------------------------
    async def add_session(self, session: LtiSession) -> None: ...

    async def get_session(self, token_hash: str) -> LtiSession | None: ...

    # course links and rosters ---------------------------------------------------------------
    async def add_link(self, link: CourseLink) -> None: ...

    async def get_link(self, organisation_id: UUID, link_id: UUID) -> CourseLink | None: ...

    async def links_for_context(
        self, platform_id: UUID, context_id: str | None
    ) -> Sequence[CourseLink]: ...

    async def roster(self, platform_id: UUID, context_id: str) -> Sequence[RosterMember]: ...

    async def course_rows(
        self,
        organisation_id: UUID,
        platform_id: UUID,
        context_id: str,
        person_id: UUID,
        now: datetime,
        bookings: int,
    ) -> CourseRows:
        """The course's links and roster, the organisation's communities and office-hours
        types and the person's first `bookings` bookings ending after `now`, in one read."""
        ...

    async def replace_roster(
        self, platform_id: UUID, context_id: str, members: Sequence[RosterMember], when: datetime
    ) -> tuple[int, int, int]:
        """Store the roster; returns (joined, left, unchanged)."""
        ...

    async def count_launches(self, platform_id: UUID, context_id: str | None) -> int: ...

    async def placements_launched_by(self, person_id: UUID) -> Sequence[Placement]:
        """The course links someone has launched, on any platform."""
        ...

    async def upsert_placement(self, placement: Placement, exists: bool | None = None) -> None:
        """Store a placement; `exists` when the caller knows whether it is new (saves a read)."""
        ...

    async def placement(
        self, platform_id: UUID, context_id: str | None, resource_link_id: str
    ) -> Placement | None: ...

    async def placements(
        self, platform_id: UUID, context_id: str | None
    ) -> Sequence[Placement]: ...


class RosterSource(Protocol):
    """Names and Role Provisioning: every member of a course, across all pages."""

    async def fetch(self, platform: Platform, memberships_url: str) -> Sequence[RosterMember]: ...
