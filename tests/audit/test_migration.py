"""The 2026-12-07 migration to sealed events: the journal written before keeps verifying and stays append-only."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from guichet.audit.enums import AuditAction
from guichet.audit.models import AuditEvent
from guichet.audit.services import audit_chain_verify, event_record

BEFORE = ("audit", "0004_event_key_id")


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.fixture
def migrator(transactional_db):
    yield _migrate
    executor = MigrationExecutor(connection)  # whatever happened, the next tests find the latest schema
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_events_chained_before_keep_verifying_and_new_ones_follow_them(migrator):
    for n in range(3):
        event_record(action=AuditAction.LOGIN, data={"n": n})
    before = list(AuditEvent.objects.order_by("seq").values_list("seq", "hash"))
    migrator(BEFORE)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'logout' WHERE seq = 1")  # the old triggers are back
    migrator(("audit", "0005_sealed_events"))

    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "hash")) == before
    assert set(AuditEvent.objects.values_list("seal", flat=True)) == {""}
    event = event_record(action=AuditAction.LOGOUT)
    assert event.seq == 4
    report = audit_chain_verify()
    assert (report.ok, report.checked) == (True, 4)
    for sql in (
        "UPDATE audit_auditevent SET action = 'logout' WHERE seq = 1",
        "UPDATE audit_auditevent SET seq = 9 WHERE seq = 4",
        "DELETE FROM audit_auditevent WHERE seq = 2",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
