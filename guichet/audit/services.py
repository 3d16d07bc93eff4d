"""Writing to and verifying the audit journal. `event_record` is the one way to write."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from guichet.audit.enums import AuditAction
from guichet.audit.models import GENESIS_HASH, AuditEvent

# Any constant works: it names the PostgreSQL advisory lock that serialises writers of the chain.
_CHAIN_LOCK_KEY = 0x6775696368  # "guich"


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
    """Append one event to the journal, chained to the previous one.

    ``actor`` and ``subject`` are users or persons, stored as pseudonyms; ``data`` must hold no personal
    data (field names that changed, not their values).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite runs every transaction IMMEDIATE (see settings), so writers are already serialised.
    last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
    target_type, target_id = _target_ref(target)
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        created_at=timezone.now(),
        actor=pseudonym_of(actor),
        subject=pseudonym_of(subject),
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data or {},
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None
    reason: str
    head: str

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def audit_chain_verify(*, batch_size: int = 5000) -> ChainReport:
    """Walk the whole chain in order and name the first row that does not fit."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in AuditEvent.objects.order_by("seq", "id").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return ChainReport(checked, event.seq, f"expected #{expected_seq}, found #{event.seq}", prev_hash)
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.seq, "previous hash does not match", prev_hash)
        if event.compute_hash() != event.hash:
            return ChainReport(checked, event.seq, "content does not match its hash", prev_hash)
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    return ChainReport(checked, None, "", prev_hash)
