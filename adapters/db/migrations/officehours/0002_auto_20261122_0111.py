from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('officehours', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='BookingRow',
            name='seq',
            field=fields.BigIntField(default=0),
        ),
    ]
