"""Organisation, person and API key repositories."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from tortoise.expressions import Q

from adapters.db.sql import fetch
from adapters.db.tables.people import (
    ApiKeyRow,
    IdentityRow,
    OrganisationRow,
    PersonRow,
    TeamsTenantRow,
)
from adapters.search import expert_facts
from core.people.model import ExternalIdentity, Organisation, Person
from core.people.ports import ApiKey


async def _org(row: OrganisationRow) -> Organisation:
    tenants = await TeamsTenantRow.filter(organisation_id=row.id).values_list(
        "tenant_id", flat=True
    )
    return Organisation(
        id=row.id,
        slug=row.slug,
        name=row.name,
        teams_tenant_ids=tuple(sorted(str(t) for t in tenants)),
        allow_self_signup=row.allow_self_signup,
        created_at=row.created_at,
    )


class DbOrganisations:
    async def add(self, org: Organisation) -> None:
        await OrganisationRow.create(
            id=org.id,
            slug=org.slug,
            name=org.name,
            allow_self_signup=org.allow_self_signup,
            created_at=org.created_at,
        )
        for tenant in org.teams_tenant_ids:
            await TeamsTenantRow.create(tenant_id=tenant, organisation_id=org.id)

    async def get(self, org_id: UUID) -> Organisation | None:
        row = await OrganisationRow.get_or_none(id=org_id)
        return await _org(row) if row else None

    async def get_by_slug(self, slug: str) -> Organisation | None:
        row = await OrganisationRow.get_or_none(slug=slug)
        return await _org(row) if row else None

    async def get_by_teams_tenant(self, tenant_id: str) -> Organisation | None:
        link = await TeamsTenantRow.get_or_none(tenant_id=tenant_id.lower())
        return await self.get(link.organisation_id) if link else None  # type: ignore[attr-defined]

    async def list(self) -> Sequence[Organisation]:
        return [await _org(r) for r in await OrganisationRow.all().order_by("slug")]

    async def update(self, org: Organisation) -> None:
        await OrganisationRow.filter(id=org.id).update(
            name=org.name, allow_self_signup=org.allow_self_signup
        )
        await TeamsTenantRow.filter(organisation_id=org.id).delete()
        for tenant in org.teams_tenant_ids:
            await TeamsTenantRow.create(tenant_id=tenant, organisation_id=org.id)


def _person(row: PersonRow, identities: list[ExternalIdentity]) -> Person:
    return Person(
        id=row.id,
        organisation_id=row.organisation_id,  # type: ignore[attr-defined]
        name=row.name,
        email=row.email,
        time_zone=row.time_zone,
        locale=row.locale,
        email_verified=row.email_verified,
        is_admin=row.is_admin,
        identities=identities,
        created_at=row.created_at,
    )


_BY_IDENTITY = (
    'SELECT p."id" pid, p."organisation_id", p."name", p."email", p."time_zone", p."locale",'
    ' p."email_verified", p."is_admin", p."created_at", i."kind", i."issuer", i."subject"'
    ' FROM "person_identity" h JOIN "person" p ON p."id" = h."person_id"'
    ' JOIN "person_identity" i ON i."person_id" = p."id"'
    ' WHERE h."kind" = ? AND h."issuer" = ? AND h."subject" = ?'
)
_BY_IDENTITY_ORG = _BY_IDENTITY + ' AND h."organisation_id" = ?'
_BY_IDENTITY += ' ORDER BY p."id", i."id"'
_BY_IDENTITY_ORG += ' ORDER BY p."id", i."id"'


async def _people(rows: Sequence[PersonRow]) -> list[Person]:
    if not rows:
        return []
    idents: dict[UUID, list[ExternalIdentity]] = {r.id: [] for r in rows}
    for i in await IdentityRow.filter(person_id__in=list(idents)).order_by("id"):
        idents[i.person_id].append(  # type: ignore[attr-defined]
            ExternalIdentity(i.kind, i.issuer, i.subject)  # type: ignore[arg-type]
        )
    return [_person(r, idents[r.id]) for r in rows]


class DbPeople:
    async def add(self, person: Person) -> None:
        await PersonRow.create(
            id=person.id,
            organisation_id=person.organisation_id,
            name=person.name,
            email=person.email,
            email_verified=person.email_verified,
            time_zone=person.time_zone,
            locale=person.locale,
            is_admin=person.is_admin,
            created_at=person.created_at,
        )
        for ident in person.identities:
            await self.link_identity(person, ident)

    async def get(self, org_id: UUID, person_id: UUID) -> Person | None:
        row = await PersonRow.get_or_none(id=person_id, organisation_id=org_id)
        return (await _people([row]))[0] if row else None

    async def get_many(self, org_id: UUID, person_ids: Sequence[UUID]) -> Sequence[Person]:
        # by primary key alone: with the organisation in the WHERE clause too, SQLite may pick
        # the organisation index and scan every person of a large organisation
        rows = await PersonRow.filter(id__in=list(person_ids))
        return await _people([r for r in rows if r.organisation_id == org_id])  # type: ignore[attr-defined]

    async def get_by_email(self, org_id: UUID, email: str) -> Person | None:
        row = await PersonRow.get_or_none(organisation_id=org_id, email=email.lower())
        return (await _people([row]))[0] if row else None

    async def get_by_identity(
        self, identity: ExternalIdentity, org_id: UUID | None = None
    ) -> Person | None:
        # the hottest read of an LMS launch: one hand-written statement (every identity of the
        # person holding this one, with the person's columns); tortoise's query builder costs
        # more CPU than the query itself here
        values: list[object] = [identity.kind, identity.issuer, identity.subject]
        if org_id is not None:
            values.append(str(org_id))
        rows = await fetch(_BY_IDENTITY_ORG if org_id is not None else _BY_IDENTITY, values)
        if not rows:
            return None
        first = rows[0]
        mine = [r for r in rows if r["pid"] == first["pid"]]
        f = PersonRow._meta.fields_map
        return Person(
            id=f["id"].to_python_value(first["pid"]),
            organisation_id=f["id"].to_python_value(first["organisation_id"]),
            name=first["name"],
            email=first["email"],
            time_zone=first["time_zone"],
            locale=first["locale"],
            email_verified=bool(first["email_verified"]),
            is_admin=bool(first["is_admin"]),
            identities=[ExternalIdentity(r["kind"], r["issuer"], r["subject"]) for r in mine],
            created_at=f["created_at"].to_python_value(first["created_at"]),
        )

    async def list(
        self, org_id: UUID, offset: int = 0, limit: int = 100, query: str | None = None
    ) -> Sequence[Person]:
        q = PersonRow.filter(organisation_id=org_id)
        if query:
            q = q.filter(Q(name__icontains=query) | Q(email__icontains=query))
        rows = await q.order_by("name", "id").offset(offset).limit(limit)
        return await _people(rows)

    async def count(self, org_id: UUID) -> int:
        return await PersonRow.filter(organisation_id=org_id).count()

    async def update(self, person: Person) -> None:
        await PersonRow.filter(id=person.id, organisation_id=person.organisation_id).update(
            name=person.name,
            email=person.email,
            email_verified=person.email_verified,
            time_zone=person.time_zone,
            locale=person.locale,
            is_admin=person.is_admin,
        )
        expert_facts.person_changed(person.organisation_id, person.id)

    async def link_identity(self, person: Person, identity: ExternalIdentity) -> None:
        await IdentityRow.create(
            organisation_id=person.organisation_id,
            person_id=person.id,
            kind=identity.kind,
            issuer=identity.issuer,
            subject=identity.subject,
        )


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        organisation_id=row.organisation_id,  # type: ignore[attr-defined]
        name=row.name,
        secret_hash=row.secret_hash,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class DbApiKeys:
    async def add(self, key: ApiKey) -> None:
        await ApiKeyRow.create(
            id=key.id,
            organisation_id=key.organisation_id,
            name=key.name,
            secret_hash=key.secret_hash,
            prefix=key.prefix,
            created_at=key.created_at,
        )

    async def get_by_hash(self, secret_hash: str) -> ApiKey | None:
        row = await ApiKeyRow.get_or_none(secret_hash=secret_hash)
        return _key(row) if row else None

    async def list(self, org_id: UUID) -> Sequence[ApiKey]:
        return [_key(r) for r in await ApiKeyRow.filter(organisation_id=org_id).order_by("name")]
