import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

from guichet.audit.enums import AuditAction
from guichet.audit.heads import heads_read
from guichet.audit.keys import key_id_of
from guichet.audit.models import GENESIS_HASH, AuditEvent
from guichet.audit.services import audit_chain_verify, event_record
from tests.audit.tampering import rechain, tamper

pytestmark = pytest.mark.django_db

NEW_KEY = "the-new-key-of-the-journal-after-rotation"


def _unkeyed_journal(count: int) -> list[AuditEvent]:
    """Events as the code before the keyed chain wrote them: no key id, a plain SHA-256 chain."""
    last = AuditEvent.objects.order_by("-seq").first()
    prev_hash, seq = (last.hash, last.seq) if last else (GENESIS_HASH, 0)
    for n in range(count):
        event = AuditEvent(
            seq=seq + n + 1, created_at=timezone.now(), action="login", data={"n": n}, prev_hash=prev_hash, key_id=""
        )
        event.hash = prev_hash = event.plain_hash()
        event.save(force_insert=True)
    return list(AuditEvent.objects.order_by("seq"))


def _contents() -> list[tuple]:
    return list(AuditEvent.objects.order_by("seq").values_list("seq", "created_at", "action", "data"))


def test_a_journal_written_before_the_key_is_refused_until_it_is_re_keyed(db):
    _unkeyed_journal(3)
    with pytest.raises(CommandError, match=r"event #1: it has no key.*audit_rekey"):
        call_command("audit_verify")
    with pytest.raises(CommandError, match="Nothing published"):
        call_command("audit_publish")


def test_the_re_key_signs_the_unkeyed_journal_keeps_its_content_and_publishes_its_head(db, heads_file, capsys):
    _unkeyed_journal(3)
    before = _contents()
    call_command("audit_rekey")
    assert "3 events signed again" in capsys.readouterr().out
    events = list(AuditEvent.objects.order_by("seq"))
    assert _contents()[:3] == before
    assert {event.key_id for event in events} == {key_id_of("tests-only-audit-chain-key-not-a-secret")}
    rekeyed = events[-1]
    assert rekeyed.action == AuditAction.AUDIT_CHAIN_REKEYED
    assert rekeyed.data == {"from_seq": 1, "events": 3, "key_id": rekeyed.key_id}
    [head] = heads_read(heads_file)
    assert (head.seq, head.mac, head.rekey) == (4, rekeyed.hash, True)
    assert heads_file.read_text().splitlines()[-1].endswith(" rekey")
    call_command("audit_verify")
    call_command("audit_publish")
    assert "already published" in capsys.readouterr().out


def test_the_re_key_takes_unkeyed_events_followed_by_events_written_after_the_upgrade(citizen):
    _unkeyed_journal(2)
    event_record(action=AuditAction.LOGIN, actor=citizen)
    assert audit_chain_verify().broken_seq == 1
    call_command("audit_rekey")
    assert audit_chain_verify().ok
    assert audit_chain_verify().checked == 4


def test_the_re_key_refuses_a_broken_unkeyed_journal_and_changes_nothing(db, heads_file):
    events = _unkeyed_journal(3)
    tamper("UPDATE audit_auditevent SET action = 'logout' WHERE seq = 2")
    with pytest.raises(CommandError, match=r"event #2: content does not match its hash.*Nothing signed again"):
        call_command("audit_rekey")
    assert [e.hash for e in AuditEvent.objects.order_by("seq")] == [e.hash for e in events]
    assert heads_read(heads_file) == []


def test_the_re_key_checks_a_head_published_by_hand_before_the_upgrade(db):
    events = _unkeyed_journal(3)
    with pytest.raises(CommandError, match="--expect-head is no longer in the journal"):
        call_command("audit_rekey", expect_head="f" * 64)
    assert AuditEvent.objects.filter(key_id="").count() == 3
    call_command("audit_rekey", expect_head=events[-1].hash)
    assert not AuditEvent.objects.filter(key_id="").exists()


def test_unkeyed_events_are_not_signed_again_once_a_head_was_published(chain, heads_file):
    call_command("audit_publish")
    tamper("UPDATE audit_auditevent SET data = %s WHERE seq = 2", ['{"n": "forged"}'])
    rechain(from_seq=1, sign=AuditEvent.plain_hash, key_id="")
    with pytest.raises(CommandError, match=r"event #1: it has no key"):
        call_command("audit_rekey")
    assert AuditEvent.objects.get(seq=2).data == {"n": "forged"}  # left as found, for the investigation
    assert len(heads_read(heads_file)) == 1


def test_a_leaked_key_is_retired_by_re_keying_from_the_first_event_it_signed(chain, citizen, settings, heads_file):
    leaked = settings.AUDIT_CHAIN_KEY
    call_command("audit_publish")
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_OLD_KEYS = NEW_KEY, [leaked]
    event_record(action=AuditAction.LOGIN, actor=citizen)
    call_command("audit_rekey")
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {key_id_of(NEW_KEY)}
    assert AuditEvent.objects.get(action=AuditAction.AUDIT_CHAIN_REKEYED).data["events"] == 5
    settings.AUDIT_CHAIN_OLD_KEYS = []
    report = audit_chain_verify()
    assert report.ok
    assert report.heads_checked == 1  # the head published before the re-key names MACs that no longer exist
    assert len(heads_read(heads_file)) == 2


def test_a_re_key_starts_at_the_first_event_not_under_the_current_key(chain, citizen, settings):
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_OLD_KEYS = NEW_KEY, [settings.AUDIT_CHAIN_KEY]
    event_record(action=AuditAction.LOGIN, actor=citizen)
    call_command("audit_rekey")
    assert AuditEvent.objects.get(action=AuditAction.AUDIT_CHAIN_REKEYED).data == {
        "from_seq": 1,
        "events": 5,
        "key_id": key_id_of(NEW_KEY),
    }


def test_a_journal_already_under_the_current_key_is_left_alone(chain, heads_file, capsys):
    call_command("audit_rekey")
    assert "nothing to do" in capsys.readouterr().out
    assert [e.hash for e in AuditEvent.objects.order_by("seq")] == [e.hash for e in chain]
    assert heads_read(heads_file) == []


def test_the_journal_is_append_only_again_after_a_re_key(db):
    _unkeyed_journal(2)
    call_command("audit_rekey")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="logout")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()


def test_a_re_key_that_fails_half_way_changes_nothing_and_keeps_the_journal_append_only(db, monkeypatch, heads_file):
    events = _unkeyed_journal(2)

    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("guichet.audit.services.event_record", fail)
    with pytest.raises(RuntimeError):
        call_command("audit_rekey")
    assert [(e.key_id, e.hash) for e in AuditEvent.objects.order_by("seq")] == [(e.key_id, e.hash) for e in events]
    assert heads_read(heads_file) == []
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="logout")
