"""Tampering as an attacker with SQL access would: the append-only triggers lifted, plain SQL, no key."""

import importlib
from collections.abc import Callable

from django.db import connection

from guichet.audit.models import GENESIS_HASH, AuditEvent

_TRIGGERS = importlib.import_module("guichet.audit.migrations.0005_sealed_events")


def tamper(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            for statement in _TRIGGERS.SQLITE_BACKWARD:
                cursor.execute(statement)
            cursor.execute(sql, params)
            for statement in _TRIGGERS.SQLITE_FORWARD:
                cursor.execute(statement)


def rechain(*, from_seq: int, sign: Callable[[AuditEvent], str], key_id: str | None = None) -> None:
    """Link every event from `from_seq` on again, each `hash` computed by `sign` (and its key id replaced)."""
    previous = AuditEvent.objects.filter(seq=from_seq - 1).first()
    prev_hash = previous.hash if previous else GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq"):
        if key_id is not None:
            event.key_id = key_id
        event.prev_hash = prev_hash
        event.hash = prev_hash = sign(event)
        tamper(
            "UPDATE audit_auditevent SET key_id = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.key_id, event.prev_hash, event.hash, event.pk],
        )
