from django.db import migrations, models

# Events are now written sealed and chained afterwards by the sequencer (guichet/audit/services.py). The triggers
# still refuse DELETE (and TRUNCATE on PostgreSQL); they refuse every UPDATE but one: the chaining of an event that
# is not chained yet, which sets its number, MACs and key and leaves its content and seal as they were.
CONTENT = ["id", "created_at", "actor", "subject", "action", "target_type", "target_id", "data", "seal"]

_SQLITE_UNCHANGED = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in CONTENT)
SQLITE_FORWARD = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL AND {_SQLITE_UNCHANGED})
       BEGIN SELECT RAISE(ABORT, 'audit journal is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit journal is append-only'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]
POSTGRES_FORWARD = [
    f"""CREATE OR REPLACE FUNCTION audit_event_chain_only() RETURNS trigger AS $$
       BEGIN
         IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
            AND ({", ".join(f"NEW.{c}" for c in CONTENT)}) IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in CONTENT)})
         THEN RETURN NEW; END IF;
         RAISE EXCEPTION 'audit journal is append-only';
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_chain_only BEFORE UPDATE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_chain_only()""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_refuse()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_chain_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_event_chain_only()",
]

# The triggers of migrations 0002 and 0004, which refused every UPDATE (TRUNCATE's trigger stays as it was).
_SQLITE_BEFORE = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit journal is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit journal is append-only'); END""",
]
_POSTGRES_BEFORE = [
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_refuse()""",
]
_POSTGRES_BEFORE_DROP = ["DROP TRIGGER IF EXISTS audit_event_no_change ON audit_auditevent"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_event_key_id")]

    operations = [
        # SQLite rebuilds the table for the changes below (which drops its triggers); both vendors get the new
        # triggers at the end, and the old ones back when unapplying.
        migrations.RunPython(
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": _POSTGRES_BEFORE_DROP}),
            _run({"sqlite": SQLITE_BACKWARD + _SQLITE_BEFORE, "postgresql": POSTGRES_BACKWARD + _POSTGRES_BEFORE}),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seal",
            field=models.CharField(blank=True, db_default="", max_length=81),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(blank=True, null=True, unique=True, verbose_name="numéro"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(condition=models.Q(("seq__isnull", True)), fields=["id"], name="audit_event_waiting"),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
