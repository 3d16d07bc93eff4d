"""Writing to, verifying and publishing the audit journal. `event_record` is the one way to write an event.

The chain is keyed (guichet/audit/keys.py): each event's MAC covers its content and the previous event's MAC, under
a key the database never holds. Each day's head is published outside the database (guichet/audit/heads.py), and
the journal is verified against every published head: a rewritten journal fails its MACs, a shortened one ends
before a published head.
"""

import datetime
import hmac
import importlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.audit.enums import AuditAction
from guichet.audit.heads import (
    PublishedHead,
    heads_append,
    heads_file_locked,
    heads_in_force,
    heads_read,
)
from guichet.audit.keys import ChainKey, KeyRing, key_ring
from guichet.audit.models import GENESIS_HASH, AuditEvent

# Any constant works: it names the PostgreSQL advisory lock held by the one transaction chaining events at a time.
_SEQUENCER_LOCK_KEY = 0x6775696368  # "guich"
# Events a writer chains on its way (its own and those waiting before it); the rest are left to the next one.
_INLINE_BATCH = 100
_BATCH = 1000

logger = logging.getLogger(__name__)


def _sequencer_lock(*, wait: bool) -> bool:
    """Become the sequencer until the end of the current transaction; False if another transaction is (no wait)."""
    if connection.vendor != "postgresql":
        return True  # SQLite runs every transaction IMMEDIATE (see settings): writers are one at a time already
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEQUENCER_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEQUENCER_LOCK_KEY])
        return cursor.fetchone()[0]


def _seal(event: AuditEvent, key: ChainKey) -> str:
    return f"{key.id}:{key.mac(event.sealed())}"


def _seal_verifies(event: AuditEvent, ring: KeyRing) -> bool:
    key_id, _sep, mac = event.seal.partition(":")
    key = ring.by_id.get(key_id)
    return key is not None and key.verifies(event.sealed(), mac)


def _chain_waiting(*, limit: int, after_id: int = 0) -> tuple[int | None, list[AuditEvent]]:
    """Chain the next ``limit`` waiting events after the id ``after_id``, oldest first; the caller is the sequencer.

    Returns the id of the last event read (None when there was none) and the events chained. An event whose seal
    does not verify (inserted without the key) is left unchained: `audit_chain_verify` names it.
    """
    waiting = list(AuditEvent.objects.waiting().filter(id__gt=after_id)[:limit])
    if not waiting:
        return None, []
    ring = key_ring()
    key = ring.current
    last = AuditEvent.objects.chained().order_by("-seq").only("seq", "hash").first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS_HASH)
    chained = []
    for event in waiting:
        if not _seal_verifies(event, ring):
            logger.error("audit event id %s is not sealed by a known key: left unchained", event.pk)
            continue
        seq += 1
        event.seq, event.prev_hash, event.key_id = seq, prev_hash, key.id
        event.hash = prev_hash = key.mac(event.canonical())
        chained.append(event)
    AuditEvent.objects.bulk_update(chained, ["seq", "prev_hash", "key_id", "hash"])
    return waiting[-1].pk, chained


def _chain_all() -> int:
    """Chain every waiting event, in batches; the caller is the sequencer."""
    count, after_id = 0, 0
    while after_id is not None:
        after_id, chained = _chain_waiting(limit=_BATCH, after_id=after_id)
        count += len(chained)
    return count


def _chain_soon() -> None:
    """After a commit that left events waiting: chain them now if no other transaction is doing it."""
    try:
        with transaction.atomic():
            if _sequencer_lock(wait=False):
                _chain_waiting(limit=_BATCH)
    except DatabaseError:  # the change is committed with its sealed event: `guichet audit_sequence` will chain it
        logger.exception("audit events left waiting to be chained")


def audit_sequence() -> int:
    """Chain every sealed event still waiting, waiting for the sequencer's lock; returns how many were chained.

    Writers chain events on their way when nobody else is; this catches the few left behind by a race or a crash.
    Run by `guichet audit_sequence` (every minute) and before each publication of the journal's head.
    """
    with transaction.atomic():
        _sequencer_lock(wait=True)
        return _chain_all()


