from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('officehours', '0004_booking_calendar_event')]

    initial = False

    operations = [
        ops.AddField(
            model_name='BookingRow',
            name='audience',
            field=fields.BooleanField(default=False, description='watches the session without taking a seat (`Booking.audience`)'),
        ),
    ]
