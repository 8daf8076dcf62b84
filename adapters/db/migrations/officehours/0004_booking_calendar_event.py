from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('officehours', '0003_auto_20261122_0126')]

    initial = False

    operations = [
        ops.AddField(
            model_name='BookingRow',
            name='calendar_event_id',
            field=fields.CharField(default='', max_length=512),
        ),
        ops.AddField(
            model_name='BookingRow',
            name='join_url',
            field=fields.TextField(default='', unique=False),
        ),
    ]