def pseudonym_of(who: Any) -> uuid.UUID | None:
    """The pseudonymous id of a person or of a user's person (None for anonymous or system actions)."""
    if who is None or getattr(who, "is_anonymous", False):
        return None
    if hasattr(who, "pseudonym"):
        return who.pseudonym
    person = getattr(who, "person", None)
    return person.pseudonym if person is not None else None


def _target_ref(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    label = target._meta.label_lower
    for attr in ("pseudonym", "public_id"):
        value = getattr(target, attr, None)
        if value is not None:
            return label, str(value)
    return label, str(target.pk)


@transaction.atomic
def event_record(
    *,
    action: AuditAction,
    actor: Any = None,
    subject: Any = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one event to the journal in the current transaction, sealed with the current key, and have it chained.

    ``actor`` and ``subject`` are users or persons, stored as pseudonyms; ``data`` must hold no personal
    data (field names that changed, not their values). The event is chained in this transaction when no other
    one is chaining (then it has its `seq` on return), else just after the commit, never waiting for a lock.
    """
    target_type, target_id = _target_ref(target)
    event = AuditEvent(
        created_at=timezone.now(),
        actor=pseudonym_of(actor),
        subject=pseudonym_of(subject),
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data or {},
    )
    event.seal = _seal(event, key_ring().current)
    event.save(force_insert=True)
    _last, chained = _chain_waiting(limit=_INLINE_BATCH) if _sequencer_lock(wait=False) else (None, [])
    for done in chained:
        if done.pk == event.pk:
            event.seq, event.prev_hash, event.key_id, event.hash = done.seq, done.prev_hash, done.key_id, done.hash
            break
    else:
        transaction.on_commit(_chain_soon)
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None
    reason: str
    head: str  # MAC of the last event that verified (the genesis value for an empty journal)
    head_key_id: str = ""
    heads_checked: int = 0  # published heads the journal was checked against
    waiting: int = 0  # sealed events written less than AUDIT_CHAIN_GRACE_SECONDS ago and not chained yet

    @property
    def ok(self) -> bool:
        return self.broken_seq is None

    def __str__(self) -> str:
        where = f" at event #{self.broken_seq}" if self.broken_seq else ""  # 0: at no event in particular
        return f"Audit chain broken{where}: {self.reason}"


class AuditChainBroken(Exception):
    def __init__(self, report: ChainReport):
        super().__init__(str(report))
        self.report = report


class AuditHeadEmailFailed(Exception):
    """The head was published in the file, but the email carrying it could not be sent."""


def _event_fault(event: AuditEvent, ring: KeyRing, left: set[str], unkeyed_allowed: bool) -> str:
    if not event.key_id:
        if not unkeyed_allowed:
            return (
                "it has no key: written before the chain was keyed (run `guichet audit_rekey` once after upgrading), "
                "or forged"
            )
        return "" if hmac.compare_digest(event.plain_hash(), event.hash) else "content does not match its hash"
    key = ring.by_id.get(event.key_id)
    if key is None:
        return f"signed with an unknown key {event.key_id} (missing from AUDIT_CHAIN_OLD_KEYS?)"
    if event.key_id in left:
        return f"signed with key {event.key_id}, which the chain had already moved on from"
    if not key.verifies(event.canonical(), event.hash):
        return "content does not match its MAC (changed, or chained again without the key)"
    return ""


def audit_chain_verify(
    *, heads: Sequence[PublishedHead] | None = None, batch_size: int = 5000, unkeyed_allowed: bool = False
) -> ChainReport:
    """Walk the whole chain in order and name the first event that does not fit, then check every event is in it.

    Every chained event must follow the previous one and verify with its key (`AUDIT_CHAIN_KEY` or one of
    `AUDIT_CHAIN_OLD_KEYS`); once the chain moves to a new key, an older one never signs again. The journal must
    still hold every head published since the last re-key (`heads`, by default read from `AUDIT_HEADS_FILE`) and
    must not end before the last of them. An event not chained yet must carry a valid seal and be younger than
    `AUDIT_CHAIN_GRACE_SECONDS`: any other was inserted without the key, or never reached the chain. `unkeyed_allowed`
    (for the first re-key only) accepts events from before the keyed chain, checked by their plain SHA-256.
    """
    in_force = heads_in_force(list(heads_read(settings.AUDIT_HEADS_FILE) if heads is None else heads))
    published: dict[int, list[PublishedHead]] = {}
    for head in in_force:
        published.setdefault(head.seq, []).append(head)
    ring = key_ring()
    expected_seq, prev_hash, key_id, checked = 1, GENESIS_HASH, "", 0
    signing, left = "", set()  # the key signing the chain so far, and those it has moved on from

    def broken(seq: int, reason: str) -> ChainReport:
        return ChainReport(checked, seq, reason, prev_hash, key_id, len(in_force))

    for event in AuditEvent.objects.chained().order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return broken(event.seq, f"expected #{expected_seq}, found #{event.seq}")
        if event.prev_hash != prev_hash:
            return broken(event.seq, "previous MAC does not match")
        if fault := _event_fault(event, ring, left, unkeyed_allowed):
            return broken(event.seq, fault)
        for head in published.get(event.seq, ()):
            if (head.key_id, head.mac) != (event.key_id, event.hash):
                return broken(event.seq, f"{head} is no longer in the journal")
        if event.key_id and signing and event.key_id != signing:
            left.add(signing)
        signing = event.key_id or signing
        prev_hash, key_id, expected_seq, checked = event.hash, event.key_id, expected_seq + 1, checked + 1
    for head in in_force:
        if head.seq > checked:
            return broken(checked + 1, f"the journal ends at #{checked}, before {head}")
    oldest_allowed = timezone.now() - datetime.timedelta(seconds=settings.AUDIT_CHAIN_GRACE_SECONDS)
    waiting = 0
    for event in AuditEvent.objects.waiting().iterator(chunk_size=batch_size):
        if not _seal_verifies(event, ring):
            reason = f"the event id {event.pk} ({event.action}) is not sealed by a known key: inserted without it"
            return broken(0, reason)
        if event.created_at < oldest_allowed:
            return broken(
                0,
                f"the event id {event.pk} ({event.action}) of {event.created_at.isoformat()} was never chained "
                "(is `guichet audit_sequence` run every minute?)",
            )
        waiting += 1
    return ChainReport(checked, None, "", prev_hash, key_id, len(in_force), waiting)


def audit_head_publish(*, day: datetime.date | None = None) -> tuple[PublishedHead, bool]:
    """Publish the day's head of the journal outside the database, once a day, after verifying the whole journal.

    The head (date, number of the last event, its key id and MAC) is appended to `AUDIT_HEADS_FILE` and emailed to
    `AUDIT_HEADS_EMAIL` when set. Returns the day's head and whether it was published now (False: it already was
    that day, and nothing is done). When the journal does not verify, nothing is published: the addresses are
    alerted and `AuditChainBroken` is raised.
    """
    day = day or timezone.localdate()
    path = settings.AUDIT_HEADS_FILE
    with heads_file_locked(path):
        heads = heads_read(path)
        for head in heads:
            if head.date == day:
                return head, False
        audit_sequence()
        report = audit_chain_verify(heads=heads)
        if not report.ok:
            _email_alert(report)
            raise AuditChainBroken(report)
        head = PublishedHead(day, report.checked, report.head_key_id, report.head)
        heads_append(path, head)
    _email_head(head)
    return head, True


def audit_chain_rekey(*, expect_head: str = "", day: datetime.date | None = None) -> tuple[int, PublishedHead | None]:
    """Sign the journal again with the current key, from a verified state, and publish its new head at once.

    For two occasions: once after upgrading from the unkeyed chain (its events are then checked by their plain
    SHA-256, which is allowed only while no head has been published), and to stop trusting an old key (a key that
    leaked): every event from the first one not under `AUDIT_CHAIN_KEY` is signed again, after the whole journal
    verified (keys, published heads, and `expect_head` when given: a head published by hand before the upgrade).
    The re-key is itself journaled, and its head is published with a ``rekey`` mark: the heads published before
    it name MACs that no longer exist. Returns how many events were signed again and the head published (none
    when every event already was under the current key).
    """
    day = day or timezone.localdate()
    path = settings.AUDIT_HEADS_FILE
    key = key_ring().current
    with heads_file_locked(path):
        heads = heads_read(path)
        with transaction.atomic():
            _sequencer_lock(wait=True)
            _chain_all()  # what is waiting first, while the keys that sealed it are all still in the ring
            report = audit_chain_verify(heads=heads, unkeyed_allowed=not heads)
            if not report.ok:
                raise AuditChainBroken(report)
            if expect_head and not AuditEvent.objects.filter(hash=expect_head).exists():
                reason = "the head given with --expect-head is no longer in the journal"
                raise AuditChainBroken(ChainReport(report.checked, 0, reason, report.head))
            first = AuditEvent.objects.chained().exclude(key_id=key.id).order_by("seq").only("seq").first()
            if first is None:
                return 0, None
            count = _events_sign_again(from_seq=first.seq, key=key)
            event = event_record(
                action=AuditAction.AUDIT_CHAIN_REKEYED, data={"from_seq": first.seq, "events": count, "key_id": key.id}
            )
        head = PublishedHead(day, event.seq, event.key_id, event.hash, rekey=True)
        heads_append(path, head)
    _email_head(head)
    return count, head


_TRIGGERS = importlib.import_module("guichet.audit.migrations.0005_sealed_events")


@contextmanager
def _append_only_lifted() -> Iterator[None]:
    """Lift the append-only triggers within the current transaction only.

    Both databases change triggers transactionally: whatever fails inside rolls back with the triggers in place.
    On PostgreSQL, the table is also locked against every other reader and writer until the end of the transaction.
    """
    assert connection.in_atomic_block, "the triggers are only lifted inside a transaction"
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for statement in (
            ["ALTER TABLE audit_auditevent DISABLE TRIGGER USER"] if postgresql else _TRIGGERS.SQLITE_BACKWARD
        ):
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in (
            ["ALTER TABLE audit_auditevent ENABLE TRIGGER USER"] if postgresql else _TRIGGERS.SQLITE_FORWARD
        ):
            cursor.execute(statement)


def _events_sign_again(*, from_seq: int, key: ChainKey, batch_size: int = 1000) -> int:
    previous = AuditEvent.objects.filter(seq=from_seq - 1).values_list("hash", flat=True).first()
    prev_hash, after, count = previous or GENESIS_HASH, from_seq - 1, 0
    with _append_only_lifted():
        # By pages of `seq`, not one open cursor: SQLite does not promise what a cursor sees of rows updated under it.
        while batch := list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:batch_size]):
            for event in batch:
                event.key_id, event.prev_hash = key.id, prev_hash
                event.hash = prev_hash = key.mac(event.canonical())
            AuditEvent.objects.bulk_update(batch, ["key_id", "prev_hash", "hash"])
            after, count = batch[-1].seq, count + len(batch)
    return count


def _email(subject: str, body: str) -> None:
    if settings.AUDIT_HEADS_EMAIL:
        send_mail(subject, body, None, settings.AUDIT_HEADS_EMAIL, fail_silently=False)


def _email_head(head: PublishedHead) -> None:
    names = {"site": settings.SITE_URL, "date": head.date.isoformat(), "line": head.line(), "key": head.key_id}
    body = _(
        "Tête du journal d'audit de %(site)s au %(date)s (date, numéro du dernier événement, clé, empreinte) :\n\n"
        "%(line)s\n\n"
        "Conservez ce message hors de Guichet : la commande « guichet audit_verify » vérifie que le journal contient "
        "toujours cet événement avec cette empreinte. Un journal réécrit ou raccourci ne la contient plus."
    )
    if head.rekey:
        body += "\n\n" + _(
            "Le journal a été signé de nouveau avec la clé %(key)s : les têtes publiées avant celle-ci ne "
            "s'appliquent plus."
        )
    try:
        _email(_("Journal d'audit de %(site)s : tête du %(date)s") % names, body % names)
    except Exception as exc:  # the head is in the file already: say so, whatever the mail backend raised
        raise AuditHeadEmailFailed(
            f"the head of {head.date.isoformat()} is in {settings.AUDIT_HEADS_FILE}, but emailing it to "
            f"{', '.join(settings.AUDIT_HEADS_EMAIL)} failed ({exc.__class__.__name__}: {exc}); send that line by hand"
        ) from exc


def _email_alert(report: ChainReport) -> None:
    names = {"site": settings.SITE_URL, "reason": str(report)}
    body = _(
        "La vérification du journal d'audit a échoué et aucune tête n'a été publiée :\n\n%(reason)s\n\n"
        "Le journal a pu être modifié. Conservez-le en l'état et prévenez le responsable de la sécurité."
    )
    _email(_("Journal d'audit de %(site)s : la vérification a échoué") % names, body % names)
