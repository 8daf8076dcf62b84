from tortoise import migrations
from tortoise.migrations import operations as ops
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('expertise', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeflectionRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField()),
                ('question_id', fields.UUIDField()),
                ('asker_id', fields.UUIDField(null=True)),
                ('source', fields.CharField(max_length=16)),
                ('ref', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'expertise_deflection', 'app': 'expertise', 'unique_together': (('organisation_id', 'question_id'),), 'indexes': [Index(fields=['organisation_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A question the asker resolved from reused answers or resources (one per question).'},
            bases=['Model'],
        ),
    ]
