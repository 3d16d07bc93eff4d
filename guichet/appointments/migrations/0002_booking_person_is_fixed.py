from django.db import migrations

# A booking is bound to one identity: the database itself refuses to change the person (or the seat) of a
# booking, whoever asks. This is what makes a transfer, hence a resale, impossible.
SQLITE_FORWARD = [
    """CREATE TRIGGER appointments_booking_person_fixed BEFORE UPDATE OF person_id, seat_id
       ON appointments_booking
       WHEN NEW.person_id <> OLD.person_id OR NEW.seat_id <> OLD.seat_id
       BEGIN SELECT RAISE(ABORT, 'a booking cannot change hands'); END""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS appointments_booking_person_fixed"]
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION appointments_booking_refuse_transfer() RETURNS trigger AS $$
       BEGIN
         IF NEW.person_id <> OLD.person_id OR NEW.seat_id <> OLD.seat_id THEN
           RAISE EXCEPTION 'a booking cannot change hands';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER appointments_booking_person_fixed BEFORE UPDATE ON appointments_booking
       FOR EACH ROW EXECUTE FUNCTION appointments_booking_refuse_transfer()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS appointments_booking_person_fixed ON appointments_booking",
    "DROP FUNCTION IF EXISTS appointments_booking_refuse_transfer()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
