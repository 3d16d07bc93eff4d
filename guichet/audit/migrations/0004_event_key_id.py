from django.db import migrations, models

# SQLite adds a NOT NULL column by rebuilding the table, and dropping the old table drops its triggers: they are
# put back here, so the journal stays append-only across this migration. PostgreSQL adds the column in place.
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit journal is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit journal is append-only'); END""",
]


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_action_without_choices")]

    operations = [
        # Unapplying rebuilds the table again: the triggers are put back after it.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_triggers),
        # Rows written before the chain was keyed keep an empty key id until `guichet audit_rekey` signs them.
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, db_default="", max_length=16),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
    ]
