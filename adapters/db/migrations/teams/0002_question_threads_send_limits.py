from tortoise import migrations
from tortoise.migrations import operations as ops
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('teams', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='QuestionThreadRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('question_id', fields.UUIDField()),
                ('conversation_id', fields.CharField(max_length=512)),
                ('conversation_type', fields.CharField(max_length=16)),
                ('root_message_id', fields.CharField(default='', max_length=128)),
                ('service_url', fields.CharField(max_length=512)),
                ('tenant_id', fields.CharField(max_length=64)),
                ('bot_id', fields.CharField(max_length=255)),
                ('bot_name', fields.CharField(default='', max_length=255)),
                ('user_id', fields.CharField(max_length=512)),
                ('person_id', fields.UUIDField(null=True)),
                ('channel_id', fields.CharField(default='msteams', max_length=32)),
                ('team_id', fields.CharField(null=True, max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'teams_question_thread', 'app': 'teams', 'unique_together': (('organisation_id', 'question_id'),), 'pk_attr': 'id', 'table_description': 'The channel thread or group chat a question was asked in (its answer goes there).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SendLimitRow',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=512)),
                ('history', fields.TextField(unique=False)),
                ('version', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'teams_send_limit', 'app': 'teams', 'pk_attr': 'key', 'table_description': "One conversation's recent sends, shared by every process (optimistic `version`)."},
            bases=['Model'],
        ),
    ]
