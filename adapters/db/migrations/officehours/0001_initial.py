from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='BookingRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('type_id', fields.UUIDField()),
                ('occurrence_id', fields.UUIDField(db_index=True)),
                ('host_id', fields.UUIDField()),
                ('person_id', fields.UUIDField()),
                ('start_utc', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('end_utc', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(max_length=16)),
                ('idempotency_key', fields.CharField(null=True, max_length=200)),
                ('answers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.TextField(default='', unique=False)),
                ('waitlist_position', fields.IntField(null=True)),
                ('promoted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancel_reason', fields.TextField(default='', unique=False)),
                ('attendance', fields.CharField(null=True, max_length=16)),
                ('rating', fields.SmallIntField(null=True)),
                ('rating_comment', fields.TextField(default='', unique=False)),
                ('sequence', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'office_hours_booking', 'app': 'officehours', 'unique_together': (('organisation_id', 'idempotency_key'),), 'indexes': [Index(fields=['organisation_id', 'person_id', 'start_utc']), Index(fields=['organisation_id', 'host_id', 'start_utc'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OccurrenceRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('type_id', fields.UUIDField()),
                ('host_id', fields.UUIDField()),
                ('start_utc', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('end_utc', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('capacity', fields.IntField()),
                ('taken', fields.IntField(default=0)),
                ('waitlist_seq', fields.IntField(default=0)),
            ],
            options={'table': 'office_hours_occurrence', 'app': 'officehours', 'unique_together': (('type_id', 'start_utc'),), 'indexes': [Index(fields=['organisation_id', 'host_id', 'start_utc'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfficeHoursTypeRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('host_id', fields.UUIDField()),
                ('owner_kind', fields.CharField(default='expert', max_length=16)),
                ('owner_id', fields.UUIDField(null=True)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('topics', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('time_zone', fields.CharField(max_length=64)),
                ('rules', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('overrides', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('blackouts', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('questions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('location', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('slot_minutes', fields.IntField()),
                ('interval_minutes', fields.IntField()),
                ('capacity', fields.IntField()),
                ('buffer_before_minutes', fields.IntField(default=0)),
                ('buffer_after_minutes', fields.IntField(default=0)),
                ('min_notice_minutes', fields.IntField(default=0)),
                ('horizon_days', fields.IntField()),
                ('max_per_day', fields.IntField(null=True)),
                ('max_per_week', fields.IntField(null=True)),
                ('requires_approval', fields.BooleanField(default=False)),
                ('paused', fields.BooleanField(default=False)),
                ('archived', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'office_hours_type', 'app': 'officehours', 'indexes': [Index(fields=['organisation_id', 'host_id']), Index(fields=['organisation_id', 'owner_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
