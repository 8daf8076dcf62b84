"""LTI 1.3: platform registrations, deployments, tool keys, logins, key cache, sessions,
course links, placements and rosters."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class LtiPlatformRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField(db_index=True)
    issuer = fields.CharField(max_length=255, db_index=True)
    client_id = fields.CharField(max_length=255)
    auth_login_url = fields.CharField(max_length=1000)
    auth_token_url = fields.CharField(max_length=1000)
    key_set_url = fields.CharField(max_length=1000)
    auth_audience = fields.CharField(max_length=1000, null=True)
    name = fields.CharField(max_length=200, default="")
    active = fields.BooleanField(default=True)
    source = fields.CharField(max_length=16, default="manual")
    created_at = fields.DatetimeField()

    class Meta:
        table = "lti_platform"
        unique_together = (("issuer", "client_id"),)


class LtiDeploymentRow(Model):
    id = fields.IntField(primary_key=True)
    platform: fields.ForeignKeyRelation[LtiPlatformRow] = fields.ForeignKeyField(
        "lti.LtiPlatformRow", related_name="deployments", on_delete=fields.CASCADE
    )
    deployment_id = fields.CharField(max_length=255)

    class Meta:
        table = "lti_deployment"
        unique_together = (("platform_id", "deployment_id"),)


class LtiOrgSettingsRow(Model):
    organisation_id = fields.UUIDField(primary_key=True)
    auto_approve = fields.BooleanField(default=False)

    class Meta:
        table = "lti_org_settings"


class LtiRegistrationTokenRow(Model):
    """A dynamic registration URL's secret (sha256 only), naming the organisation."""

    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField(db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    label = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "lti_registration_token"


class LtiToolKeyRow(Model):
    kid = fields.CharField(max_length=100, primary_key=True)
    private_pem = fields.TextField()
    public_jwk: Any = fields.JSONField()
    created_at = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "lti_tool_key"


class LtiLoginRow(Model):
    state = fields.CharField(max_length=100, primary_key=True)
    nonce = fields.CharField(max_length=100, unique=True)
    platform_id = fields.UUIDField()
    target_link_uri = fields.CharField(max_length=1000)
    browser_hash = fields.CharField(max_length=64)
    storage_target = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "lti_login"


class LtiKeyCacheRow(Model):
    id = fields.IntField(primary_key=True)
    key_set_url = fields.CharField(max_length=1000)
    kid = fields.CharField(max_length=255)
    jwk: Any = fields.JSONField()
    fetched_at = fields.DatetimeField()

    class Meta:
        table = "lti_key_cache"
        unique_together = (("key_set_url", "kid"),)


class LtiSessionRow(Model):
    id = fields.UUIDField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    organisation_id = fields.UUIDField()
    person_id = fields.UUIDField()
    platform_id = fields.UUIDField()
    deployment_id = fields.CharField(max_length=255)
    message_type = fields.CharField(max_length=64)
    roles: Any = fields.JSONField()
    context_id = fields.CharField(max_length=255, null=True)
    context_title = fields.CharField(max_length=255, null=True)
    resource_link_id = fields.CharField(max_length=255, null=True)
    claims: Any = fields.JSONField()
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "lti_session"
        indexes = (("platform_id", "context_id"),)


class LtiLinkRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField(db_index=True)
    platform_id = fields.UUIDField()
    context_id = fields.CharField(max_length=255, null=True)
    kind = fields.CharField(max_length=16)
    target = fields.CharField(max_length=200, default="")
    title = fields.CharField(max_length=200)
    topics: Any = fields.JSONField(default=list)
    graded = fields.BooleanField(default=False)
    line_item_url = fields.CharField(max_length=1000, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "lti_link"
        indexes = (("platform_id", "context_id"),)


class LtiPlacementRow(Model):
    id = fields.IntField(primary_key=True)
    platform_id = fields.UUIDField()
    context_id = fields.CharField(max_length=255, null=True)
    resource_link_id = fields.CharField(max_length=255)
    title = fields.CharField(max_length=255, null=True)
    link_id = fields.UUIDField(null=True)
    lineitems_url = fields.CharField(max_length=1000, null=True)
    lineitem_url = fields.CharField(max_length=1000, null=True)
    ags_scopes: Any = fields.JSONField(default=list)
    memberships_url = fields.CharField(max_length=1000, null=True)
    roster_requested_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "lti_placement"
        unique_together = (("platform_id", "resource_link_id"),)


class LtiRosterRow(Model):
    id = fields.IntField(primary_key=True)
    platform_id = fields.UUIDField()
    context_id = fields.CharField(max_length=255)
    user_id = fields.CharField(max_length=255)
    name = fields.CharField(max_length=200, null=True)
    email = fields.CharField(max_length=320, null=True)
    roles: Any = fields.JSONField(default=list)
    status = fields.CharField(max_length=16, default="Active")
    synced_at = fields.DatetimeField()

    class Meta:
        table = "lti_roster"
        unique_together = (("platform_id", "context_id", "user_id"),)
