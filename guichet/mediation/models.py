"""Mediation: organisations, their mediators, and the mandates people give them.

A Mandate is given by a person to an organisation (never to one mediator). It holds one Authorization per
procedure family, each revocable on its own. It is *pending* until the person consents, then *active* from
``starts_at`` to strictly before ``expires_at``; not confirmed before ``confirm_before``, it lapses. A person who has
an account consents by their own action (from their account, or with a one-time code sent to them); a person
without one signs the printed mandate at the counter, after the mediator checked an identity document (its type
and the last 4 characters of its number are kept, never the whole number). ``consent_text_sha256`` is the SHA-256
of the exact text the person agreed to. ``MandateQuerySet.confirmed`` is the rule acting is checked against.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core.models import PublicModel, TimestampedModel
from guichet.mediation.enums import (
    CodeChannel,
    ConsentMethod,
    Duration,
    Family,
    IdentityDocument,
    MandateState,
    OrganisationKind,
    RevokedBy,
)


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def active(self) -> "OrganisationQuerySet":
        return self.filter(is_active=True)

    def of_mediator(self, user) -> "OrganisationQuerySet":
        """The active organisations where ``user`` is a current member."""
        return self.active().filter(memberships__user=user, memberships__ended_at__isnull=True).distinct()


class Organisation(PublicModel):
    """A France Services, a PIMMS, a CCAS or an association whose mediators help people."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=16, choices=OrganisationKind.choices)
    place = models.ForeignKey(
        "catalog.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("lieu d'accueil"),
    )
    address_line = models.CharField(_("adresse"), max_length=250, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("ville"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation de médiation")
        verbose_name_plural = _("organisations de médiation")

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self) -> "MembershipQuerySet":
        return self.filter(ended_at__isnull=True, organisation__is_active=True)


class Membership(TimestampedModel):
    """A mediator working for an organisation; ending it (``ended_at``) ends their access to its mandates."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mediation_memberships")
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("médiateur d'une organisation")
        verbose_name_plural = _("médiateurs des organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], condition=Q(ended_at__isnull=True), name="membership_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation}"


# A mandate prepared for a person's consent waits this long; unconfirmed after that, it lapses.
CONFIRM_WITHIN_DAYS = 7


def confirmation_deadline() -> datetime.datetime:
    """Until when a mandate prepared now may be confirmed."""
    return timezone.now() + datetime.timedelta(days=CONFIRM_WITHIN_DAYS)


class MandateQuerySet(models.QuerySet["Mandate"]):
    def confirmed(self) -> "MandateQuerySet":
        """Mandates whose consent came from the person in the way its method requires.

        - from their account: the consent was given by the person's own account;
        - with a code: a one-time code sent to the person was read back and used;
        - at the counter: only for a person who had no account when they signed (an account opened later with a
          takeover code keeps the mandate valid). A person who has an account consents by their own action.

        This is what acting is checked against (``acting.check``, and every ``active()`` below), whatever the
        screens or services let through.
        """
        code_used = ConsentCode.objects.filter(mandate=OuterRef("pk"), used_at__isnull=False)
        from_account = Q(consent_method=ConsentMethod.REMOTE_ACCOUNT, consented_by=F("person__user"))
        with_code = Q(consent_method=ConsentMethod.REMOTE_CODE) & Exists(code_used)
        at_counter = Q(consent_method=ConsentMethod.IN_PERSON) & (
            Q(person__user__isnull=True) | Q(person__user__date_joined__gt=F("consented_at"))
        )
        return self.filter(consented_at__isnull=False, refused_at__isnull=True).filter(
            from_account | with_code | at_counter
        )

    def active(self, now: datetime.datetime | None = None) -> "MandateQuerySet":
        """Confirmed by the person, not revoked, and ``now`` strictly before the end."""
        now = now or timezone.now()
        return self.confirmed().filter(revoked_at__isnull=True, starts_at__lte=now, expires_at__gt=now)

    def pending(self, now: datetime.datetime | None = None) -> "MandateQuerySet":
        """Waiting for the person's consent, and still in time for it."""
        now = now or timezone.now()
        return self.filter(
            revoked_at__isnull=True, refused_at__isnull=True, starts_at__isnull=True, confirm_before__gt=now
        )

    def for_person(self, person) -> "MandateQuerySet":
        return self.filter(person=person)

    def for_organisations(self, organisations) -> "MandateQuerySet":
        return self.filter(organisation__in=organisations)

    def for_mediator(self, user) -> "MandateQuerySet":
        """The mandates a mediator may see: those given to an organisation they are a current member of."""
        return self.filter(organisation__in=Organisation.objects.of_mediator(user))

    def expiring_between(self, start: datetime.datetime, end: datetime.datetime) -> "MandateQuerySet":
        return self.active(start).filter(expires_at__lte=end)


class Mandate(PublicModel):
    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="mandates")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="mandates")
    duration = models.CharField(_("durée"), max_length=4, choices=Duration.choices)
    consent_method = models.CharField(_("recueil du consentement"), max_length=16, choices=ConsentMethod.choices)
    consent_text = models.TextField(_("texte exact du consentement"))
    consent_text_sha256 = models.CharField(_("empreinte SHA-256 du texte"), max_length=64)
    consented_at = models.DateTimeField(_("consentement donné le"), null=True, blank=True)
    # Who did the consenting act: the person's own account, or the mediator who checked the code or the signature.
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirm_before = models.DateTimeField(_("à confirmer avant le"), default=confirmation_deadline)
    refused_at = models.DateTimeField(_("refusé le"), null=True, blank=True)
    # At the counter only: the identity document the mediator checked, and the last 4 characters of its number.
    identity_document = models.CharField(
        _("pièce d'identité vérifiée"), max_length=16, choices=IdentityDocument.choices, blank=True
    )
    identity_document_end = models.CharField(_("fin du numéro de la pièce"), max_length=4, blank=True)
    starts_at = models.DateTimeField(_("début"), null=True, blank=True)
    expires_at = models.DateTimeField(_("fin (exclue)"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_by_kind = models.CharField(_("révoqué par"), max_length=16, choices=RevokedBy.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)

    objects = MandateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("mandat")
        verbose_name_plural = _("mandats")
        constraints = [
            models.CheckConstraint(
                condition=(Q(starts_at__isnull=True) & Q(expires_at__isnull=True))
                | Q(starts_at__isnull=False, expires_at__gt=F("starts_at")),
                name="mandate_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(consent_text_sha256__regex=r"^[0-9a-f]{64}$"), name="mandate_consent_hash_hex"
            ),
            # Never a whole identity document number: at most its last 4 characters.
            models.CheckConstraint(
                condition=Q(identity_document_end__regex=r"^[0-9A-Z]{0,4}$"), name="mandate_identity_end_only"
            ),
            models.CheckConstraint(
                condition=~Q(consent_method=ConsentMethod.IN_PERSON, consented_at__isnull=False)
                | Q(identity_document=IdentityDocument.NOT_RECORDED)
                | (~Q(identity_document="") & Q(identity_document_end__regex=r"^[0-9A-Z]{4}$")),
                name="mandate_in_person_identity_checked",
            ),
            models.CheckConstraint(
                condition=Q(refused_at__isnull=True) | Q(consented_at__isnull=True),
                name="mandate_refused_or_consented",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.organisation}"

    def state(self, now: datetime.datetime | None = None) -> MandateState:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return MandateState.REVOKED
        if self.refused_at is not None:
            return MandateState.REFUSED
        if self.starts_at is None:
            return MandateState.PENDING if now < self.confirm_before else MandateState.LAPSED
        if now >= self.expires_at:
            return MandateState.EXPIRED
        return MandateState.ACTIVE

    @property
    def current_state(self) -> MandateState:
        return self.state()

    def is_active(self, now: datetime.datetime | None = None) -> bool:
        return self.state(now) == MandateState.ACTIVE


class AuthorizationQuerySet(models.QuerySet["Authorization"]):
    def active(self) -> "AuthorizationQuerySet":
        return self.filter(revoked_at__isnull=True)


class Authorization(PublicModel):
    """One procedure family under one mandate, revocable on its own by the person or the organisation."""

    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="authorizations")
    family = models.CharField(_("démarches"), max_length=16, choices=Family.choices)
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_by_kind = models.CharField(_("révoquée par"), max_length=16, choices=RevokedBy.choices, blank=True)

    objects = AuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["mandate", "family"]
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        constraints = [
            models.UniqueConstraint(fields=["mandate", "family"], name="authorization_one_per_family"),
        ]

    def __str__(self) -> str:
        return self.get_family_display()


class ConsentCode(TimestampedModel):
    """A one-time code sent to the person to confirm a mandate remotely: only its keyed hash is kept."""

    mandate = models.ForeignKey(Mandate, on_delete=models.CASCADE, related_name="consent_codes")
    channel = models.CharField(_("canal"), max_length=8, choices=CodeChannel.choices)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(_("expire le"))
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("code de consentement")
        verbose_name_plural = _("codes de consentement")

    def __str__(self) -> str:
        return f"{self.mandate} ({self.get_channel_display()})"


class TakeoverCode(TimestampedModel):
    """A one-time code, printed or mailed, with which a person whose record a mediator created opens their account.

    Only a keyed hash is stored (unique: the code alone finds the record at registration).
    """

    person = models.ForeignKey("accounts.Person", on_delete=models.CASCADE, related_name="takeover_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expire le"))
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("code de reprise de compte")
        verbose_name_plural = _("codes de reprise de compte")

    def __str__(self) -> str:
        return str(self.person)
