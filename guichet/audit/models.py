"""The audit journal: append-only, chained, keyed.

Each row stores the MAC of the previous row and its own HMAC-SHA256, under a key kept outside the database
(guichet/audit/keys.py), over a canonical JSON form, so that modifying, deleting or reordering rows breaks the
chain, and recomputing it needs the key. UPDATE and DELETE are refused by database triggers (see the migrations),
not only by the ORM. People appear only through pseudonymous ids. Rows written before the chain was keyed have
an empty `key_id` and a plain SHA-256 until `guichet audit_rekey` signs them.
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


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(_("numéro"), unique=True)
    created_at = models.DateTimeField(_("date"))
    actor = models.UUIDField(_("auteur (pseudonyme)"), null=True, blank=True, db_index=True)
    subject = models.UUIDField(_("personne concernée (pseudonyme)"), null=True, blank=True, db_index=True)
    # No `choices` here: new actions are added to AuditAction without a migration each time.
    action = models.CharField(_("action"), max_length=48)
    target_type = models.CharField(_("type d'objet"), max_length=64, blank=True)
    target_id = models.CharField(_("objet"), max_length=64, blank=True)
    data = models.JSONField(_("détails"), default=dict)
    # `hash` is the row's HMAC-SHA256 under the key `key_id` (a plain SHA-256 when `key_id` is empty).
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # A default in the database too: a process still running the code before the upgrade writes an unkeyed row
    # (see `guichet audit_rekey`) instead of failing.
    key_id = models.CharField(max_length=KEY_ID_LENGTH, blank=True, db_default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("événements d'audit")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    @property
    def action_label(self) -> str:
        return str(AuditAction(self.action).label) if self.action in AuditAction.values else self.action

    def canonical(self) -> bytes:
        payload = {
            "seq": self.seq,
            "created_at": self.created_at.isoformat(),
            "actor": str(self.actor) if self.actor else None,
            "subject": str(self.subject) if self.subject else None,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        if self.key_id:  # absent from the rows written before the chain was keyed, as they were hashed then
            payload["key_id"] = self.key_id
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def plain_hash(self) -> str:
        """The SHA-256 of an unkeyed row, as rows were chained before the key: anyone can recompute it."""
        return hashlib.sha256(self.canonical()).hexdigest()
