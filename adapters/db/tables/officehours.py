"""Office-hours types, occurrences (one seat counter per type and start) and bookings."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class OfficeHoursTypeRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    host_id = fields.UUIDField()
    owner_kind = fields.CharField(max_length=16, default="expert")
    owner_id = fields.UUIDField(null=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    topics: Any = fields.JSONField(default=list)
    time_zone = fields.CharField(max_length=64)
    rules: Any = fields.JSONField(default=list)
    overrides: Any = fields.JSONField(default=list)
    blackouts: Any = fields.JSONField(default=list)
    questions: Any = fields.JSONField(default=list)
    location: Any = fields.JSONField(default=dict)
    slot_minutes = fields.IntField()
    interval_minutes = fields.IntField()
    capacity = fields.IntField()
    buffer_before_minutes = fields.IntField(default=0)
    buffer_after_minutes = fields.IntField(default=0)
    min_notice_minutes = fields.IntField(default=0)
    horizon_days = fields.IntField()
    max_per_day = fields.IntField(null=True)
    max_per_week = fields.IntField(null=True)
    requires_approval = fields.BooleanField(default=False)
    paused = fields.BooleanField(default=False)
    archived = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "office_hours_type"
        indexes = (("organisation_id", "host_id"), ("organisation_id", "owner_id"))


class OccurrenceRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    type_id = fields.UUIDField()
    host_id = fields.UUIDField()
    start_utc = fields.DatetimeField()
    end_utc = fields.DatetimeField()
    capacity = fields.IntField()
    # seats held by pending or confirmed bookings, only ever changed by conditional UPDATEs
    taken = fields.IntField(default=0)
    waitlist_seq = fields.IntField(default=0)

    class Meta:
        table = "office_hours_occurrence"
        unique_together = (("type_id", "start_utc"),)
        indexes = (("organisation_id", "host_id", "start_utc"),)


# booked sessions of one type in one local day (d2026-03-24) or ISO week (w2026-13), counted
# with conditional UPDATEs so per-day and per-week limits hold under concurrency
class QuotaRow(Model):
    id = fields.IntField(primary_key=True)
    type_id = fields.UUIDField()
    period = fields.CharField(max_length=16)
    sessions = fields.IntField(default=0)

    class Meta:
        table = "office_hours_quota"
        unique_together = (("type_id", "period"),)


class BookingRow(Model):
    id = fields.UUIDField(primary_key=True)
    organisation_id = fields.UUIDField()
    type_id = fields.UUIDField()
    occurrence_id = fields.UUIDField(db_index=True)
    host_id = fields.UUIDField()
    person_id = fields.UUIDField()
    start_utc = fields.DatetimeField()
    end_utc = fields.DatetimeField()
    status = fields.CharField(max_length=16)
    idempotency_key = fields.CharField(max_length=200, null=True)
    answers: Any = fields.JSONField(default=dict)
    note = fields.TextField(default="")
    waitlist_position = fields.IntField(null=True)
    promoted_at = fields.DatetimeField(null=True)
    cancel_reason = fields.TextField(default="")
    attendance = fields.CharField(max_length=16, null=True)
    rating = fields.SmallIntField(null=True)
    rating_comment = fields.TextField(default="")
    sequence = fields.IntField(default=0)
    calendar_event_id = fields.CharField(max_length=512, default="")
    join_url = fields.TextField(default="")
    #: watches the session without taking a seat (`Booking.audience`)
    audience = fields.BooleanField(default=False)
    # insert order (the clock can repeat): seat holders are listed in the order they booked
    seq = fields.BigIntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        # also (migration 0006, not expressible here): the partial unique index
        # office_hours_booking_one_place on (occurrence_id, person_id, audience) over active places
        table = "office_hours_booking"
        unique_together = (("organisation_id", "idempotency_key"),)
        indexes = (
            ("organisation_id", "person_id", "start_utc"),
            ("organisation_id", "host_id", "start_utc"),
        )
