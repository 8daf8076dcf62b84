"""The transactional outbox table."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class OutboxRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField(db_index=True)
    kind = fields.CharField(max_length=64)
    aggregate_type = fields.CharField(max_length=64)
    aggregate_id = fields.CharField(max_length=128)
    # monotonically increasing insert order: ordering per aggregate follows it
    seq = fields.BigIntField(db_index=True)
    payload: Any = fields.JSONField()
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    lease_until = fields.DatetimeField(null=True)
    lease_token = fields.CharField(max_length=64, null=True)
    last_error = fields.TextField(null=True)
    result: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox"
        indexes = (
            ("status", "next_attempt_at"),
            ("status", "seq"),
            ("aggregate_type", "aggregate_id", "seq"),
        )


class CalendarLinkRow(Model):
    """The calendar event an aggregate (a booking, a session occurrence) has in Outlook."""

    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField(db_index=True)
    aggregate_type = fields.CharField(max_length=64)
    aggregate_id = fields.CharField(max_length=128)
    event_id = fields.CharField(max_length=512)
    ical_uid = fields.CharField(max_length=512, default="")
    join_url = fields.TextField(default="")
    cancelled = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "calendar_links"
        unique_together = (("aggregate_type", "aggregate_id"),)
