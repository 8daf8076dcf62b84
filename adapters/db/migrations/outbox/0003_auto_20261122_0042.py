from tortoise import migrations
from tortoise.migrations import operations as ops
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('outbox', '0002_auto_20261122_0015')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CalendarLinkRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField(db_index=True)),
                ('aggregate_type', fields.CharField(max_length=64)),
                ('aggregate_id', fields.CharField(max_length=128)),
                ('event_id', fields.CharField(max_length=512)),
                ('ical_uid', fields.CharField(default='', max_length=512)),
                ('join_url', fields.TextField(default='', unique=False)),
                ('cancelled', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'calendar_links', 'app': 'outbox', 'unique_together': (('aggregate_type', 'aggregate_id'),), 'pk_attr': 'id', 'table_description': 'The calendar event an aggregate (a booking, a session occurrence) has in Outlook.'},
            bases=['Model'],
        ),
    ]
