"""Use cases for organisations, people, identities and API keys."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from core.clock import Clock
from core.errors import (
    Conflict,
    Forbidden,
    IdentityConflict,
    InvalidInput,
    PeerlearnError,
    PersonNotFound,
    Unauthenticated,
    UnknownOrganisation,
)
from core.ids import new_id
from core.people.model import (
    ExternalIdentity,
    Organisation,
    Person,
    clean_email,
    clean_locale,
    clean_name,
    clean_slug,
    clean_time_zone,
)
from core.people.ports import ApiKey
from core.ports import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class IdentityHints:
    """What a front door knows about someone besides their identity."""

    name: str | None = None
    email: str | None = None
    #: only a verified email may link a new identity to an existing person
    email_verified: bool = False
    time_zone: str | None = None
    locale: str | None = None
    #: the organisation the front door already determined (LTI registration, Teams tenant)
    organisation_id: UUID | None = None


@dataclass(frozen=True)
class ImportRowError:
    line: int
    reason: str


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[ImportRowError] = field(default_factory=list)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class PeopleService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # organisations ------------------------------------------------------------------------
    async def create_organisation(
        self,
        slug: str,
        name: str,
        teams_tenant_ids: Sequence[str] = (),
        allow_self_signup: bool = True,
    ) -> Organisation:
        org = Organisation(
            id=new_id(),
            slug=clean_slug(slug),
            name=clean_name(name),
            teams_tenant_ids=tuple(t.strip().lower() for t in teams_tenant_ids if t.strip()),
            allow_self_signup=allow_self_signup,
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            if await uow.organisations.get_by_slug(org.slug):
                raise Conflict(f"organisation '{org.slug}' already exists")
            for tenant in org.teams_tenant_ids:
                if await uow.organisations.get_by_teams_tenant(tenant):
                    raise Conflict(f"Teams tenant {tenant} already belongs to another organisation")
            await uow.organisations.add(org)
            await uow.commit()
        return org

    async def organisation(self, slug_or_id: str | UUID) -> Organisation:
        async with self._uow() as uow:
            return await _find_org(uow, slug_or_id)

    async def organisations(self) -> Sequence[Organisation]:
        async with self._uow() as uow:
            return await uow.organisations.list()

    # people -------------------------------------------------------------------------------
    async def add_person(
        self,
        org_id: UUID,
        name: str,
        email: str | None,
        time_zone: str = "UTC",
        locale: str = "en",
        identities: Iterable[ExternalIdentity] = (),
        email_verified: bool = False,
    ) -> Person:
        person = Person(
            id=new_id(),
            organisation_id=org_id,
            name=clean_name(name),
            email=clean_email(email),
            time_zone=clean_time_zone(time_zone),
            locale=clean_locale(locale),
            email_verified=email_verified,
            identities=list(identities),
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            if not await uow.organisations.get(org_id):
                raise UnknownOrganisation("no such organisation")
            if person.email and await uow.people.get_by_email(org_id, person.email):
                raise Conflict(f"{person.email} already has a profile in this organisation")
            for ident in person.identities:
                if await uow.people.get_by_identity(ident, org_id):
                    raise IdentityConflict("that identity is already linked to someone else")
            await uow.people.add(person)
            await uow.commit()
        return person

    async def get_person(self, org_id: UUID, person_id: UUID) -> Person:
        async with self._uow() as uow:
            person = await uow.people.get(org_id, person_id)
        if person is None:
            raise PersonNotFound("no such person in this organisation")
        return person

    async def list_people(
        self, org_id: UUID, offset: int = 0, limit: int = 100, query: str | None = None
    ) -> Sequence[Person]:
        if limit < 1 or limit > 500 or offset < 0:
            raise InvalidInput("limit is 1–500 and offset is not negative")
        async with self._uow() as uow:
            return await uow.people.list(org_id, offset=offset, limit=limit, query=query)

    async def update_person(
        self,
        org_id: UUID,
        person_id: UUID,
        *,
        name: str | None = None,
        time_zone: str | None = None,
        locale: str | None = None,
    ) -> Person:
        async with self._uow() as uow:
            person = await uow.people.get(org_id, person_id)
            if person is None:
                raise PersonNotFound("no such person in this organisation")
            if name is not None:
                person.name = clean_name(name)
            if time_zone is not None:
                person.time_zone = clean_time_zone(time_zone)
            if locale is not None:
                person.locale = clean_locale(locale)
            await uow.people.update(person)
            await uow.commit()
        return person

    async def resolve_person(self, identity: ExternalIdentity, hints: IdentityHints) -> Person:
        """Find who is behind a Teams or LTI identity; link by verified email or create.

        The one call both front doors make. Linking by email only happens inside the
        organisation the front door determined, and only for a verified email.
        """
        async with self._uow() as uow:
            org = await self._org_for(uow, identity, hints)
            person = await uow.people.get_by_identity(identity, org.id)
            if person is not None:
                changed = False
                if hints.time_zone and hints.time_zone != person.time_zone:
                    try:
                        person.time_zone = clean_time_zone(hints.time_zone)
                        changed = True
                    except PeerlearnError:
                        pass
                if changed:
                    await uow.people.update(person)
                    await uow.commit()
                return person
            email = clean_email(hints.email) if hints.email else None
            if email and hints.email_verified:
                person = await uow.people.get_by_email(org.id, email)
                if person is not None:
                    await uow.people.link_identity(person, identity)
                    person.identities.append(identity)
                    if not person.email_verified:
                        person.email_verified = True
                        await uow.people.update(person)
                    await uow.commit()
                    return person
            if not org.allow_self_signup:
                raise Forbidden(
                    "your organisation has not enabled self sign-up; ask an admin to add you"
                )
            if email and await uow.people.get_by_email(org.id, email):
                # an unverified claim on someone else's address: create no duplicate, link nothing
                email = None
            tz = hints.time_zone or "UTC"
            try:
                tz = clean_time_zone(tz)
            except PeerlearnError:
                tz = "UTC"
            person = Person(
                id=new_id(),
                organisation_id=org.id,
                name=clean_name(hints.name or "Colleague"),
                email=email,
                time_zone=tz,
                locale=_safe_locale(hints.locale),
                email_verified=bool(email and hints.email_verified),
                identities=[identity],
                created_at=self._clock.now(),
            )
            await uow.people.add(person)
            await uow.commit()
            return person

    async def _org_for(
        self, uow: UnitOfWork, identity: ExternalIdentity, hints: IdentityHints
    ) -> Organisation:
        if hints.organisation_id is not None:
            org = await uow.organisations.get(hints.organisation_id)
        elif identity.kind == "teams":
            org = await uow.organisations.get_by_teams_tenant(identity.issuer.lower())
        else:
            org = None
        if org is None:
            raise UnknownOrganisation(
                "this workspace is not connected to peerlearn yet; ask your admin to register it"
            )
        return org

    # bulk import --------------------------------------------------------------------------
    async def import_people(
        self, org_id: UUID, rows: Iterable[tuple[int, Mapping[str, Any]]]
    ) -> ImportSummary:
        """Create or update people from (line number, row) pairs; each row is its own unit of
        work so one bad line never half-writes another. Re-running is idempotent."""
        summary = ImportSummary()
        async with self._uow() as uow:
            if not await uow.organisations.get(org_id):
                raise UnknownOrganisation("no such organisation")
        for line, row in rows:
            try:
                outcome = await self._import_one(org_id, row)
            except PeerlearnError as exc:
                summary.rejected.append(ImportRowError(line, exc.message))
                continue
            if outcome == "created":
                summary.created += 1
            elif outcome == "updated":
                summary.updated += 1
            else:
                summary.unchanged += 1
        return summary

    async def _import_one(self, org_id: UUID, row: Mapping[str, Any]) -> str:
        name = clean_name(str(row.get("name") or ""))
        email = clean_email(str(row.get("email") or "") or None)
        if email is None:
            raise InvalidInput("email is required")
        tz = clean_time_zone(str(row.get("time_zone") or row.get("timezone") or "UTC"))
        locale = clean_locale(str(row.get("locale") or "en"))
        async with self._uow() as uow:
            person = await uow.people.get_by_email(org_id, email)
            if person is None:
                await uow.people.add(
                    Person(
                        id=new_id(),
                        organisation_id=org_id,
                        name=name,
                        email=email,
                        time_zone=tz,
                        locale=locale,
                        email_verified=True,
                        created_at=self._clock.now(),
                    )
                )
                await uow.commit()
                return "created"
            if (person.name, person.time_zone, person.locale) == (name, tz, locale):
                return "unchanged"
            person.name, person.time_zone, person.locale = name, tz, locale
            await uow.people.update(person)
            await uow.commit()
            return "updated"

    # API keys -----------------------------------------------------------------------------
    async def create_api_key(self, org_id: UUID, name: str) -> tuple[ApiKey, str]:
        """Returns the key record and the secret, which is shown once and stored hashed."""
        secret = "pl_" + secrets.token_urlsafe(32)
        key = ApiKey(
            id=new_id(),
            organisation_id=org_id,
            name=clean_name(name),
            secret_hash=hash_secret(secret),
            prefix=secret[:10],
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            if not await uow.organisations.get(org_id):
                raise UnknownOrganisation("no such organisation")
            await uow.api_keys.add(key)
            await uow.commit()
        return key, secret

    async def authenticate_api_key(self, secret: str) -> Organisation:
        if not secret or len(secret) > 200:
            raise Unauthenticated("missing or malformed API key")
        async with self._uow() as uow:
            key = await uow.api_keys.get_by_hash(hash_secret(secret))
            if key is None or key.revoked_at is not None:
                raise Unauthenticated("unknown or revoked API key")
            org = await uow.organisations.get(key.organisation_id)
        if org is None:
            raise Unauthenticated("unknown or revoked API key")
        return org

    async def set_self_signup(self, org_id: UUID, allowed: bool) -> Organisation:
        async with self._uow() as uow:
            org = await uow.organisations.get(org_id)
            if org is None:
                raise UnknownOrganisation("no such organisation")
            org = replace(org, allow_self_signup=allowed)
            await uow.organisations.update(org)
            await uow.commit()
        return org


async def _find_org(uow: UnitOfWork, slug_or_id: str | UUID) -> Organisation:
    org: Organisation | None = None
    if isinstance(slug_or_id, UUID):
        org = await uow.organisations.get(slug_or_id)
    else:
        try:
            org = await uow.organisations.get(UUID(slug_or_id))
        except ValueError:
            org = await uow.organisations.get_by_slug(slug_or_id.strip().lower())
    if org is None:
        raise UnknownOrganisation(f"no organisation '{slug_or_id}'")
    return org


def _safe_locale(locale: str | None) -> str:
    try:
        return clean_locale(locale)
    except PeerlearnError:
        return "en"
