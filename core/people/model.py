"""Organisation and person entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from core.errors import InvalidInput
from core.timezones import zone

IdentityKind = Literal["teams", "lti", "source"]
_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]{1,255}\.[^@\s<>\"]{2,}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True)
class ExternalIdentity:
    """Who someone is on a front door: Teams (tenant, AAD object id), LTI (issuer, subject),
    or an import source (source name, source user id)."""

    kind: IdentityKind
    issuer: str
    subject: str

    def __post_init__(self) -> None:
        if self.kind not in ("teams", "lti", "source"):
            raise InvalidInput(f"unknown identity kind {self.kind!r}")
        if not self.issuer or not self.subject:
            raise InvalidInput("an identity needs an issuer and a subject")
        if len(self.issuer) > 255 or len(self.subject) > 255:
            raise InvalidInput("identity issuer and subject are limited to 255 characters")


@dataclass(frozen=True)
class Organisation:
    id: UUID
    slug: str
    name: str
    #: Entra tenant ids whose Teams users belong here
    teams_tenant_ids: tuple[str, ...] = ()
    #: let unknown users of a known tenant/platform create their own profile on first contact
    allow_self_signup: bool = True
    created_at: datetime | None = None


@dataclass
class Person:
    id: UUID
    organisation_id: UUID
    name: str
    email: str | None
    time_zone: str = "UTC"
    locale: str = "en"
    email_verified: bool = False
    is_admin: bool = False
    identities: list[ExternalIdentity] = field(default_factory=list)
    created_at: datetime | None = None


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("a name is required")
    if len(name) > 200:
        raise InvalidInput("names are limited to 200 characters")
    return name


def clean_email(email: str | None) -> str | None:
    if email is None or email.strip() == "":
        return None
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"{email[:80]!r} is not an email address")
    return email


def clean_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not _SLUG.match(slug):
        raise InvalidInput("an organisation slug is 2–63 lower-case letters, digits or dashes")
    return slug


def clean_time_zone(name: str) -> str:
    zone(name)
    return name


def clean_locale(locale: str | None) -> str:
    locale = (locale or "en").strip()
    if not re.match(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$", locale):
        raise InvalidInput(f"{locale[:20]!r} is not a locale such as en or de-DE")
    return locale.replace("_", "-")
