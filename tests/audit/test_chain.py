import hashlib
import hmac

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from guichet.audit.enums import AuditAction
from guichet.audit.keys import key_id_of
from guichet.audit.models import AuditEvent
from guichet.audit.services import audit_chain_verify, event_record
from tests.audit.tampering import tamper

pytestmark = pytest.mark.django_db


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


def test_each_event_is_signed_with_the_current_key_over_its_content_and_the_previous_mac(chain):
    key = settings.AUDIT_CHAIN_KEY.encode()
    for event in chain:
        assert event.key_id == key_id_of(settings.AUDIT_CHAIN_KEY)
        assert event.hash == hmac.new(key, event.canonical(), hashlib.sha256).hexdigest()
        assert f'"prev_hash":"{event.prev_hash}"' in event.canonical().decode()
        assert event.hash != event.plain_hash()


def test_the_key_is_stored_nowhere_in_the_journal(chain):
    key_id = key_id_of(settings.AUDIT_CHAIN_KEY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditevent")
        rows = cursor.fetchall()
    assert key_id in str(rows)
    assert settings.AUDIT_CHAIN_KEY not in str(rows)


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
    tamper("UPDATE audit_auditevent SET action = %s WHERE seq = 3", ["logout"])
    report = audit_chain_verify()
    assert report.broken_seq == 3
    assert report.reason.startswith("content does not match its MAC")


def test_a_changed_previous_link_is_detected(chain):
    tamper("UPDATE audit_auditevent SET prev_hash = %s WHERE seq = 3", [chain[0].hash])
    report = audit_chain_verify()
    assert (report.broken_seq, report.reason) == (3, "previous MAC does not match")


def test_a_deleted_row_is_detected(chain):
    tamper("DELETE FROM audit_auditevent WHERE seq = 2")
    report = audit_chain_verify()
    assert report.broken_seq == 3
    assert "expected #2" in report.reason


def test_reordered_rows_are_detected(chain):
    # Swap the contents of two rows, keeping their sequence numbers in place.
    first, second = AuditEvent.objects.get(seq=2), AuditEvent.objects.get(seq=3)
    tamper("UPDATE audit_auditevent SET hash = 'swap' WHERE seq = 3")
    tamper(
        "UPDATE audit_auditevent SET action = %s, data = %s, hash = %s, prev_hash = %s WHERE seq = 2",
        [second.action, '{{"n": "{}"}}'.format(second.data["n"]), second.hash, second.prev_hash],
    )
    tamper(
        "UPDATE audit_auditevent SET action = %s, data = %s, hash = %s, prev_hash = %s WHERE seq = 3",
        [first.action, '{{"n": "{}"}}'.format(first.data["n"]), first.hash, first.prev_hash],
    )
    assert audit_chain_verify().broken_seq == 2


def test_renumbered_rows_are_detected(chain):
    tamper("UPDATE audit_auditevent SET seq = 100 WHERE seq = 4")
    assert audit_chain_verify().broken_seq == 100


def test_the_command_names_the_first_broken_row(chain, capsys):
    call_command("audit_verify")
    assert "Audit chain OK: 4 events" in capsys.readouterr().out
    tamper("UPDATE audit_auditevent SET target_id = 'x' WHERE seq = 4")
    with pytest.raises(CommandError, match="#4"):
        call_command("audit_verify")


def test_the_command_warns_while_no_head_is_published(chain, capsys):
    call_command("audit_verify")
    assert "No head published" in capsys.readouterr().err
    call_command("audit_publish")
    call_command("audit_verify")
    output = capsys.readouterr()
    assert "1 published heads checked" in output.out
    assert output.err == ""


def test_a_head_given_by_hand_is_still_checked(chain):
    call_command("audit_verify", expect_head=chain[-1].hash)
    with pytest.raises(CommandError, match="--expect-head"):
        call_command("audit_verify", expect_head="f" * 64)


def test_recording_keeps_its_signature_and_returns_the_saved_event(citizen):
    event = event_record(action=AuditAction.LOGIN, actor=citizen)
    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash
    assert event.seq == 1


def test_an_empty_journal_verifies(db):
    assert audit_chain_verify().ok
