"""Repositories for organisations, people and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from core.people.model import ExternalIdentity, Organisation, Person


@dataclass(frozen=True)
class ApiKey:
    id: UUID
    organisation_id: UUID
    name: str
    #: sha256 of the secret; the secret itself is shown once and never stored
    secret_hash: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


class OrganisationRepository(Protocol):
    async def add(self, org: Organisation) -> None: ...

    async def get(self, org_id: UUID) -> Organisation | None: ...

    async def get_by_slug(self, slug: str) -> Organisation | None: ...

    async def get_by_teams_tenant(self, tenant_id: str) -> Organisation | None: ...

    async def list(self) -> Sequence[Organisation]: ...

    async def update(self, org: Organisation) -> None: ...


class PersonRepository(Protocol):
    async def add(self, person: Person) -> None: ...

    async def get(self, org_id: UUID, person_id: UUID) -> Person | None: ...

    async def get_many(self, org_id: UUID, person_ids: Sequence[UUID]) -> Sequence[Person]: ...

    async def get_by_email(self, org_id: UUID, email: str) -> Person | None: ...

    async def get_by_identity(
        self, identity: ExternalIdentity, org_id: UUID | None = None
    ) -> Person | None: ...

    async def list(
        self, org_id: UUID, offset: int = 0, limit: int = 100, query: str | None = None
    ) -> Sequence[Person]: ...

    async def count(self, org_id: UUID) -> int: ...

    async def update(self, person: Person) -> None: ...

    async def link_identity(self, person: Person, identity: ExternalIdentity) -> None: ...


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey) -> None: ...

    async def get_by_hash(self, secret_hash: str) -> ApiKey | None: ...

    async def list(self, org_id: UUID) -> Sequence[ApiKey]: ...
