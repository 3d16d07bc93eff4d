"""Events are sealed in the transaction that makes the change, and chained by one sequencer at a time.

Writers never wait for each other on the journal: one that finds the sequencer busy leaves its sealed event
waiting, chained just after by whoever chains next, or by `guichet audit_sequence`.
"""

import datetime
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from guichet.audit.enums import AuditAction
from guichet.audit.heads import heads_read
from guichet.audit.keys import key_ring
from guichet.audit.models import AuditEvent
from guichet.audit.services import audit_chain_verify, audit_sequence, event_record

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent writers: PostgreSQL")


def waiting_event(n: int = 0, *, seal: str | None = None, created_at: datetime.datetime | None = None) -> AuditEvent:
    """A sealed event as a writer leaves it when another transaction is chaining (or it crashed just after commit)."""
    event = AuditEvent(created_at=created_at or timezone.now(), action=AuditAction.LOGIN, data={"n": n})
    key = key_ring().current
    event.seal = seal if seal is not None else f"{key.id}:{key.mac(event.sealed())}"
    event.save(force_insert=True)
    return event


def test_an_event_is_sealed_and_chained_in_the_transaction_that_writes_it():
    event = event_record(action=AuditAction.LOGIN, data={"n": 1})
    key = key_ring().current
    assert event.seal == f"{key.id}:{key.mac(event.sealed())}"
    assert (event.seq, event.key_id) == (1, key.id)
    assert AuditEvent.objects.get(seq=1).hash == event.hash == key.mac(event.canonical())


def test_an_event_goes_with_the_change_it_records_when_that_change_rolls_back():
    event_record(action=AuditAction.LOGIN, data={"n": 1})
    with pytest.raises(RuntimeError), transaction.atomic():
        event_record(action=AuditAction.LOGOUT, data={"n": 2})
        raise RuntimeError("the change fails")
    assert list(AuditEvent.objects.values_list("seq", "action")) == [(1, "login")]
    assert audit_chain_verify().ok


def test_the_seal_covers_the_content_and_never_reads_as_a_chained_event():
    event = event_record(action=AuditAction.LOGIN, data={"n": 1})
    assert event.sealed() != event.canonical()
    event.data = {"n": 2}
    key = key_ring().current
    assert event.seal != f"{key.id}:{key.mac(event.sealed())}"


def test_waiting_events_are_chained_after_the_last_one_in_the_order_they_were_written():
    first = event_record(action=AuditAction.LOGIN, data={"n": 1})
    waiting = [waiting_event(n) for n in (2, 3)]
    assert AuditEvent.objects.waiting().count() == 2
    assert audit_chain_verify().waiting == 2
    assert audit_sequence() == 2
    chained = list(AuditEvent.objects.order_by("seq"))
    assert [e.pk for e in chained] == [first.pk, *(e.pk for e in waiting)]
    assert [e.prev_hash for e in chained[1:]] == [e.hash for e in chained[:-1]]
    report = audit_chain_verify()
    assert (report.ok, report.checked, report.waiting) == (True, 3, 0)


def test_the_next_writer_chains_the_events_waiting_before_its_own():
    waiting = waiting_event(1)
    event = event_record(action=AuditAction.LOGOUT)
    assert (AuditEvent.objects.get(pk=waiting.pk).seq, event.seq) == (1, 2)


def test_the_database_lets_a_waiting_event_be_chained_once_and_its_content_never_change():
    event = waiting_event(1)
    with pytest.raises(DatabaseError), transaction.atomic():  # chaining it with other content
        AuditEvent.objects.filter(pk=event.pk).update(seq=1, hash="f" * 64, action="logout")
    with pytest.raises(DatabaseError), transaction.atomic():  # another seal
        AuditEvent.objects.filter(pk=event.pk).update(seq=1, hash="f" * 64, seal="x")
    with pytest.raises(DatabaseError), transaction.atomic():  # content changed while waiting
        AuditEvent.objects.filter(pk=event.pk).update(data={"n": 2})
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    audit_sequence()
    chained = AuditEvent.objects.get(pk=event.pk)
    with pytest.raises(DatabaseError), transaction.atomic():  # chained again elsewhere
        AuditEvent.objects.filter(pk=event.pk).update(seq=7, hash="e" * 64)
    assert AuditEvent.objects.get(pk=event.pk).hash == chained.hash


def test_a_row_inserted_without_the_key_is_never_chained_and_verify_names_it():
    event_record(action=AuditAction.LOGIN)
    forged = waiting_event(2, seal=f"{key_ring().current.id}:{'0' * 64}")
    after = waiting_event(3)
    assert audit_sequence() == 1  # the events written after it are chained all the same
    assert AuditEvent.objects.get(pk=forged.pk).seq is None
    assert AuditEvent.objects.get(pk=after.pk).seq == 2
    report = audit_chain_verify()
    assert not report.ok
    assert f"event id {forged.pk} (login) is not sealed by a known key" in report.reason
    with pytest.raises(CommandError, match="not sealed by a known key"):
        call_command("audit_verify")


def test_an_event_left_waiting_past_the_grace_fails_verification_until_it_is_chained(settings, time_machine):
    settings.AUDIT_CHAIN_GRACE_SECONDS = 600
    event_record(action=AuditAction.LOGIN)
    left = waiting_event(2)
    assert audit_chain_verify().ok
    time_machine.move_to(timezone.now() + datetime.timedelta(seconds=601))
    with pytest.raises(CommandError, match=rf"event id {left.pk} \(login\) of .* was never chained"):
        call_command("audit_verify")
    call_command("audit_sequence")
    call_command("audit_verify")
    assert AuditEvent.objects.get(pk=left.pk).seq == 2


def test_publishing_the_head_chains_what_is_waiting_first(heads_file):
    event_record(action=AuditAction.LOGIN)
    waiting_event(2)
    call_command("audit_publish")
    assert [head.seq for head in heads_read(heads_file)] == [2]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_writer_does_not_wait_for_the_transaction_that_is_chaining():
    chaining, release = threading.Event(), threading.Event()

    def long_transaction():
        try:
            with transaction.atomic():
                event_record(action=AuditAction.LOGIN, data={"who": "first"})  # becomes the sequencer
                chaining.set()
                release.wait(30)
        finally:
            connection.close()

    first = threading.Thread(target=long_transaction)
    first.start()
    assert chaining.wait(30)
    writer = threading.Thread(target=lambda: (event_record(action=AuditAction.LOGOUT), connection.close()))
    writer.start()
    writer.join(30)
    done_while_chaining = not writer.is_alive()
    release.set()
    first.join(30)
    writer.join(30)
    assert done_while_chaining, "the second writer waited for the first transaction to commit"
    # The second event was committed sealed while the first transaction held the sequencer: it waits to be chained.
    assert list(AuditEvent.objects.waiting().values_list("action", flat=True)) == ["logout"]
    assert audit_chain_verify().waiting == 1
    assert audit_sequence() == 1
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "action")) == [(1, "login"), (2, "logout")]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_end_in_one_chain_with_every_event():
    threads, per_thread = 6, 20
    start = threading.Barrier(threads)

    def write(t: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                event_record(action=AuditAction.LOGIN, data={"t": t, "n": n})
        finally:
            connection.close()

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    audit_sequence()
    report = audit_chain_verify()
    assert (report.ok, report.checked, report.waiting) == (True, threads * per_thread, 0)
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, threads * per_thread + 1))
    # Each writer's events keep their order in the chain.
    for t in range(threads):
        numbers = [e.data["n"] for e in AuditEvent.objects.filter(data__t=t).order_by("seq")]
        assert numbers == list(range(per_thread))
