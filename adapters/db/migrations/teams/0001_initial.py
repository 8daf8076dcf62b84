from tortoise import migrations
from tortoise.migrations import operations as ops
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ConversationRefRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('conversation_id', fields.CharField(max_length=512)),
                ('conversation_type', fields.CharField(max_length=16)),
                ('service_url', fields.CharField(max_length=512)),
                ('tenant_id', fields.CharField(max_length=64)),
                ('bot_id', fields.CharField(max_length=255)),
                ('bot_name', fields.CharField(default='', max_length=255)),
                ('user_id', fields.CharField(max_length=512)),
                ('person_id', fields.UUIDField(null=True)),
                ('channel_id', fields.CharField(default='msteams', max_length=32)),
                ('team_id', fields.CharField(null=True, max_length=512)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'teams_conversation', 'app': 'teams', 'unique_together': (('organisation_id', 'conversation_id'),), 'indexes': [Index(fields=['organisation_id', 'person_id', 'conversation_type'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
