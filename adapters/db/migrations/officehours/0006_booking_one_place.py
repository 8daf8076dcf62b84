from tortoise import migrations
from tortoise.migrations import operations as ops

#: the places a person holds at one session: at most one active seat or waitlist place, and at
#: most one active audience place (a partial unique index; SQLite and PostgreSQL alike)
ACTIVE = "('pending', 'confirmed', 'waitlisted')"

#: another active place of the same kind, same person and session that comes first: a seat
#: before a waitlist place, then the earlier booking
DUPLICATE = (
    "EXISTS (SELECT 1 FROM office_hours_booking e "
    "WHERE e.occurrence_id = b.occurrence_id AND e.person_id = b.person_id "
    f"AND e.audience = b.audience AND e.status IN {ACTIVE} AND e.id <> b.id "
    "AND ((CASE WHEN e.status = 'waitlisted' THEN 1 ELSE 0 END) "
    "< (CASE WHEN b.status = 'waitlisted' THEN 1 ELSE 0 END) "
    "OR ((CASE WHEN e.status = 'waitlisted' THEN 1 ELSE 0 END) "
    "= (CASE WHEN b.status = 'waitlisted' THEN 1 ELSE 0 END) "
    "AND (e.seq < b.seq OR (e.seq = b.seq AND e.id < b.id)))))"
)

SEATS_OF_DUPLICATES = (
    "SELECT b.occurrence_id FROM office_hours_booking b "
    f"WHERE b.audience = FALSE AND b.status IN ('pending', 'confirmed') AND {DUPLICATE}"
)


class Migration(migrations.Migration):
    dependencies = [('officehours', '0005_booking_audience')]

    initial = False

    operations = [
        # places doubled by simultaneous requests before the index existed: the first stays,
        # the others are cancelled and give their seat back
        ops.RunSQL(
            "UPDATE office_hours_occurrence SET taken = taken - ("
            "SELECT COUNT(*) FROM office_hours_booking b "
            "WHERE b.occurrence_id = office_hours_occurrence.id AND b.audience = FALSE "
            f"AND b.status IN ('pending', 'confirmed') AND {DUPLICATE}) "
            f"WHERE id IN ({SEATS_OF_DUPLICATES})"
        ),
        ops.RunSQL(
            "UPDATE office_hours_booking SET status = 'cancelled', "
            "cancel_reason = 'a second place at the same session' "
            "WHERE id IN (SELECT b.id FROM office_hours_booking b "
            f"WHERE b.status IN {ACTIVE} AND {DUPLICATE})"
        ),
        ops.RunSQL(
            "CREATE UNIQUE INDEX office_hours_booking_one_place "
            "ON office_hours_booking (occurrence_id, person_id, audience) "
            f"WHERE status IN {ACTIVE}",
            reverse_sql="DROP INDEX office_hours_booking_one_place",
        ),
    ]
