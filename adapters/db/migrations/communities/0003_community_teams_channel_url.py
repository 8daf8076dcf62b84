from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('communities', '0002_auto_20261122_0050')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CommunityRow',
            name='teams_channel_url',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
