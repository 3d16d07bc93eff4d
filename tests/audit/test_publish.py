import datetime
import os
import stat

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from guichet.audit.enums import AuditAction
from guichet.audit.heads import HeadsFileError, PublishedHead, heads_parse, heads_read
from guichet.audit.keys import key_id_of
from guichet.audit.services import AuditHeadEmailFailed, audit_chain_verify, audit_head_publish, event_record
from tests.audit.tampering import tamper

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 7)


def test_the_head_published_is_the_last_event_with_its_key_and_mac(chain, heads_file):
    head, published = audit_head_publish(day=DAY)
    assert published
    last = chain[-1]
    assert head == PublishedHead(DAY, 4, last.key_id, last.hash)
    assert heads_read(heads_file) == [head]
    assert heads_file.read_text().splitlines()[-1] == f"2026-12-07 4 {last.key_id} {last.hash}"


def test_publishing_twice_the_same_day_publishes_once(chain, citizen, heads_file, settings):
    settings.AUDIT_HEADS_EMAIL = ["dpo@territoire.example.fr"]
    first, _ = audit_head_publish(day=DAY)
    content = heads_file.read_text()
    event_record(action=AuditAction.LOGIN, actor=citizen)
    again, published = audit_head_publish(day=DAY)
    assert (again, published) == (first, False)
    assert heads_file.read_text() == content
    assert len(mail.outbox) == 1


def test_each_day_adds_its_own_head(chain, citizen, heads_file):
    audit_head_publish(day=DAY)
    event_record(action=AuditAction.LOGIN, actor=citizen)
    audit_head_publish(day=DAY + datetime.timedelta(days=1))
    assert [(head.date.day, head.seq) for head in heads_read(heads_file)] == [(7, 4), (8, 5)]
    assert audit_chain_verify().heads_checked == 2


def test_the_command_is_idempotent_per_day_and_says_so(chain, heads_file, capsys, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC), tick=False)  # 00:30 in Paris
    call_command("audit_publish")
    assert "Published in" in capsys.readouterr().out
    call_command("audit_publish")
    assert "Head of 2026-12-08 already published" in capsys.readouterr().out
    assert len(heads_read(heads_file)) == 1


def test_an_empty_journal_publishes_its_genesis(db, heads_file):
    head, _ = audit_head_publish(day=DAY)
    assert (head.seq, head.key_id, head.mac) == (0, "", "0" * 64)
    assert heads_file.read_text().splitlines()[-1] == f"2026-12-07 0 - {'0' * 64}"
    assert audit_chain_verify().ok


def test_the_head_is_emailed_to_the_named_addresses_without_the_key(chain, settings):
    settings.AUDIT_HEADS_EMAIL = ["dpo@territoire.example.fr", "audit@prefecture.example.fr"]
    head, _ = audit_head_publish(day=DAY)
    [message] = mail.outbox
    assert message.to == ["dpo@territoire.example.fr", "audit@prefecture.example.fr"]
    assert "2026-12-07" in message.subject
    assert head.line() in message.body
    assert settings.AUDIT_CHAIN_KEY not in message.subject + message.body


def test_a_journal_that_does_not_verify_is_not_published_and_the_addresses_are_alerted(chain, heads_file, settings):
    settings.AUDIT_HEADS_EMAIL = ["dpo@territoire.example.fr"]
    tamper("UPDATE audit_auditevent SET action = 'logout' WHERE seq = 2")
    with pytest.raises(CommandError, match="event #2: content does not match its MAC.*Nothing published"):
        call_command("audit_publish")
    assert heads_read(heads_file) == []
    [alert] = mail.outbox
    assert "vérification a échoué" in alert.subject
    assert "event #2" in alert.body


def test_a_failed_email_leaves_the_head_in_the_file_and_says_so(
    chain, heads_file, settings, monkeypatch, time_machine
):
    settings.AUDIT_HEADS_EMAIL = ["dpo@territoire.example.fr"]

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr("guichet.audit.services.send_mail", refuse)
    with pytest.raises(AuditHeadEmailFailed, match="is in .*audit_heads.txt, but emailing it to dpo@"):
        audit_head_publish(day=DAY)
    assert len(heads_read(heads_file)) == 1
    time_machine.move_to(datetime.datetime(2026, 12, 9, 12, tzinfo=datetime.UTC))
    with pytest.raises(CommandError, match="send that line by hand"):
        call_command("audit_publish")
    assert [head.date.day for head in heads_read(heads_file)] == [7, 9]


def test_the_heads_file_is_created_with_its_directory_and_explains_itself(chain, heads_file):
    assert not heads_file.parent.exists()
    audit_head_publish(day=DAY)
    first_line = heads_file.read_text().splitlines()[0]
    assert first_line.startswith("# Published heads of Guichet's audit journal")
    assert not stat.S_IMODE(os.stat(heads_file).st_mode) & stat.S_IWOTH


def test_the_key_never_reaches_the_heads_file(chain, heads_file, settings):
    audit_head_publish(day=DAY)
    text = heads_file.read_text()
    assert key_id_of(settings.AUDIT_CHAIN_KEY) in text
    assert settings.AUDIT_CHAIN_KEY not in text


def test_a_line_that_is_not_a_head_is_named(chain, heads_file):
    audit_head_publish(day=DAY)
    with heads_file.open("a") as handle:
        handle.write("2026-12-08 5 nonsense\n")
    with pytest.raises(HeadsFileError, match=r"line 4 of .* is not a published head"):
        heads_read(heads_file)
    with pytest.raises(CommandError, match="Published heads unreadable: line 4"):
        call_command("audit_verify")


def test_an_impossible_date_is_refused():
    with pytest.raises(HeadsFileError, match="impossible date: 2026-13-07"):
        heads_parse(f"2026-13-07 1 - {'0' * 64}")


def test_an_auditors_own_copy_of_the_heads_can_be_checked(chain, heads_file, tmp_path):
    audit_head_publish(day=DAY)
    copy = tmp_path / "copy_received_by_email.txt"
    copy.write_text(heads_file.read_text())
    heads_file.unlink()
    tamper("DELETE FROM audit_auditevent WHERE seq = 4")
    call_command("audit_verify")  # the file on the server is gone...
    with pytest.raises(CommandError, match="the journal ends at #3"):
        call_command("audit_verify", heads_file=copy)  # ...the copy still tells
    with pytest.raises(CommandError, match="No published heads at"):
        call_command("audit_verify", heads_file=tmp_path / "missing.txt")


def test_the_day_is_the_local_date(chain, heads_file, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC), tick=False)
    assert timezone.localdate() == datetime.date(2026, 12, 8)
    head, _ = audit_head_publish()
    assert head.date == datetime.date(2026, 12, 8)
