from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AnswerRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('question_id', fields.UUIDField()),
                ('author_id', fields.UUIDField()),
                ('text', fields.TextField(default='', unique=False)),
                ('accepted', fields.BooleanField(default=False)),
                ('score', fields.IntField(default=0)),
                ('source_key', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'expertise_answer', 'app': 'expertise', 'indexes': [Index(fields=['organisation_id', 'question_id']), Index(fields=['organisation_id', 'author_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChangeRow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('kind', fields.CharField(max_length=32)),
                ('ref', fields.UUIDField(null=True)),
            ],
            options={'table': 'expertise_change', 'app': 'expertise', 'indexes': [Index(fields=['organisation_id', 'id'])], 'pk_attr': 'id', 'table_description': 'What changed, in order: search indexes in every process catch up from here.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EvidenceRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('person_id', fields.UUIDField()),
                ('kind', fields.CharField(max_length=32)),
                ('ref', fields.CharField(max_length=200)),
                ('skill_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('text', fields.TextField(default='', unique=False)),
                ('rating', fields.FloatField(null=True)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'expertise_evidence', 'app': 'expertise', 'unique_together': (('organisation_id', 'person_id', 'kind', 'ref'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfferRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('question_id', fields.UUIDField()),
                ('expert_id', fields.UUIDField()),
                ('round', fields.IntField(default=1)),
                ('status', fields.CharField(default='offered', max_length=16)),
                ('reason', fields.CharField(default='', max_length=500)),
                ('suggested_id', fields.UUIDField(null=True)),
                ('offered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'expertise_offer', 'app': 'expertise', 'indexes': [Index(fields=['organisation_id', 'question_id']), Index(fields=['organisation_id', 'expert_id', 'offered_at']), Index(fields=['status', 'due_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProfileRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('person_id', fields.UUIDField()),
                ('headline', fields.CharField(default='', max_length=300)),
                ('weekly_request_cap', fields.IntField(default=5)),
                ('weekly_hours_cap', fields.FloatField(default=4.0)),
                ('paused_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'expertise_profile', 'app': 'expertise', 'unique_together': (('organisation_id', 'person_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QuestionRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('seq', fields.BigIntField()),
                ('asker_id', fields.UUIDField(null=True)),
                ('title', fields.CharField(max_length=500)),
                ('body', fields.TextField(default='', unique=False)),
                ('skill_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='open', max_length=16)),
                ('source_key', fields.CharField(null=True, max_length=255)),
                ('accepted_answer_id', fields.UUIDField(null=True)),
                ('route_round', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'expertise_question', 'app': 'expertise', 'unique_together': (('organisation_id', 'source_key'),), 'indexes': [Index(fields=['organisation_id', 'seq'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SkillRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField(db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'expertise_skill', 'app': 'expertise', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeclaredSkillRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('person_id', fields.UUIDField()),
                ('skill', fields.ForeignKeyField('expertise.SkillRow', source_field='skill_id', db_constraint=True, to_field='id', related_name='declared', on_delete=OnDelete.CASCADE)),
                ('level', fields.IntField()),
            ],
            options={'table': 'expertise_declared_skill', 'app': 'expertise', 'unique_together': (('organisation_id', 'person_id', 'skill_id'),), 'indexes': [Index(fields=['skill_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EndorsementRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('person_id', fields.UUIDField()),
                ('skill', fields.ForeignKeyField('expertise.SkillRow', source_field='skill_id', db_constraint=True, to_field='id', related_name='endorsements', on_delete=OnDelete.CASCADE)),
                ('endorser_id', fields.UUIDField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'expertise_endorsement', 'app': 'expertise', 'unique_together': (('organisation_id', 'person_id', 'skill_id', 'endorser_id'),), 'indexes': [Index(fields=['skill_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SkillAliasRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('key', fields.CharField(max_length=100)),
                ('skill', fields.ForeignKeyField('expertise.SkillRow', source_field='skill_id', db_constraint=True, to_field='id', related_name='aliases', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'expertise_skill_alias', 'app': 'expertise', 'unique_together': (('organisation_id', 'key'),), 'indexes': [Index(fields=['skill_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
