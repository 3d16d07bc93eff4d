"""Notifications: one row per message to one person on one channel, kept as proof it was sent."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guichet.core.models import PublicModel
from guichet.notifications.enums import Channel, Status


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_person(self, person) -> "NotificationQuerySet":
        return self.filter(person=person)

    def due(self, now) -> "NotificationQuerySet":
        return self.filter(status=Status.PENDING).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))


class Notification(PublicModel):
    person = models.ForeignKey("accounts.Person", on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(_("canal"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("type"), max_length=64)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("message"))
    link = models.CharField(_("lien"), max_length=500, blank=True)
    status = models.CharField(_("état"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # Background effects are idempotent: the same key never sends twice.
    key = models.CharField(_("clé d'idempotence"), max_length=200, blank=True)
    not_before = models.DateTimeField(_("pas avant"), null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    letter = models.CharField(_("courrier (PDF)"), max_length=300, blank=True)
    error = models.TextField(_("erreur"), blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["key", "channel"], condition=~Q(key=""), name="notification_key")
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} — {self.subject}"
