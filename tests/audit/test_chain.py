import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from guichet.audit.enums import AuditAction
from guichet.audit.models import AuditEvent
from guichet.audit.services import audit_chain_verify, event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(citizen):
    for action in [AuditAction.LOGIN, AuditAction.PROFILE_UPDATED, AuditAction.CONSENT_GIVEN, AuditAction.LOGOUT]:
        event_record(action=action, actor=citizen, subject=citizen, target=citizen.person, data={"n": action.value})
    return list(AuditEvent.objects.order_by("seq"))


def _raw(sql: str, params=()) -> None:
    """Tamper as an attacker with database access would: triggers lifted, plain SQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
            cursor.execute(sql, params)
            from tests.conftest import _TRIGGERS

            for statement in _TRIGGERS.SQLITE_FORWARD:
                cursor.execute(statement)


def test_events_are_chained_from_genesis(chain):
    assert chain[0].seq == 1
    assert chain[0].prev_hash == "0" * 64
    for previous, event in zip(chain, chain[1:], strict=False):
        assert event.prev_hash == previous.hash
        assert event.seq == previous.seq + 1
    report = audit_chain_verify()
    assert report.ok
    assert report.checked == 4
    assert report.head == chain[-1].hash


def test_events_name_people_only_by_pseudonym(chain, citizen):
    event = chain[1]
    assert event.actor == citizen.person.pseudonym
    assert event.target_id == str(citizen.person.pseudonym)
    assert citizen.email not in str(event.data)


def test_the_database_refuses_updates(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[0].pk).update(action="logout")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET data = '{}' WHERE seq = 2")


def test_the_database_refuses_deletes(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[0].pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == len(chain)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_truncate(chain):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")


def test_a_modified_row_is_detected_and_named(chain):
    _raw("UPDATE audit_auditevent SET action = %s WHERE seq = 3", ["logout"])
    report = audit_chain_verify()
    assert (report.broken_seq, report.reason) == (3, "content does not match its hash")


def test_a_modified_row_with_a_recomputed_hash_breaks_the_next_link(chain):
    event = AuditEvent.objects.get(seq=2)
    event.data = {"n": "forged"}
    forged_hash = event.compute_hash()
    _raw("UPDATE audit_auditevent SET data = %s, hash = %s WHERE seq = 2", ['{"n": "forged"}', forged_hash])
    report = audit_chain_verify()
    assert report.broken_seq == 3
    assert report.reason == "previous hash does not match"


def test_a_deleted_row_is_detected(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = 2")
    report = audit_chain_verify()
    assert report.broken_seq == 3
    assert "expected #2" in report.reason


def test_reordered_rows_are_detected(chain):
    # Swap the contents of two rows, keeping their sequence numbers in place.
    first, second = AuditEvent.objects.get(seq=2), AuditEvent.objects.get(seq=3)
    _raw("UPDATE audit_auditevent SET hash = 'swap' WHERE seq = 3")
    _raw(
        "UPDATE audit_auditevent SET action = %s, data = %s, hash = %s, prev_hash = %s WHERE seq = 2",
        [second.action, '{{"n": "{}"}}'.format(second.data["n"]), second.hash, second.prev_hash],
    )
    _raw(
        "UPDATE audit_auditevent SET action = %s, data = %s, hash = %s, prev_hash = %s WHERE seq = 3",
        [first.action, '{{"n": "{}"}}'.format(first.data["n"]), first.hash, first.prev_hash],
    )
    assert audit_chain_verify().broken_seq == 2


def test_renumbered_rows_are_detected(chain):
    _raw("UPDATE audit_auditevent SET seq = 100 WHERE seq = 4")
    assert audit_chain_verify().broken_seq == 100


def test_a_removed_tail_is_detected_against_the_published_head(chain):
    head = chain[-1].hash
    call_command("audit_verify", expect_head=head)
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [chain[-1].seq])
    assert audit_chain_verify().ok  # the chain alone cannot tell...
    with pytest.raises(CommandError, match="published head"):
        call_command("audit_verify", expect_head=head)  # ...the published head can


def test_the_command_names_the_first_broken_row(chain, capsys):
    call_command("audit_verify")
    assert "Audit chain OK: 4 events" in capsys.readouterr().out
    _raw("UPDATE audit_auditevent SET target_id = 'x' WHERE seq = 4")
    with pytest.raises(CommandError, match="#4"):
        call_command("audit_verify")


def test_an_empty_journal_verifies(db):
    assert audit_chain_verify().ok
