from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('officehours', '0002_auto_20261122_0111')]

    initial = False

    operations = [
        ops.CreateModel(
            name='QuotaRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('type_id', fields.UUIDField()),
                ('period', fields.CharField(max_length=16)),
                ('sessions', fields.IntField(default=0)),
            ],
            options={'table': 'office_hours_quota', 'app': 'officehours', 'unique_together': (('type_id', 'period'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
