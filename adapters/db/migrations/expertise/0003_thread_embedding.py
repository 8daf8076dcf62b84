from tortoise import migrations
from tortoise.migrations import operations as ops
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('expertise', '0002_deflection')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ThreadEmbeddingRow',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organisation_id', fields.UUIDField(db_index=True)),
                ('model', fields.CharField(max_length=64)),
                ('vector', fields.BinaryField()),
            ],
            options={'table': 'expertise_thread_embedding', 'app': 'expertise', 'pk_attr': 'id', 'table_description': 'The dense vector of an answered thread (optional semantic signal), float32 bytes.'},
            bases=['Model'],
        ),
    ]
