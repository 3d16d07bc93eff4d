"""The audit journal: append-only, chained, keyed.

An event is written in two steps. The transaction that makes a change inserts its event *sealed* but not yet
chained: `seal` is the HMAC of its content under the current key, and `seq`, `prev_hash`, `hash` and `key_id`
are empty. The sequencer (guichet/audit/services.py) then chains sealed events in batches: it gives each the next
number, the MAC of the previous event, and its own HMAC-SHA256 over a canonical JSON form, so that modifying,
deleting or reordering events breaks the chain, and recomputing it needs the key (guichet/audit/keys.py).
Database triggers (see the migrations) refuse DELETE, and every UPDATE except that one chaining of an unchained
event which leaves its content as it was. People appear only through pseudonymous ids. Rows written before the
chain was keyed have an empty `key_id` and a plain SHA-256 until `guichet audit_rekey` signs them.
"""

import hashlib
import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.audit.enums import AuditAction
from guichet.audit.keys import KEY_ID_LENGTH

GENESIS_HASH = "0" * 64


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def about(self, pseudonym: Any) -> "AuditEventQuerySet":
        """Events done by or concerning one person, for their own journal."""
        return self.filter(models.Q(actor=pseudonym) | models.Q(subject=pseudonym))

    def chained(self) -> "AuditEventQuerySet":
        return self.filter(seq__isnull=False)

    def waiting(self) -> "AuditEventQuerySet":
        """Sealed events the sequencer has not chained yet, in the order they were written."""
        return self.filter(seq__isnull=True).order_by("id")


class AuditEvent(models.Model):
    # Empty until the sequencer chains the event; then the event's place in the chain, from 1 without gaps.
    seq = models.PositiveBigIntegerField(_("numéro"), unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("date"))
    actor = models.UUIDField(_("auteur (pseudonyme)"), null=True, blank=True, db_index=True)
    subject = models.UUIDField(_("personne concernée (pseudonyme)"), null=True, blank=True, db_index=True)
    # No `choices` here: new actions are added to AuditAction without a migration each time.
    action = models.CharField(_("action"), max_length=48)
    target_type = models.CharField(_("type d'objet"), max_length=64, blank=True)
    target_id = models.CharField(_("objet"), max_length=64, blank=True)
    data = models.JSONField(_("détails"), default=dict)
    # `hash` is the row's HMAC-SHA256 under the key `key_id` (a plain SHA-256 when `key_id` is empty); both are
    # empty until the event is chained.
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The key of `hash`, set when the event is chained. A default in the database too: a process still running the
    # code before the upgrade writes an unkeyed row (see `guichet audit_rekey`) instead of failing.
    key_id = models.CharField(max_length=KEY_ID_LENGTH, blank=True, db_default="")
    # "<key id>:<HMAC of `sealed()`>", written with the event in the transaction that makes the change: the
    # sequencer chains only events whose seal verifies, so a row inserted without the key is never chained. Empty
    # on the events written before events were sealed.
    seal = models.CharField(max_length=KEY_ID_LENGTH + 1 + 64, blank=True, db_default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_event_waiting")]
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("événements d'audit")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}" if self.seq else f"({self.action}, not chained yet)"

    @property
    def action_label(self) -> str:
        return str(AuditAction(self.action).label) if self.action in AuditAction.values else self.action

    def _content(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at.isoformat(),
            "actor": str(self.actor) if self.actor else None,
            "subject": str(self.subject) if self.subject else None,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "data": self.data,
        }

    def canonical(self) -> bytes:
        """What the chain's MAC covers: the content, the event's number and the previous event's MAC."""
        payload = {**self._content(), "seq": self.seq, "prev_hash": self.prev_hash}
        if self.key_id:  # absent from the rows written before the chain was keyed, as they were hashed then
            payload["key_id"] = self.key_id
        return _dumps(payload)

    def sealed(self) -> bytes:
        """What `seal` covers: the content alone, marked so that it can never read as a chained event."""
        return _dumps({**self._content(), "sealed": True})

    def plain_hash(self) -> str:
        """The SHA-256 of an unkeyed row, as rows were chained before the key: anyone can recompute it."""
        return hashlib.sha256(self.canonical()).hexdigest()


def _dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
