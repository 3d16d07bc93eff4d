"""Base models shared by every app."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


class PublicModel(TimestampedModel):
    """A model reachable from a URL: URLs carry this UUID, never the sequential id."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class RateCounterQuerySet(models.QuerySet):
    def live(self) -> "RateCounterQuerySet":
        return self.filter(expires_at__gt=timezone.now())

    def expired(self) -> "RateCounterQuerySet":
        return self.filter(expires_at__lte=timezone.now())

    def locked(self) -> "RateCounterQuerySet":
        """Live counters that have reached the limit they were counted against."""
        return self.live().filter(limit__isnull=False, count__gte=models.F("limit"))


class RateCounter(models.Model):
    """The attempts of one window for one rate limit or lock (see ``guichet.core.ratelimit``).

    A table of its own, not the cache: nothing but its expiry and ``guichet ratelimits_purge`` removes a row, so no
    one can push a lock out by filling the cache.
    """

    key = models.CharField(_("clé"), max_length=100, unique=True)
    scope = models.CharField(_("limite"), max_length=60)
    label = models.CharField(_("pour"), max_length=300, blank=True)
    count = models.PositiveIntegerField(_("tentatives"), default=0)
    limit = models.PositiveIntegerField(_("plafond"), null=True, blank=True)
    opened_at = models.DateTimeField(_("première tentative"))
    expires_at = models.DateTimeField(_("fin"))

    objects = RateCounterQuerySet.as_manager()

    class Meta:
        verbose_name = _("compteur de tentatives")
        verbose_name_plural = _("compteurs de tentatives")
        indexes = [models.Index(fields=["expires_at"], name="ratecounter_expires_at")]

    def __str__(self) -> str:
        return f"{self.scope} {self.label}".strip()

    @property
    def is_locked(self) -> bool:
        return self.limit is not None and self.count >= self.limit and self.expires_at > timezone.now()
