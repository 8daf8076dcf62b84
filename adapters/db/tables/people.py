"""Organisations, people, their external identities and API keys."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class OrganisationRow(Model):
    id = fields.UUIDField(primary_key=True)
    slug = fields.CharField(max_length=63, unique=True)
    name = fields.CharField(max_length=200)
    allow_self_signup = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "organisation"


class TeamsTenantRow(Model):
    tenant_id = fields.CharField(max_length=64, primary_key=True)
    organisation: fields.ForeignKeyRelation[OrganisationRow] = fields.ForeignKeyField(
        "people.OrganisationRow", related_name="teams_tenants", on_delete=fields.CASCADE
    )

    class Meta:
        table = "organisation_teams_tenant"


class PersonRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[OrganisationRow] = fields.ForeignKeyField(
        "people.OrganisationRow", related_name="people", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    # lower-cased; unique inside one organisation
    email = fields.CharField(max_length=320, null=True)
    email_verified = fields.BooleanField(default=False)
    time_zone = fields.CharField(max_length=64, default="UTC")
    locale = fields.CharField(max_length=35, default="en")
    is_admin = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "person"
        unique_together = (("organisation", "email"),)
        indexes = (("organisation_id", "name"),)


class IdentityRow(Model):
    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[OrganisationRow] = fields.ForeignKeyField(
        "people.OrganisationRow", related_name="identities", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[PersonRow] = fields.ForeignKeyField(
        "people.PersonRow", related_name="identities", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)
    issuer = fields.CharField(max_length=255)
    subject = fields.CharField(max_length=255)

    class Meta:
        table = "person_identity"
        unique_together = (("organisation", "kind", "issuer", "subject"),)


class ApiKeyRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[OrganisationRow] = fields.ForeignKeyField(
        "people.OrganisationRow", related_name="api_keys", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    secret_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=16)
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"
