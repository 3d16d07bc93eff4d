"""The two attacks the keyed chain and the published heads are for, by someone with SQL access but not the key.

Nothing is given by hand here: `audit_verify` reads the key from the settings and the heads that `audit_publish`
wrote.
"""

import datetime
import hashlib
import hmac

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from guichet.audit.enums import AuditAction
from guichet.audit.keys import key_id_of
from guichet.audit.models import AuditEvent
from guichet.audit.services import audit_chain_verify, event_record
from tests.audit.tampering import rechain, tamper

pytestmark = pytest.mark.django_db

ATTACKER_KEY = "a-key-the-attacker-made-up-for-the-journal"


def _forge_event_2() -> None:
    tamper("UPDATE audit_auditevent SET data = %s WHERE seq = 2", ['{"n": "forged"}'])


def _attacker_mac(event: AuditEvent) -> str:
    return hmac.new(ATTACKER_KEY.encode(), event.canonical(), hashlib.sha256).hexdigest()


def test_a_rewrite_rehashed_with_plain_sha256_is_detected(chain):
    _forge_event_2()
    rechain(from_seq=2, sign=AuditEvent.plain_hash)
    with pytest.raises(CommandError, match=r"event #2: content does not match its MAC"):
        call_command("audit_verify")


def test_a_rewrite_passed_off_as_written_before_the_key_is_detected(chain):
    _forge_event_2()
    rechain(from_seq=1, sign=AuditEvent.plain_hash, key_id="")
    with pytest.raises(CommandError, match=r"event #1: it has no key"):
        call_command("audit_verify")


def test_a_rewrite_signed_with_a_wrong_key_under_the_real_key_id_is_detected(chain):
    _forge_event_2()
    rechain(from_seq=2, sign=_attacker_mac)
    with pytest.raises(CommandError, match=r"event #2: content does not match its MAC"):
        call_command("audit_verify")


def test_a_rewrite_signed_with_a_wrong_key_under_its_own_key_id_is_detected(chain):
    _forge_event_2()
    rechain(from_seq=2, sign=_attacker_mac, key_id=key_id_of(ATTACKER_KEY))
    with pytest.raises(CommandError, match=rf"event #2: signed with an unknown key {key_id_of(ATTACKER_KEY)}"):
        call_command("audit_verify")


def test_a_whole_journal_rewritten_after_publication_is_detected(chain):
    call_command("audit_publish")
    _forge_event_2()
    rechain(from_seq=1, sign=_attacker_mac, key_id=key_id_of(ATTACKER_KEY))
    with pytest.raises(CommandError, match="#1"):
        call_command("audit_verify")


def test_a_cut_tail_is_detected_against_the_published_head(chain):
    call_command("audit_publish")
    call_command("audit_verify")
    tamper("DELETE FROM audit_auditevent WHERE seq > 2")
    today = timezone.localdate().isoformat()
    message = rf"event #3: the journal ends at #2, before the head published on {today} \(#4\)"
    with pytest.raises(CommandError, match=message):
        call_command("audit_verify")


def test_a_cut_tail_grown_again_by_new_events_is_detected(chain, citizen):
    call_command("audit_publish")
    tamper("DELETE FROM audit_auditevent WHERE seq > 2")
    for _ in range(3):
        event_record(action=AuditAction.LOGIN, actor=citizen)
    today = timezone.localdate().isoformat()
    with pytest.raises(CommandError, match=rf"event #4: the head published on {today} \(#4\) is no longer in"):
        call_command("audit_verify")


def test_an_emptied_journal_is_detected(chain):
    call_command("audit_publish")
    tamper("DELETE FROM audit_auditevent")
    with pytest.raises(CommandError, match=r"the journal ends at #0"):
        call_command("audit_verify")


def test_a_cut_tail_is_detected_by_the_next_publication_which_publishes_nothing(chain, time_machine, heads_file):
    call_command("audit_publish")
    published = heads_file.read_text()
    tamper("DELETE FROM audit_auditevent WHERE seq = 4")
    time_machine.move_to(timezone.now() + datetime.timedelta(days=1))
    with pytest.raises(CommandError, match="the journal ends at #3.*Nothing published"):
        call_command("audit_publish")
    assert heads_file.read_text() == published


def test_a_key_retired_by_a_rotation_cannot_sign_after_the_new_one(chain, citizen, settings):
    old_key = settings.AUDIT_CHAIN_KEY
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_OLD_KEYS = "the-new-key-of-the-journal-after-rotation", [old_key]
    event_record(action=AuditAction.LOGIN, actor=citizen)
    assert audit_chain_verify().ok
    # Someone holding the old key (it leaked) appends an event signed with it.
    last = AuditEvent.objects.get(seq=5)
    forged = AuditEvent(seq=6, created_at=last.created_at, action="login", prev_hash=last.hash)
    forged.key_id = key_id_of(old_key)
    forged.hash = hmac.new(old_key.encode(), forged.canonical(), hashlib.sha256).hexdigest()
    forged.save(force_insert=True)
    report = audit_chain_verify()
    assert report.broken_seq == 6
    assert report.reason == f"signed with key {key_id_of(old_key)}, which the chain had already moved on from"


def test_events_signed_before_a_rotation_verify_with_the_old_key_and_only_with_it(chain, citizen, settings):
    old_key = settings.AUDIT_CHAIN_KEY
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_OLD_KEYS = "the-new-key-of-the-journal-after-rotation", [old_key]
    event_record(action=AuditAction.LOGIN, actor=citizen)
    assert [e.key_id for e in AuditEvent.objects.order_by("seq")] == [key_id_of(old_key)] * 4 + [
        key_id_of(settings.AUDIT_CHAIN_KEY)
    ]
    assert audit_chain_verify().ok
    settings.AUDIT_CHAIN_OLD_KEYS = []
    report = audit_chain_verify()
    assert report.broken_seq == 1
    assert "unknown key" in report.reason
