"""LTI use cases: registrations, tool keys, login → launch, sessions, links, scores, rosters."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from core.clock import Clock
from core.communities.model import Cohort, Community, Membership
from core.errors import Conflict, InvalidInput, NotFound, PeerlearnError, PersonNotFound
from core.ids import new_id
from core.lti import loginstate
from core.lti.claims import (
    AGS,
    LTI,
    NRPS,
    LaunchClaims,
    check_audience,
    check_message,
    check_times,
    within_tool,
)
from core.lti.errors import LtiBadRequest, LtiRejected, SessionExpired, UnknownPlatform
from core.lti.model import (
    LINK_KINDS,
    LOGIN_TTL,
    MAX_OFFERED,
    ROSTER_REFRESH,
    SESSION_TTL,
    CachedKey,
    CourseLink,
    CourseView,
    LaunchContext,
    Launched,
    LinkKind,
    LoginState,
    LtiSession,
    Placement,
    Platform,
    RegistrationSource,
    RegistrationToken,
    RosterMember,
    RosterSync,
    ToolKey,
    clean_text,
    clean_url,
    is_instructor_role,
    offered_kinds,
)
from core.lti.ports import KeyFactory, RosterSource
from core.outbox import OutboxMessage, OutboxTopic
from core.people.model import ExternalIdentity, Person
from core.people.service import IdentityHints, PeopleService
from core.ports import UnitOfWork, UnitOfWorkFactory

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
#: placements remembered per process, and for how long (see `complete_launch`)
PLACEMENTS_CACHED = 10_000
PLACEMENT_CACHE_SECONDS = 300.0
#: seconds between re-reads of the login-state keys when a state does not open
STATE_KEYS_REFRESH = 5.0
#: a course page's upcoming bookings, at most
BOOKINGS_SHOWN = 100
#: used logins are purged once expired, on about one launch in this many
PURGE_EVERY = 50
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
#: how long a process trusts the registrations it read (changes made through this process are
#: seen at once; another process's `platform disable` at the next launch, which uses its login
#: only while the registration is active in storage)
PLATFORM_CACHE_SECONDS = 30.0
#: an issuer's registrations are read again, at most this often, when what the process cached
#: would refuse a login or launch (unknown issuer or client, registration not active, deployment
#: not listed): another process's approval or new deployment shows within about this long
PLATFORM_RECHECK_SECONDS = 1.0
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def check_openid_configuration(config_url: str, config: Mapping[str, Any]) -> dict[str, str]:
    """LTI Dynamic Registration §3.5.1: the configuration URL must begin with the issuer it
    declares, and every endpoint the tool needs must be there. Returns the endpoints."""
    issuer = config.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise LtiRejected("issuer", "the platform's OpenID configuration names no issuer")
    if not config_url.startswith(issuer.rstrip("/") + "/") and config_url != issuer:
        raise LtiRejected(
            "issuer", "the OpenID configuration URL does not belong to the issuer it declares"
        )
    if urlsplit(config_url).netloc != urlsplit(issuer).netloc:
        raise LtiRejected("issuer", "the issuer and the configuration URL differ in host")
    needed = {
        "authorization_endpoint": "auth_login_url",
        "token_endpoint": "auth_token_url",
        "jwks_uri": "key_set_url",
        "registration_endpoint": "registration_endpoint",
    }
    out: dict[str, str] = {"issuer": issuer}
    for key, name in needed.items():
        value = config.get(key)
        if not isinstance(value, str) or not value:
            raise LtiRejected(key, f"the platform's OpenID configuration has no {key}")
        out[name] = clean_url(value, key)
    if not isinstance(config.get(PLATFORM_CONFIGURATION), dict):
        raise LtiRejected("platform_configuration", "the platform does not describe itself as LTI")
    algs = config.get("id_token_signing_alg_values_supported")
    if isinstance(algs, list) and "RS256" not in algs:
        raise LtiRejected("alg", "the platform does not sign with RS256")
    return out


class LtiService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        people: PeopleService,
        key_factory: KeyFactory,
        tool_url: str,
        roster_source: RosterSource | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._people = people
        self._key_factory = key_factory
        self.tool_url = tool_url.rstrip("/")
        self._roster_source = roster_source
        #: issuer -> (monotonic expiry, monotonic time read, its registrations); see
        #: PLATFORM_CACHE_SECONDS and PLATFORM_RECHECK_SECONDS
        self._by_issuer: dict[str, tuple[float, float, tuple[Platform, ...]]] = {}
        #: platform JWKs by (key set URL, kid): a kid names one key for good
        self._platform_keys: dict[tuple[str, str], dict[str, Any]] = {}
        #: course placements as this process last stored them, by (platform, resource link)
        self._placements: dict[tuple[UUID, str], tuple[float, Placement]] = {}
        #: login-state sealing keys, newest first, and when they were read (monotonic)
        self._sealing: list[bytes] = []
        self._sealing_read = 0.0

    @property
    def tool_prefixes(self) -> tuple[str, ...]:
        return (self.tool_url + "/lti",)

    @property
    def launch_url(self) -> str:
        return self.tool_url + "/lti/launch"

    # registrations --------------------------------------------------------------------------
    def _forget_platforms(self) -> None:
        self._by_issuer.clear()

    def _fresh_platforms(self, issuer: str) -> Sequence[Platform] | None:
        cached = self._by_issuer.get(issuer)
        return cached[2] if cached is not None and cached[0] > time.monotonic() else None

    async def _issuer_platforms(self, uow: UnitOfWork, issuer: str) -> Sequence[Platform]:
        """The registrations of an issuer, from the process cache while it is fresh."""
        now = time.monotonic()
        cached = self._fresh_platforms(issuer)
        if cached is not None:
            return cached
        found = tuple(await uow.lti.platforms_for_issuer(issuer))
        if len(self._by_issuer) > 1000:
            self._by_issuer.clear()
        self._by_issuer[issuer] = (now + PLATFORM_CACHE_SECONDS, now, found)
        return found

    async def _registrations(self, issuer: str) -> Sequence[Platform]:
        candidates = self._fresh_platforms(issuer)
        if candidates is None:
            async with self._uow() as uow:
                candidates = await self._issuer_platforms(uow, issuer)
        return candidates

    async def _reread(self, issuer: str) -> Sequence[Platform] | None:
        """The issuer's registrations read again, when the cached ones would refuse a request
        and were read over PLATFORM_RECHECK_SECONDS ago; None when they were read just now."""
        cached = self._by_issuer.get(issuer)
        if cached is not None and cached[1] + PLATFORM_RECHECK_SECONDS > time.monotonic():
            return None
        self._by_issuer.pop(issuer, None)
        return await self._registrations(issuer)

    def _cached_platform(self, platform_id: UUID) -> Platform | None:
        now = time.monotonic()
        for expires, _, platforms in self._by_issuer.values():
            if expires > now:
                for p in platforms:
                    if p.id == platform_id:
                        return p
        return None

    async def add_platform(
        self,
        organisation_id: UUID,
        *,
        issuer: str,
        client_id: str,
        auth_login_url: str,
        auth_token_url: str,
        key_set_url: str,
        deployment_ids: Sequence[str] = (),
        name: str = "",
        active: bool = True,
        auth_audience: str | None = None,
        source: RegistrationSource = "manual",
    ) -> Platform:
        """Register a platform, or add deployments to the same (issuer, client id)."""
        issuer = clean_url(issuer, "issuer")
        client_id = clean_text(client_id, "client id")
        deployments = tuple(dict.fromkeys(clean_text(d, "deployment id") for d in deployment_ids))
        platform = Platform(
            id=new_id(),
            organisation_id=organisation_id,
            issuer=issuer,
            client_id=client_id,
            auth_login_url=clean_url(auth_login_url, "auth login URL"),
            auth_token_url=clean_url(auth_token_url, "auth token URL"),
            key_set_url=clean_url(key_set_url, "key set URL"),
            name=(name or "").strip()[:200] or urlsplit(issuer).netloc,
            active=active,
            deployment_ids=deployments,
            auth_audience=auth_audience or None,
            source=source,
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            if not await uow.organisations.get(organisation_id):
                raise NotFound("no such organisation")
            for existing in await uow.lti.platforms_for_issuer(issuer):
                if existing.client_id != client_id:
                    continue
                if existing.organisation_id != organisation_id:
                    raise Conflict("this issuer and client id belong to another organisation")
                merged = tuple(dict.fromkeys(existing.deployment_ids + deployments))
                platform = replace(existing, deployment_ids=merged)
                await uow.lti.update_platform(platform)
                await uow.commit()
                self._forget_platforms()
                return platform
            await uow.lti.add_platform(platform)
            await uow.commit()
        self._forget_platforms()
        return platform

    async def platforms(self, organisation_id: UUID | None = None) -> Sequence[Platform]:
        async with self._uow() as uow:
            return await uow.lti.list_platforms(organisation_id)

    async def platform(self, platform_id: UUID) -> Platform:
        cached = self._cached_platform(platform_id)
        if cached is not None:
            return cached
        async with self._uow() as uow:
            found = await uow.lti.get_platform(platform_id)
        if found is None:
            raise UnknownPlatform("no such platform registration")
        return found

    async def set_active(self, platform_id: UUID, active: bool) -> Platform:
        """Approve (activate) or disable a registration."""
        async with self._uow() as uow:
            found = await uow.lti.get_platform(platform_id)
            if found is None:
                raise UnknownPlatform("no such platform registration")
            updated = replace(found, active=active)
            await uow.lti.update_platform(updated)
            await uow.commit()
        self._forget_platforms()
        return updated

    async def set_auto_approve(self, organisation_id: UUID, value: bool) -> None:
        async with self._uow() as uow:
            await uow.lti.set_auto_approve(organisation_id, value)
            await uow.commit()

    async def register_dynamic(
        self,
        organisation_id: UUID,
        endpoints: Mapping[str, str],
        client_id: str,
        deployment_id: str | None,
        platform_name: str = "",
        *,
        vouched: bool = True,
    ) -> Platform:
        """Store a dynamic registration: inactive until approved unless the organisation
        opted into auto-approval and the registration came with the organisation's own
        registration URL (`vouched`; a URL naming the organisation in clear does not)."""
        async with self._uow() as uow:
            auto = vouched and await uow.lti.get_auto_approve(organisation_id)
        return await self.add_platform(
            organisation_id,
            issuer=endpoints["issuer"],
            client_id=client_id,
            auth_login_url=endpoints["auth_login_url"],
            auth_token_url=endpoints["auth_token_url"],
            key_set_url=endpoints["key_set_url"],
            deployment_ids=[deployment_id] if deployment_id else [],
            name=platform_name,
            active=auto,
            source="dynamic",
        )

    # registration URLs ----------------------------------------------------------------------
    def registration_url(self, secret: str) -> str:
        return f"{self.tool_url}/lti/register/{secret}"

    async def issue_registration_token(
        self, organisation_id: UUID, *, expires_in: timedelta | None = None, label: str = ""
    ) -> tuple[RegistrationToken, str]:
        """A dynamic registration URL for one organisation: returns the stored token and the
        secret (shown once; only its hash is kept)."""
        if expires_in is not None and expires_in <= timedelta(0):
            raise InvalidInput("a registration URL expires in the future")
        secret = secrets.token_urlsafe(24)
        now = self._clock.now()
        token = RegistrationToken(
            id=new_id(),
            organisation_id=organisation_id,
            token_hash=sha256(secret),
            created_at=now,
            label=(label or "").strip()[:200],
            expires_at=now + expires_in if expires_in is not None else None,
        )
        async with self._uow() as uow:
            if not await uow.organisations.get(organisation_id):
                raise NotFound("no such organisation")
            await uow.lti.add_registration_token(token)
            await uow.commit()
        return token, secret

    async def registration_tokens(self, organisation_id: UUID) -> Sequence[RegistrationToken]:
        async with self._uow() as uow:
            return await uow.lti.registration_tokens(organisation_id)

    async def revoke_registration_token(
        self, organisation_id: UUID, token_id: UUID
    ) -> RegistrationToken:
        async with self._uow() as uow:
            found = next(
                (t for t in await uow.lti.registration_tokens(organisation_id) if t.id == token_id),
                None,
            )
            if found is None:
                raise NotFound("no such registration URL in this organisation")
            revoked = replace(found, revoked_at=found.revoked_at or self._clock.now())
            await uow.lti.update_registration_token(revoked)
            await uow.commit()
        return revoked

    async def registration_organisation(self, secret: str) -> UUID:
        """The organisation a registration URL's secret names; unknown, revoked and expired
        secrets are refused alike (nothing tells them apart to a stranger)."""
        now = self._clock.now()
        async with self._uow() as uow:
            found = await uow.lti.registration_token(sha256(secret)) if secret else None
            if found is None or not found.usable(now):
                raise LtiRejected(
                    "registration_token",
                    "this registration URL is unknown, revoked or expired: ask your peerlearn "
                    "admin for a new one",
                )
            await uow.lti.update_registration_token(replace(found, last_used_at=now))
            await uow.commit()
        return found.organisation_id

    async def sole_organisation(self) -> UUID | None:
        """The organisation of a single-organisation installation, else None."""
        async with self._uow() as uow:
            orgs = await uow.organisations.list()
        return orgs[0].id if len(orgs) == 1 else None

    # tool keys ------------------------------------------------------------------------------
    async def signing_key(self) -> ToolKey:
        """The newest unretired key; the first one is made on demand."""
        async with self._uow() as uow:
            keys = [k for k in await uow.lti.list_keys() if k.retired_at is None]
            if keys:
                return max(keys, key=lambda k: k.created_at)
            key = self._new_key()
            await uow.lti.add_key(key)
            await uow.commit()
        return key

    def _new_key(self) -> ToolKey:
        kid, private_pem, public_jwk = self._key_factory()
        return ToolKey(kid, private_pem, public_jwk, created_at=self._clock.now())

    async def rotate_keys(self) -> ToolKey:
        """A new key signs from now; older keys stay published for the grace period."""
        key = self._new_key()
        async with self._uow() as uow:
            await uow.lti.retire_keys(self._clock.now())
            await uow.lti.add_key(key)
            await uow.commit()
        self._sealing = []
        return key

    async def published_keys(self) -> list[dict[str, Any]]:
        await self.signing_key()
        now = self._clock.now()
        async with self._uow() as uow:
            keys = await uow.lti.list_keys()
        ordered = sorted(keys, key=lambda k: k.created_at, reverse=True)
        return [dict(k.public_jwk) for k in ordered if k.published(now)]

    # login ----------------------------------------------------------------------------------
    async def begin_login(
        self,
        *,
        issuer: str | None,
        login_hint: str | None,
        target_link_uri: str | None,
        client_id: str | None = None,
        deployment_id: str | None = None,
        storage_target: str | None = None,
    ) -> tuple[Platform, LoginState, str]:
        """Third-party initiated login: check the request, issue state + nonce + the browser
        secret (returned once; only its hash is stored)."""
        if not issuer:
            raise LtiBadRequest("iss", "the login request names no issuer (iss)")
        if not login_hint:
            raise LtiBadRequest("login_hint", "the login request has no login_hint")
        if not target_link_uri or not within_tool(target_link_uri, self.tool_prefixes):
            raise LtiBadRequest(
                "target_link_uri", "the login's target_link_uri is not a URL of this tool"
            )

        def login_platform(candidates: Sequence[Platform]) -> Platform:
            platform = self._pick(candidates, client_id)
            if deployment_id and deployment_id not in platform.deployment_ids:
                raise LtiRejected("deployment_id", "this deployment is not registered")
            return platform

        try:
            platform = login_platform(await self._registrations(issuer))
        except LtiRejected:
            # registered, approved or given that deployment by another process just now?
            fresher = await self._reread(issuer)
            if fresher is None:
                raise
            platform = login_platform(fresher)
        now = self._clock.now()
        secret = secrets.token_urlsafe(32)
        login = LoginState(
            state="",
            nonce=secrets.token_urlsafe(32),
            platform_id=platform.id,
            target_link_uri=target_link_uri,
            browser_hash=sha256(secret),
            created_at=now,
            expires_at=now + LOGIN_TTL,
            storage_target=(storage_target or None) and storage_target[:64],
        )
        keys = await self._state_keys()
        login = replace(login, state=loginstate.seal(login, keys[0]))
        return platform, login, secret

    async def _state_keys(self, refresh: bool = False) -> list[bytes]:
        """Keys sealing login states, newest first (derived from the tool's published keys, so
        states sealed just before a key rotation still open). Re-read at most every few
        seconds, so made-up states cannot make every launch read the database."""
        now = time.monotonic()
        if self._sealing and not (refresh and now - self._sealing_read > STATE_KEYS_REFRESH):
            return self._sealing
        signing = await self.signing_key()
        async with self._uow() as uow:
            keys = await uow.lti.list_keys()
        published = sorted(
            (k for k in keys if k.published(self._clock.now()) and k.kid != signing.kid),
            key=lambda k: k.created_at,
            reverse=True,
        )
        self._sealing = [loginstate.state_key(k.private_pem) for k in (signing, *published)]
        self._sealing_read = now
        return self._sealing

    async def _open_state(self, state: str) -> LoginState | None:
        if not state:
            return None
        login = loginstate.unseal(state, await self._state_keys())
        if login is None:
            login = loginstate.unseal(state, await self._state_keys(refresh=True))
        return login

    @staticmethod
    def _pick(candidates: Sequence[Platform], client_id: str | None) -> Platform:
        if client_id:
            candidates = [p for p in candidates if p.client_id == client_id]
        if not candidates:
            raise LtiRejected("iss", "this platform is not registered with the tool")
        if len(candidates) > 1:
            raise LtiBadRequest("client_id", "several registrations match: send a client_id")
        platform = candidates[0]
        if not platform.active:
            raise LtiRejected("inactive", "this platform registration is not active yet")
        return platform

    # launch ---------------------------------------------------------------------------------
    async def platform_for_token(self, claims: Mapping[str, Any]) -> Platform:
        """The active registration an (unverified) id_token claims to come from."""
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise LtiRejected("iss", "the id_token names no issuer")
        try:
            platform = self._token_platform(await self._registrations(issuer), claims)
        except LtiRejected:
            # registered or approved by another process just now?
            fresher = await self._reread(issuer)
            if fresher is None:
                raise
            return self._token_platform(fresher, claims)
        deployment_id = claims.get(LTI + "deployment_id")
        if isinstance(deployment_id, str) and deployment_id not in platform.deployment_ids:
            # a deployment another process added just now? (the launch's checks refuse it if not)
            fresher = await self._reread(issuer)
            if fresher is not None:
                return self._token_platform(fresher, claims)
        return platform

    def _token_platform(
        self, candidates: Sequence[Platform], claims: Mapping[str, Any]
    ) -> Platform:
        aud = claims.get("aud")
        azp = claims.get("azp")
        auds = [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]
        if not candidates:
            raise LtiRejected("iss", "the id_token's issuer is not registered with the tool")
        if isinstance(azp, str):
            matching = [p for p in candidates if p.client_id == azp]
        else:
            matching = [p for p in candidates if p.client_id in auds]
        if not matching:
            raise LtiRejected("aud", "the id_token was issued for another client")
        return self._pick(matching[:1], None)

    async def launch_context(
        self, claims: Mapping[str, Any], kid: str, state: str
    ) -> LaunchContext:
        """What a launch is checked against: the registration its (unverified) id_token names,
        the platform key for its `kid` (both from the process caches when they have them, so
        a launch usually reads nothing here) and the login its state was sealed from."""
        login = await self._open_state(state)
        platform = await self.platform_for_token(claims)
        jwk = self._platform_keys.get((platform.key_set_url, kid))
        if jwk is None:
            jwk = await self.cached_key(platform.key_set_url, kid)
        return LaunchContext(platform, dict(jwk) if jwk else None, login)

    async def cached_key(self, key_set_url: str, kid: str) -> dict[str, Any] | None:
        jwk = self._platform_keys.get((key_set_url, kid))
        if jwk is not None:
            return dict(jwk)
        async with self._uow() as uow:
            found = await uow.lti.cached_key(key_set_url, kid)
        if found is None:
            return None
        self._platform_keys[(key_set_url, kid)] = dict(found.jwk)
        return dict(found.jwk)

    async def cache_keys(self, key_set_url: str, jwks: Sequence[Mapping[str, Any]]) -> None:
        now = self._clock.now()
        keys = [
            CachedKey(key_set_url, str(k["kid"]), dict(k), now)
            for k in jwks
            if isinstance(k, Mapping) and isinstance(k.get("kid"), str) and k.get("kty") == "RSA"
        ]
        async with self._uow() as uow:
            await uow.lti.cache_keys(keys)
            await uow.commit()
        for key in keys:
            self._platform_keys[(key_set_url, key.kid)] = dict(key.jwk)

    def check_launch(
        self,
        platform: Platform,
        claims: Mapping[str, Any],
        login: LoginState | None,
        *,
        browser_secret: str | None,
    ) -> LaunchClaims:
        """Every rule but the signature, against the login read with `launch_context`: lets
        the edge give the precise reason before pylti1p3 verifies the signature."""
        now = self._clock.now()
        check_audience(claims, platform.client_id)
        check_times(claims, now)
        if login is None or login.platform_id != platform.id:
            raise LtiRejected("state", "the launch does not answer a login of this tool")
        if not browser_secret or not hmac.compare_digest(
            login.browser_hash, sha256(browser_secret)
        ):
            raise LtiRejected("state", "the launch did not come from the browser that logged in")
        if login.expires_at <= now:
            raise LtiRejected("state", "the login has expired; launch again from the course")
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce, login.nonce):
            raise LtiRejected("nonce", "the id_token's nonce is not the one issued at login")
        if login.used_at is not None:
            raise LtiRejected("nonce", "this launch has already been used")
        launch = check_message(
            claims,
            deployment_ids=platform.deployment_ids,
            tool_prefixes=self.tool_prefixes,
            login_target=login.target_link_uri,
        )
        if launch.issuer != platform.issuer:
            raise LtiRejected("iss", "the id_token's issuer is not this platform")
        return launch

    async def complete_launch(
        self,
        platform: Platform,
        claims: Mapping[str, Any],
        *,
        state: str,
        browser_secret: str | None,
        login: LoginState | None = None,
        known: Person | None = None,
        with_view: bool = False,
    ) -> Launched:
        """Check a signature-verified id_token against the login it answers (`login` as opened
        by `launch_context`, or opened here), then in one transaction find the person, use the
        login once (its state's hash and nonce are unique: one winner) and open a page session.
        A first launch (or one that changes the profile) resolves the person in its own
        transaction first. A launch failing any check stores nothing. `with_view` also reads
        the course page's view in that transaction."""
        now = self._clock.now()
        if login is None or login.state != state:
            login = await self._open_state(state)
        launch = self.check_launch(platform, claims, login, browser_secret=browser_secret)
        identity = ExternalIdentity("lti", platform.issuer, launch.subject)

        def returning(found: Person | None) -> Person | None:
            """`found` when it is this launch's person and the launch would not change them."""
            if (
                found is not None
                and identity in found.identities
                and found.organisation_id == platform.organisation_id
                and (not launch.time_zone or launch.time_zone == found.time_zone)
            ):
                return found
            return None

        assert login is not None
        person = returning(known)
        opened: tuple[LtiSession, str, Placement | None, CourseView | None] | None = None
        async with self._uow() as uow:
            if person is None:
                person = returning(
                    await uow.people.get_by_identity(identity, platform.organisation_id)
                )
            if person is not None:
                opened = await self._open_session(
                    uow, platform, claims, launch, login, state, person, now, with_view
                )
            else:
                # a first launch creates a profile before it uses the login: not for a
                # registration disabled meanwhile
                await self._check_registration(uow, platform, launch.deployment_id)
        if person is None:
            # nothing was written above: resolve the profile, then open the session
            hints = IdentityHints(
                name=launch.name,
                email=launch.email,
                email_verified=launch.email_verified,
                time_zone=launch.time_zone,
                organisation_id=platform.organisation_id,
            )
            person = await self._resolve(identity, hints)
            async with self._uow() as uow:
                opened = await self._open_session(
                    uow, platform, claims, launch, login, state, person, now, with_view
                )
        assert opened is not None
        session, token, stored, view = opened
        if stored is not None:
            # what this process last stored for the link: for a few minutes, the next launch of
            # an unchanged link neither reads nor writes it (a link another process changed
            # meanwhile is rewritten from this launch's claims, which is what a launch does)
            if len(self._placements) > PLACEMENTS_CACHED:
                self._placements.clear()
            self._placements[(stored.platform_id, stored.resource_link_id)] = (
                time.monotonic() + PLACEMENT_CACHE_SECONDS,
                stored,
            )
        return Launched(session, token, person, stored, view)

    async def _open_session(
        self,
        uow: UnitOfWork,
        platform: Platform,
        claims: Mapping[str, Any],
        launch: LaunchClaims,
        login: LoginState,
        state: str,
        person: Person,
        now: datetime,
        with_view: bool,
    ) -> tuple[LtiSession, str, Placement | None, CourseView | None]:
        """Use the login once, open the page session, keep the placement; commits `uow`."""
        token = secrets.token_urlsafe(32)
        session = LtiSession(
            id=new_id(),
            token_hash=sha256(token),
            organisation_id=platform.organisation_id,
            person_id=person.id,
            platform_id=platform.id,
            deployment_id=launch.deployment_id,
            message_type=launch.message_type,
            roles=launch.roles,
            context_id=launch.context_id,
            context_title=launch.context_title,
            resource_link_id=launch.resource_link_id,
            claims=dict(claims),
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
        # the login was checked above; using it stores its state's hash and its nonce, both
        # unique, so of two launches answering one login exactly one gets past this line, and
        # only while the registration is active with this deployment (another process may have
        # disabled it since this one cached it)
        if not await uow.lti.use_login(
            replace(login, state=sha256(state)), now, launch.deployment_id
        ):
            await self._check_registration(uow, platform, launch.deployment_id)
            raise LtiRejected("nonce", "this launch has already been used")
        if secrets.randbelow(PURGE_EVERY) == 0:
            await uow.lti.purge_logins(now - LOGIN_TTL)
        await uow.lti.add_session(session)
        stored: Placement | None = None
        if launch.resource_link_id:
            placement = self._placement(platform, launch, claims)
            key = (platform.id, launch.resource_link_id)
            remembered = self._placements.get(key)
            previous = (
                remembered[1]
                if remembered is not None and remembered[0] > time.monotonic()
                else await uow.lti.placement(
                    platform.id, launch.context_id, launch.resource_link_id
                )
            )
            requested = previous.roster_requested_at if previous else None
            if (
                placement.memberships_url
                and launch.context_id
                and (requested is None or requested + ROSTER_REFRESH <= now)
            ):
                requested = now
                await uow.outbox.add(
                    self._roster_request(platform, launch.context_id, placement.memberships_url)
                )
            stored = replace(placement, roster_requested_at=requested)
            if previous is None or _changed(previous, stored):
                await uow.lti.upsert_placement(
                    stored, exists=True if previous is not None else None
                )
            else:
                stored = previous
        # the first page's reads, in the launch's own transaction
        view = (
            await self._course_view(uow, session, stored)
            if with_view and not session.is_deep_linking
            else None
        )
        await uow.commit()
        return session, token, stored, view

    async def _check_registration(
        self, uow: UnitOfWork, platform: Platform, deployment_id: str
    ) -> None:
        """Refuse a launch whose registration storage no longer accepts (disabled, or without
        this deployment), and forget what this process cached of the issuer's registrations."""
        current = await uow.lti.get_platform(platform.id)
        if current is not None and current.active and deployment_id in current.deployment_ids:
            return
        self._by_issuer.pop(platform.issuer, None)
        if current is None or not current.active:
            raise LtiRejected("inactive", "this platform registration is not active")
        raise LtiRejected("deployment_id", "this deployment is not registered with the tool")

    async def _resolve(self, identity: ExternalIdentity, hints: IdentityHints) -> Person:
        try:
            return await self._people.resolve_person(identity, hints)
        except PeerlearnError:
            raise
        except Exception:  # noqa: BLE001
            # two first launches of one person at once (a double click): the other one created
            # the profile and the storage refused a duplicate; it is there now
            return await self._people.resolve_person(identity, hints)

    def _roster_request(
        self, platform: Platform, context_id: str, memberships_url: str
    ) -> OutboxMessage:
        """An `lms.roster` outbox row: the worker syncs the roster off the launch's path."""
        return OutboxMessage(
            id=new_id(),
            organisation_id=platform.organisation_id,
            kind=OutboxTopic.LMS_ROSTER,
            aggregate_type="lti_course",
            aggregate_id=f"{platform.id}:{context_id}"[:128],
            payload={
                "platform_id": str(platform.id),
                "context_id": context_id,
                "memberships_url": memberships_url,
            },
            created_at=self._clock.now(),
        )

    async def deliver_roster(self, message: OutboxMessage) -> dict[str, Any]:
        """Worker handler for `lms.roster` rows."""
        payload = message.payload
        result = await self.sync_course_roster(
            UUID(str(payload["platform_id"])),
            str(payload["context_id"]),
            str(payload["memberships_url"]),
        )
        return {"joined": result.joined, "left": result.left, "unchanged": result.unchanged}

    def _placement(
        self, platform: Platform, launch: LaunchClaims, claims: Mapping[str, Any]
    ) -> Placement:
        ags = claims.get(AGS) if isinstance(claims.get(AGS), dict) else {}
        nrps = claims.get(NRPS) if isinstance(claims.get(NRPS), dict) else {}
        custom = claims.get(LTI + "custom") if isinstance(claims.get(LTI + "custom"), dict) else {}
        link_id: UUID | None = None
        raw_link = custom.get("peerlearn_link") if isinstance(custom, dict) else None
        if isinstance(raw_link, str):
            try:
                link_id = UUID(raw_link)
            except ValueError:
                link_id = None
        scopes = ags.get("scope") if isinstance(ags, dict) else None
        assert launch.resource_link_id is not None
        return Placement(
            platform_id=platform.id,
            context_id=launch.context_id,
            resource_link_id=launch.resource_link_id,
            title=launch.resource_link_title,
            link_id=link_id,
            lineitems_url=_url_or_none(ags.get("lineitems")) if isinstance(ags, dict) else None,
            lineitem_url=_url_or_none(ags.get("lineitem")) if isinstance(ags, dict) else None,
            ags_scopes=tuple(s for s in scopes if isinstance(s, str))
            if isinstance(scopes, list)
            else (),
            memberships_url=_url_or_none(nrps.get("context_memberships_url"))
            if isinstance(nrps, dict)
            else None,
            updated_at=self._clock.now(),
        )

    async def session(self, token: str) -> LtiSession:
        async with self._uow() as uow:
            found = await uow.lti.get_session(sha256(token)) if token else None
        if found is None or found.expires_at <= self._clock.now():
            raise SessionExpired("this page has expired: open it again from your course")
        return found

    # course links (deep linking) ------------------------------------------------------------
    async def create_link(
        self,
        session: LtiSession,
        kind: str,
        target: str,
        title: str,
        topics: Sequence[str] = (),
        graded: bool = False,
    ) -> CourseLink:
        if not session.is_instructor:
            raise LtiRejected("role", "only instructors can place peerlearn in a course")
        if not session.is_deep_linking:
            raise LtiBadRequest("message_type", "links are placed from a deep linking launch")
        if kind not in LINK_KINDS:
            raise InvalidInput(f"a link shows one of: {', '.join(LINK_KINDS)}")
        link_kind: LinkKind = kind  # type: ignore[assignment]
        cleaned_topics = tuple(dict.fromkeys(t.strip()[:80] for t in topics if t.strip()))[:20]
        link = CourseLink(
            id=new_id(),
            organisation_id=session.organisation_id,
            platform_id=session.platform_id,
            kind=link_kind,
            target=(target or "").strip()[:200],
            title=clean_text(title, "title", 200),
            context_id=session.context_id,
            topics=cleaned_topics,
            graded=graded,
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            await self._check_target(uow, link)
            await uow.lti.add_link(link)
            await uow.commit()
        return link

    @staticmethod
    async def _check_target(uow: UnitOfWork, link: CourseLink) -> None:
        """A community, cohort or expert link names one that exists in the organisation."""
        if link.kind == "directory":
            return
        try:
            target = UUID(link.target)
        except ValueError:
            raise InvalidInput(f"pick the {link.kind} to place") from None
        org = link.organisation_id
        if link.kind == "cohort":
            found: object = await uow.cohorts.get(org, target)
        elif link.kind == "community":
            found = await uow.communities.get(org, target)
        else:
            found = await uow.people.get(org, target)
        if found is None:
            raise NotFound(f"no such {link.kind} in this organisation")

    async def placement_for(self, session: LtiSession) -> Placement | None:
        if not session.resource_link_id:
            return None
        async with self._uow() as uow:
            return await uow.lti.placement(
                session.platform_id, session.context_id, session.resource_link_id
            )

    # grades (AGS through the outbox) --------------------------------------------------------
    async def record_completion(
        self,
        organisation_id: UUID,
        person_id: UUID,
        platform_id: UUID,
        context_id: str | None,
        resource_link_id: str,
        *,
        score_given: float,
        score_maximum: float = 1.0,
        comment: str = "",
        reason: str = "completion",
    ) -> OutboxMessage:
        """A completion becomes an LMS score: an outbox row with everything the adapter sends."""
        if not 0 <= score_given <= score_maximum or score_maximum <= 0:
            raise InvalidInput("a score is between 0 and its maximum, and the maximum is positive")
        async with self._uow() as uow:
            platform = await uow.lti.get_platform(platform_id)
            if platform is None or platform.organisation_id != organisation_id:
                raise UnknownPlatform("no such platform registration")
            placement = await uow.lti.placement(platform_id, context_id, resource_link_id)
            if placement is None or not (placement.lineitem_url or placement.lineitems_url):
                raise NotFound("this course link has no grade book column to report to")
            if SCORE_SCOPE not in placement.ags_scopes:
                raise LtiRejected("ags_scope", "the platform does not accept scores from the tool")
            person = await uow.people.get(organisation_id, person_id)
            if person is None:
                raise PersonNotFound("no such person in this organisation")
            subject = next(
                (
                    i.subject
                    for i in person.identities
                    if i.kind == "lti" and i.issuer == platform.issuer
                ),
                None,
            )
            if subject is None:
                raise NotFound("this person has never launched peerlearn from this platform")
            link = (
                await uow.lti.get_link(organisation_id, placement.link_id)
                if placement.link_id
                else None
            )
            now = self._clock.now()
            message = OutboxMessage(
                id=new_id(),
                organisation_id=organisation_id,
                kind=OutboxTopic.LMS_SCORE,
                aggregate_type="lti_placement",
                aggregate_id=f"{platform_id}:{resource_link_id}"[:128],
                payload={
                    "platform_id": str(platform_id),
                    "user_id": subject,
                    "resource_link_id": resource_link_id,
                    "lineitem_url": placement.lineitem_url,
                    "lineitems_url": placement.lineitems_url,
                    "can_create_lineitem": LINEITEM_SCOPE in placement.ags_scopes,
                    "label": (link.title if link else placement.title) or "peerlearn",
                    "score_given": score_given,
                    "score_maximum": score_maximum,
                    "comment": comment[:500],
                    "activity_progress": "Completed",
                    "grading_progress": "FullyGraded",
                    "timestamp": now.isoformat(),
                    "reason": reason,
                },
                created_at=now,
            )
            await uow.outbox.add(message)
            await uow.commit()
        return message

    async def completion_scores(self, message: OutboxMessage) -> list[dict[str, Any]]:
        """The AGS scores one `lms.score` row stands for. A row written by another feature
        (attended office hours, a completed cohort) names a person and an activity: it counts
        on every graded course link that person launched whose placement matches it."""
        payload = message.payload
        if payload.get("platform_id"):
            return [dict(payload)]
        try:
            person_id = UUID(str(payload["person_id"]))
        except (KeyError, ValueError):
            return []
        activity_type = str(payload.get("activity_type") or "")
        activity_id = str(payload.get("activity_id") or "")
        if not activity_type and payload.get("cohort_id"):
            # a completed cohort or challenge, as the communities feature writes it
            activity_type, activity_id = "cohort", str(payload["cohort_id"])
        community_id = str(payload.get("community_id") or "")
        org_id = message.organisation_id
        scores: list[dict[str, Any]] = []
        async with self._uow() as uow:
            person = await uow.people.get(org_id, person_id)
            if person is None:
                return []
            host_id: str | None = None
            if activity_type == "office_hours" and activity_id:
                try:
                    kind = await uow.office_hours_types.get(org_id, UUID(activity_id))
                except ValueError:
                    kind = None
                host_id = str(kind.host_id) if kind else None
            for placement in await uow.lti.placements_launched_by(person_id):
                if SCORE_SCOPE not in placement.ags_scopes or placement.link_id is None:
                    continue
                link = await uow.lti.get_link(org_id, placement.link_id)
                if link is None or not completes(
                    link, activity_type, activity_id, host_id, community_id
                ):
                    continue
                platform = await uow.lti.get_platform(placement.platform_id)
                if platform is None or not platform.active or platform.organisation_id != org_id:
                    continue
                subject = next(
                    (
                        i.subject
                        for i in person.identities
                        if i.kind == "lti" and i.issuer == platform.issuer
                    ),
                    None,
                )
                if subject is None:
                    continue
                scores.append(
                    {
                        "platform_id": str(platform.id),
                        "user_id": subject,
                        "resource_link_id": placement.resource_link_id,
                        "lineitem_url": placement.lineitem_url,
                        "lineitems_url": placement.lineitems_url,
                        "can_create_lineitem": LINEITEM_SCOPE in placement.ags_scopes,
                        "label": link.title,
                        "score_given": float(payload.get("score_given", 1.0)),
                        "score_maximum": float(payload.get("score_maximum", 1.0)),
                        "comment": str(payload.get("activity_title") or payload.get("title") or "")[
                            :500
                        ],
                        "activity_progress": str(payload.get("activity_progress") or "Completed"),
                        "grading_progress": str(payload.get("grading_progress") or "FullyGraded"),
                        "timestamp": str(
                            payload.get("timestamp") or message.created_at.isoformat()
                        ),
                    }
                )
        return scores

    # rosters (NRPS) -------------------------------------------------------------------------
    async def sync_roster(self, session: LtiSession) -> RosterSync:
        """On demand (an instructor's button): bring the course roster into peerlearn."""
        placement = await self.placement_for(session)
        if placement is None or not placement.memberships_url or session.context_id is None:
            raise LtiBadRequest("nrps", "the platform shares no roster for this course")
        return await self.sync_course_roster(
            session.platform_id, session.context_id, placement.memberships_url
        )

    async def sync_course_roster(
        self, platform_id: UUID, context_id: str, memberships_url: str
    ) -> RosterSync:
        """Store the course roster (all pages) and carry it into the linked communities: new
        members join, departed ones leave, instructors facilitate."""
        if self._roster_source is None:
            raise LtiBadRequest("nrps", "roster sync is not configured")
        platform = await self.platform(platform_id)
        members = await self._roster_source.fetch(platform, memberships_url)
        active = [m for m in members if m.status == "Active"]
        now = self._clock.now()
        async with self._uow() as uow:
            before = {m.user_id for m in await uow.lti.roster(platform.id, context_id)}
            joined, left, unchanged = await uow.lti.replace_roster(
                platform.id, context_id, active, now
            )
            await uow.commit()
        departed = before - {m.user_id for m in active}
        result = RosterSync(joined=joined, left=left, unchanged=unchanged)
        result.members = await self._sync_communities(platform, context_id, active, departed)
        return result

    async def _linked_communities(self, platform: Platform, context_id: str) -> list[UUID]:
        async with self._uow() as uow:
            return await self._communities_of(
                uow, platform.organisation_id, platform.id, context_id, None
            )

    async def _communities_of(
        self,
        uow: UnitOfWork,
        org_id: UUID,
        platform_id: UUID,
        context_id: str,
        links: Sequence[CourseLink] | None,
        communities: Sequence[Community] | None = None,
    ) -> list[UUID]:
        if communities is None:
            communities = await uow.communities.list(org_id)
        ids = [c.id for c in communities if context_id in c.lms_course_ids]
        if links is None:
            links = await uow.lti.links_for_context(platform_id, context_id)
        for link in links:
            if link.kind == "community":
                try:
                    community_id = UUID(link.target)
                except ValueError:
                    continue
                if await uow.communities.get(org_id, community_id):
                    ids.append(community_id)
        return list(dict.fromkeys(ids))

    async def course_view(
        self, session: LtiSession, placement: Placement | None = None
    ) -> CourseView:
        """Everything a course page needs, read in one transaction: the placement (unless
        given, as a launch just stored it) and what it shows, the office hours it offers with
        their hosts, the viewer's bookings, the course's communities (the placed cohort's or
        community's first), the roster and, for instructors, the course summary."""
        async with self._uow() as uow:
            return await self._course_view(uow, session, placement)

    async def _course_view(
        self, uow: UnitOfWork, session: LtiSession, placement: Placement | None
    ) -> CourseView:
        org, platform_id, context_id = (
            session.organisation_id,
            session.platform_id,
            session.context_id,
        )
        if placement is None and session.resource_link_id:
            placement = await uow.lti.placement(platform_id, context_id, session.resource_link_id)
        link = (
            await uow.lti.get_link(org, placement.link_id)
            if placement and placement.link_id
            else None
        )
        now = self._clock.now()
        if context_id:
            # the course's and organisation's rows in one read
            rows = await uow.lti.course_rows(
                org, platform_id, context_id, session.person_id, now, BOOKINGS_SHOWN
            )
            links, roster, kinds, bookings = rows.links, rows.roster, rows.kinds, rows.bookings
            communities = await self._communities_of(
                uow, org, platform_id, context_id, links, rows.communities
            )
        else:
            links, roster, communities = [], [], []
            kinds = await uow.office_hours_types.list(org, None, include_inactive=True)
            bookings = await uow.bookings.for_person(
                org, session.person_id, now, limit=BOOKINGS_SHOWN
            )
        cohort: Cohort | None = None
        if link is not None and link.kind in ("community", "cohort"):
            try:
                target = UUID(link.target)
            except ValueError:
                target = None
            if target is not None and link.kind == "cohort":
                cohort = await uow.cohorts.get(org, target)
                target = cohort.community_id if cohort else None
            if target is not None and await uow.communities.get(org, target):
                communities = [target, *(c for c in communities if c != target)]
        summary: dict[str, int] = {}
        if session.is_instructor:
            summary = {
                "launches": await uow.lti.count_launches(platform_id, context_id),
                "members": len(roster),
                "instructors": sum(
                    1 for m in roster if any(is_instructor_role(r) for r in m.roles)
                ),
                "links": len(links),
            }
        offered = offered_kinds(link, kinds)[:MAX_OFFERED]
        hosts = (
            await uow.people.get_many(org, list({k.host_id for k in offered})) if offered else []
        )
        return CourseView(
            placement,
            link,
            cohort,
            tuple(communities),
            tuple(roster),
            summary,
            kinds=tuple(kinds),
            offered=tuple(offered),
            hosts={p.id: p for p in hosts},
            bookings=tuple(bookings),
        )

    async def _sync_communities(
        self,
        platform: Platform,
        context_id: str,
        active: Sequence[RosterMember],
        departed: set[str],
    ) -> list[tuple[UUID, str]]:
        communities = await self._linked_communities(platform, context_id)
        if not communities:
            return []
        people: list[tuple[UUID, str]] = []
        for member in active:
            try:
                person = await self._people.resolve_person(
                    ExternalIdentity("lti", platform.issuer, member.user_id),
                    IdentityHints(
                        name=member.name,
                        email=member.email,
                        organisation_id=platform.organisation_id,
                    ),
                )
            except PeerlearnError:
                # e.g. the organisation does not let people sign themselves up
                continue
            role = "facilitator" if any(is_instructor_role(r) for r in member.roles) else "member"
            people.append((person.id, role))
        now = self._clock.now()
        async with self._uow() as uow:
            gone = []
            for user_id in departed:
                found = await uow.people.get_by_identity(
                    ExternalIdentity("lti", platform.issuer, user_id), platform.organisation_id
                )
                if found is not None:
                    gone.append(found.id)
            for community_id in communities:
                for person_id, role in people:
                    m = await uow.communities.get_membership(community_id, person_id)
                    if m is None:
                        m = Membership(
                            community_id,
                            platform.organisation_id,
                            person_id,
                            "member",
                            "active",
                            now,
                        )
                    elif m.status != "active":
                        m.status, m.joined_at = "active", now
                    if m.role != "owner":
                        m.role = "facilitator" if role == "facilitator" else "member"
                    await uow.communities.save_membership(m)
                for person_id in gone:
                    m = await uow.communities.get_membership(community_id, person_id)
                    if m is not None and m.status == "active" and m.role != "owner":
                        m.status = "left"
                        await uow.communities.save_membership(m)
            await uow.commit()
        return people


def completes(
    link: CourseLink,
    activity_type: str,
    activity_id: str,
    host_id: str | None,
    community_id: str = "",
) -> bool:
    """Whether finishing an activity completes a graded course link: attended office hours
    for the directory or that expert, the placed cohort or challenge, or any cohort or
    challenge of the placed community."""
    if not link.graded:
        return False
    if link.kind == "directory":
        return activity_type in ("office_hours", "session")
    if link.kind == "expert":
        return activity_type == "office_hours" and host_id is not None and link.target == host_id
    if link.kind == "community" and activity_type in ("cohort", "challenge"):
        return bool(community_id) and link.target == community_id
    return activity_type in ("community", "cohort", "challenge") and link.target == activity_id


def _changed(before: Placement, after: Placement) -> bool:
    """Whether a launch changes what is stored for a placement (its time stamp aside)."""
    return replace(before, updated_at=None) != replace(after, updated_at=None)


def _url_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None
