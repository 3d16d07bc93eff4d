"""Users, persons, households and consents.

A Household is shaped for the rights engine: its members (with the person of reference as ``self``),
their situation, the housing, and monthly resources by kind over the last twelve months.
"""

import datetime
import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.accounts.enums import (
    STAFF_ROLES,
    ConsentPurpose,
    ContactChannel,
    Housing,
    Language,
    Relationship,
    ResourceKind,
    Role,
    SchoolLevel,
    SelfEmployedActivity,
    Situation,
)
from guichet.core.models import PublicModel, TimestampedModel

insee_validator = RegexValidator(r"^(\d{5}|2[AB]\d{3})$", _("Un code INSEE de commune compte 5 caractères."))
money = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN, email_verified_at=timezone.now())
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("adresse électronique"), unique=True)
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.CITIZEN)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("accès à l'administration"), default=False)
    email_verified_at = models.DateTimeField(_("adresse vérifiée le"), null=True, blank=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self) -> str:
        return self.email

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES


class Person(PublicModel):
    """A person using the services. Audit events refer to ``pseudonym``, never to names."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, null=True, blank=True, related_name="person")
    pseudonym = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    birth_place = models.CharField(
        _("lieu de naissance (code INSEE)"),
        max_length=5,
        blank=True,
        help_text=_("Code INSEE de la commune de naissance."),
    )
    # Identity fields certified by an identity provider (FranceConnect): read-only for the person and for agents.
    identity_verified_at = models.DateTimeField(_("identité vérifiée le"), null=True, blank=True)
    identity_verified_by = models.CharField(_("identité vérifiée par"), max_length=200, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    address_line = models.CharField(_("adresse"), max_length=250, blank=True)
    postal_code = models.CharField(
        _("code postal"), max_length=5, blank=True, validators=[RegexValidator(r"^\d{5}$", _("5 chiffres."))]
    )
    city = models.CharField(_("ville"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("langue préférée"), max_length=2, choices=Language.choices, default=Language.FR
    )
    contact_channel = models.CharField(
        _("moyen de contact préféré"), max_length=8, choices=ContactChannel.choices, default=ContactChannel.EMAIL
    )

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def identity_verified(self) -> bool:
        return self.identity_verified_at is not None


# Person fields an identity provider certifies; once verified they can no longer be edited by hand.
VERIFIED_IDENTITY_FIELDS = ("first_name", "last_name", "birth_date", "birth_place")


class OidcIdentityQuerySet(models.QuerySet["OidcIdentity"]):
    def for_claims(self, issuer: str, subject: str) -> "OidcIdentityQuerySet":
        return self.filter(issuer=issuer, subject=subject)


class OidcIdentity(TimestampedModel):
    """An account at an OpenID Connect provider (FranceConnect), linked to one user.

    Identified by (issuer, subject), never by email: an email match alone never links an identity.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="oidc_identities")
    issuer = models.CharField(_("fournisseur d'identité"), max_length=200)
    subject = models.CharField(_("identifiant chez le fournisseur"), max_length=255)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)

    objects = OidcIdentityQuerySet.as_manager()

    class Meta:
        verbose_name = _("identité FranceConnect")
        verbose_name_plural = _("identités FranceConnect")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique_subject"),
            models.UniqueConstraint(fields=["user", "issuer"], name="oidc_identity_one_per_user_and_issuer"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"


class Household(TimestampedModel):
    """The people living with a person: the data given once and reused by every service."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="household")
    commune_insee = models.CharField(_("commune (code INSEE)"), max_length=5, validators=[insee_validator])
    housing = models.CharField(_("logement"), max_length=16, choices=Housing.choices)
    monthly_rent = models.DecimalField(_("loyer mensuel hors charges"), null=True, blank=True, **money)
    shared_tenancy = models.BooleanField(_("colocation"), default=False)
    # Revenus fiscaux de référence, of the year before the one the household is read in (the tax notice received
    # that year) and of the year before that.
    last_year_taxable_income = models.DecimalField(
        _("revenu fiscal de référence de l'année dernière"), null=True, blank=True, **money
    )
    taxable_income_two_years_ago = models.DecimalField(
        _("revenu fiscal de référence d'il y a deux ans"), null=True, blank=True, **money
    )
    # Aids the household receives now: aid id (the simulator's catalogue) -> euros a month, as a string.
    # Filled by the rights simulator; the household form only keeps and shows it.
    already_received = models.JSONField(_("aides déjà perçues (euros par mois)"), default=dict, blank=True)

    class Meta:
        verbose_name = _("foyer")
        verbose_name_plural = _("foyers")

    def __str__(self) -> str:
        return str(_("Foyer de %(name)s") % {"name": self.person.full_name})


class HouseholdMember(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    position = models.PositiveSmallIntegerField(default=0)
    relationship = models.CharField(_("lien"), max_length=8, choices=Relationship.choices)
    first_name = models.CharField(_("prénom"), max_length=150)
    birth_date = models.DateField(_("date de naissance"))
    situation = models.CharField(_("situation"), max_length=16, choices=Situation.choices)
    disability_rate = models.PositiveSmallIntegerField(
        _("taux d'incapacité reconnu par la MDPH (en %)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    employment_restriction = models.BooleanField(
        _("restriction substantielle et durable d'accès à l'emploi reconnue par la MDPH"), default=False
    )
    school_level = models.CharField(_("classe"), max_length=10, choices=SchoolLevel.choices, blank=True)
    unemployed_since = models.DateField(_("sans emploi depuis le"), null=True, blank=True)
    self_employed_activity = models.CharField(
        _("activité de la micro-entreprise"), max_length=8, choices=SelfEmployedActivity.choices, blank=True
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(relationship="self"), name="household_one_self_member"
            ),
            models.CheckConstraint(
                condition=Q(disability_rate__isnull=True) | Q(disability_rate__gte=0, disability_rate__lte=100),
                name="member_disability_rate_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.first_name

    def age_on(self, day: datetime.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class MonthlyResource(models.Model):
    """One member's income of one kind for one calendar month (``month`` is its first day)."""

    member = models.ForeignKey(HouseholdMember, on_delete=models.CASCADE, related_name="resources")
    month = models.DateField(_("mois"))
    kind = models.CharField(_("nature"), max_length=20, choices=ResourceKind.choices)
    amount = models.DecimalField(_("montant"), **money)

    class Meta:
        ordering = ["member", "month", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month", "kind"], name="resource_one_per_member_month_kind"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="resource_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.month:%Y-%m} {self.kind}"


class HouseholdDraft(TimestampedModel):
    """The household form in progress, saved at every step until the person confirms it."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="household_draft")
    data = models.JSONField(default=dict)
    step = models.PositiveSmallIntegerField(default=1)


class ConsentQuerySet(models.QuerySet["Consent"]):
    def active(self) -> "ConsentQuerySet":
        return self.filter(withdrawn_at__isnull=True)

    def for_person(self, person: Person) -> "ConsentQuerySet":
        return self.filter(person=person)


class Consent(PublicModel):
    """One consent for one purpose: given once, withdrawn at most once; a new consent is a new row."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("finalité"), max_length=32, choices=ConsentPurpose.choices)
    given_at = models.DateTimeField(_("donné le"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose"], condition=Q(withdrawn_at__isnull=True), name="consent_one_active"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]


class StaffEnrolmentLinkQuerySet(models.QuerySet["StaffEnrolmentLink"]):
    def pending(self) -> "StaffEnrolmentLinkQuerySet":
        """Links not yet opened and not yet expired."""
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class StaffEnrolmentLink(PublicModel):
    """A one-time, expiring link an administrator sends a staff member so that they enrol their second factor.

    Only the SHA-256 of the token is stored: the link itself exists only in the email (or the terminal).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = StaffEnrolmentLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("lien d'activation du second facteur")
        verbose_name_plural = _("liens d'activation du second facteur")
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(used_at__lte=models.F("expires_at")),
                name="staff_enrolment_link_used_before_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.expires_at:%Y-%m-%d %H:%M}"
