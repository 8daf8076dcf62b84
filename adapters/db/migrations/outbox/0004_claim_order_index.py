from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('outbox', '0003_auto_20261122_0042')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='OutboxRow',
            index=Index(fields=['status', 'seq']),
        ),
    ]
