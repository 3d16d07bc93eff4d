"""Procedures (démarches), applications (dossiers) and everything a case holds.

A territory admin defines a ``ProcedureType`` without code: its questions (a JSON list, checked by
``ProcedureType.clean``), the documents it requires, the team that processes it, its target delays, whether a
decision needs a second signature, and optionally the local aid of ``rules/`` that computes a tariff.
An ``Application`` moves through the statuses declared once in ``transitions.TRANSITIONS``.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.accounts.enums import Relationship
from guichet.core.models import PublicModel, TimestampedModel
from guichet.procedures.enums import (
    OPEN_STATUSES,
    ApplicationStatus,
    DecisionOutcome,
    DecisionStatus,
    ProcedureKind,
    QuestionKind,
    ReviewStatus,
    SubscriptionStatus,
)


class Team(PublicModel):
    """Agents (and their supervisors) who process the applications of some procedures."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="procedure_teams", verbose_name=_("membres")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("équipe")
        verbose_name_plural = _("équipes")

    def __str__(self) -> str:
        return self.name


class DocumentType(models.Model):
    """A kind of supporting document, and how long one stays valid for reuse ("dites-le-nous une fois")."""

    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=200)
    description = models.CharField(_("précisions"), max_length=300, blank=True)
    validity_days = models.PositiveIntegerField(
        _("durée de validité (jours)"), null=True, blank=True, help_text=_("Vide : valable sans limite.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("type de pièce justificative")
        verbose_name_plural = _("types de pièces justificatives")

    def __str__(self) -> str:
        return self.name


class ProcedureTypeQuerySet(models.QuerySet["ProcedureType"]):
    def active(self) -> "ProcedureTypeQuerySet":
        return self.filter(is_active=True)


QUESTION_KEYS = {"name", "label", "kind", "required", "choices", "help", "relationships"}


def _check_relationships(question: dict, index: int) -> None:
    """``relationships`` narrows a "member" question to some members of the household, e.g. ``["child"]``."""
    if question["kind"] != QuestionKind.MEMBER:
        raise ValidationError(
            {
                "questions": _("Question %(n)s : seule une question « personne du foyer » accepte « relationships ».")
                % {"n": index}
            }
        )
    accepted = question["relationships"]
    if (
        not isinstance(accepted, list)
        or not accepted
        or not all(isinstance(value, str) and value in Relationship.values for value in accepted)
    ):
        raise ValidationError(
            {
                "questions": _("Question %(n)s : « relationships » est une liste prise parmi %(values)s.")
                % {"n": index, "values": ", ".join(Relationship.values)}
            }
        )


class ProcedureType(PublicModel):
    """A kind of request. ``questions`` is a list of ``{"name", "label", "kind", "required", "choices", "help"}``.

    A "member" question may add ``"relationships"``, the household links it accepts (``["child"]`` for a child's
    enrolment); without it, every member of the household is offered.
    """

    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("type"), max_length=16, choices=ProcedureKind.choices, default=ProcedureKind.STANDARD)
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="procedures"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("équipe"))
    questions = models.JSONField(_("questions"), default=list, blank=True)
    documents = models.ManyToManyField(
        DocumentType, blank=True, related_name="procedures", verbose_name=_("pièces demandées")
    )
    target_delay_days = models.PositiveIntegerField(_("délai cible (jours)"), default=30)
    review_delay_days = models.PositiveIntegerField(_("délai cible d'un recours (jours)"), default=30)
    requires_second_signature = models.BooleanField(_("décision soumise à une seconde signature"), default=False)
    engine_aid = models.CharField(
        _("calcul par le moteur de droits (aide locale)"),
        max_length=80,
        blank=True,
        help_text=_("Identifiant d'une aide locale de rules/, par exemple metropole_demo_cantine."),
    )
    engine_member_question = models.CharField(
        _("question désignant la personne concernée par le calcul"), max_length=50, blank=True
    )
    benefit_id = models.CharField(
        _("aide suivie pour le non-recours"),
        max_length=80,
        blank=True,
        help_text=_("Identifiant de l'aide : le dépôt et l'accord sont comptés dans le suivi du recours."),
    )
    is_active = models.BooleanField(_("ouverte"), default=True)

    objects = ProcedureTypeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("démarche")
        verbose_name_plural = _("démarches")

    def __str__(self) -> str:
        return self.name

    @property
    def is_pass_urbain(self) -> bool:
        return self.kind == ProcedureKind.PASS_URBAIN

    def clean(self) -> None:
        """A territory admin writes the questions by hand: check their shape before they reach a form."""
        if not isinstance(self.questions, list):
            raise ValidationError({"questions": _("Les questions forment une liste.")})
        names = set()
        for index, question in enumerate(self.questions, start=1):
            if not isinstance(question, dict) or not {"name", "label", "kind"} <= set(question):
                raise ValidationError(
                    {"questions": _("Question %(n)s : il faut un nom, un libellé et un type.") % {"n": index}}
                )
            if set(question) - QUESTION_KEYS:
                raise ValidationError({"questions": _("Question %(n)s : clé inconnue.") % {"n": index}})
            if question["kind"] not in QuestionKind.values:
                raise ValidationError({"questions": _("Question %(n)s : type inconnu.") % {"n": index}})
            if question["kind"] == QuestionKind.CHOICE and not question.get("choices"):
                raise ValidationError({"questions": _("Question %(n)s : indiquez les choix.") % {"n": index}})
            if "relationships" in question:
                _check_relationships(question, index)
            if question["name"] in names:
                raise ValidationError({"questions": _("Question %(n)s : nom en double.") % {"n": index}})
            names.add(question["name"])
        if self.engine_member_question and self.engine_member_question not in names:
            raise ValidationError({"engine_member_question": _("Cette question n'existe pas.")})
        if self.engine_aid:
            from guichet.rights.engine.local import local_aids

            if self.engine_aid not in local_aids():
                raise ValidationError({"engine_aid": _("Aucune aide locale ne porte cet identifiant.")})


class DocumentQuerySet(models.QuerySet["Document"]):
    def for_person(self, person) -> "DocumentQuerySet":
        return self.filter(owner=person)

    def valid_on(self, day: datetime.date) -> "DocumentQuerySet":
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))


class Document(PublicModel):
    """An uploaded file, kept under PRIVATE_STORAGE_ROOT and served only through a permission-checked view."""

    owner = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="documents")
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("type")
    )
    path = models.CharField(max_length=300, editable=False)
    original_name = models.CharField(_("nom du fichier"), max_length=200)
    content_type = models.CharField(_("format"), max_length=40)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(max_length=64)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="document_not_empty")]

    def __str__(self) -> str:
        return self.original_name


class ApplicationQuerySet(models.QuerySet["Application"]):
    def for_applicant(self, person) -> "ApplicationQuerySet":
        return self.filter(applicant=person)

    def for_agent(self, user) -> "ApplicationQuerySet":
        """Cases of the teams the user belongs to; drafts stay private to the person."""
        return self.filter(procedure__team__members=user).exclude(status=ApplicationStatus.DRAFT).distinct()

    def open(self) -> "ApplicationQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def search(self, text: str) -> "ApplicationQuerySet":
        text = text.strip()
        if not text:
            return self
        query = Q(receipt_number__iexact=text)
        for word in text.split()[:4]:
            query |= Q(applicant__last_name__icontains=word) | Q(applicant__first_name__icontains=word)
        return self.filter(query)


class Application(PublicModel):
    """One person's request under one procedure (a dossier)."""

    procedure = models.ForeignKey(ProcedureType, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="applications")
    # Who started it: the person, or later a mediator acting on their behalf.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("état"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    answers = models.JSONField(_("réponses"), default=dict, blank=True)
    step = models.PositiveSmallIntegerField(default=1)
    documents = models.ManyToManyField(Document, blank=True, related_name="applications")
    receipt_number = models.CharField(_("numéro de dossier"), max_length=20, null=True, blank=True, unique=True)
    submitted_at = models.DateTimeField(_("déposé le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_applications",
        verbose_name=_("instructeur"),
    )
    renewal_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ApplicationStatus.DRAFT)
                | Q(receipt_number__isnull=False, submitted_at__isnull=False),
                name="application_submitted_has_receipt",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return self.receipt_number or str(_("Brouillon"))

    @property
    def due_on(self) -> datetime.date | None:
        if self.submitted_at is None:
            return None
        return timezone.localdate(self.submitted_at) + datetime.timedelta(days=self.procedure.target_delay_days)


class Transition(models.Model):
    """One change of status, as the person's timeline shows it (also recorded in the audit journal)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=ApplicationStatus.choices)
    to_status = models.CharField(max_length=16, choices=ApplicationStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("changement d'état")
        verbose_name_plural = _("changements d'état")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Message(PublicModel):
    """A message inside a case, between the person (or their mediator) and the agents."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_agent = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    documents = models.ManyToManyField(Document, blank=True, related_name="messages")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return self.body[:60]


class Annotation(TimestampedModel):
    """A private note of the agents on a case: never shown to the person."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="annotations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("note interne")
        verbose_name_plural = _("notes internes")

    def __str__(self) -> str:
        return self.body[:60]


class DecisionQuerySet(models.QuerySet["Decision"]):
    def awaiting_signature(self) -> "DecisionQuerySet":
        return self.filter(status=DecisionStatus.AWAITING_SIGNATURE)

    def signed(self) -> "DecisionQuerySet":
        return self.filter(status=DecisionStatus.SIGNED)


class Decision(PublicModel):
    """An explained decision. With the rights engine, it keeps what is needed to recompute it identically.

    ``engine_result`` is ``HouseholdResult.to_dict()`` (inputs and versions included), ``engine_explanation`` the
    engine's explanation of the aid for the member concerned, ``computed_value`` the figure it gave.
    A decision without ``decided_by`` was taken by an automated processing (CRPA L311-3-1).
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    review = models.ForeignKey(
        "Review", on_delete=models.PROTECT, null=True, blank=True, related_name="decisions", verbose_name=_("recours")
    )
    outcome = models.CharField(_("décision"), max_length=16, choices=DecisionOutcome.choices)
    motivation = models.TextField(_("motivation"))
    status = models.CharField(_("état"), max_length=24, choices=DecisionStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(_("signée le"), null=True, blank=True)
    return_comment = models.TextField(_("motif du renvoi"), blank=True)
    engine_aid = models.CharField(max_length=80, blank=True)
    engine_period = models.CharField(max_length=7, blank=True)
    engine_member = models.CharField(max_length=40, blank=True)
    engine_result = models.JSONField(null=True, blank=True)
    engine_explanation = models.JSONField(null=True, blank=True)
    computed_value = models.DecimalField(_("montant calculé"), max_digits=10, decimal_places=2, null=True, blank=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=DecisionStatus.SIGNED) | Q(signed_at__isnull=False),
                name="decision_signed_has_date",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status=DecisionStatus.AWAITING_SIGNATURE),
                name="decision_one_awaiting_signature_per_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.get_outcome_display()}"

    @property
    def is_automated(self) -> bool:
        return self.decided_by_id is None

    @property
    def engine_versions(self) -> dict:
        return (self.engine_result or {}).get("versions", {})

    @property
    def engine_inputs(self) -> dict:
        return (self.engine_result or {}).get("inputs", {})


class ReviewQuerySet(models.QuerySet["Review"]):
    def open(self) -> "ReviewQuerySet":
        return self.filter(status=ReviewStatus.OPEN)


class Review(PublicModel):
    """A request for review (recours gracieux) of a decision, examined by another agent than the decider."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="reviews")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(_("votre demande"))
    documents = models.ManyToManyField(Document, blank=True, related_name="reviews")
    status = models.CharField(_("état"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_reviews"
    )
    due_on = models.DateField(_("réponse attendue au plus tard le"))

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("recours gracieux")
        verbose_name_plural = _("recours gracieux")
        constraints = [
            models.UniqueConstraint(
                fields=["decision"], condition=Q(status=ReviewStatus.OPEN), name="review_one_open_per_decision"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Recours sur %(decision)s") % {"decision": self.decision})

    @property
    def application(self) -> Application:
        return self.decision.application


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def for_person(self, person) -> "SubscriptionQuerySet":
        return self.filter(person=person)

    def active(self) -> "SubscriptionQuerySet":
        return self.filter(status=SubscriptionStatus.ACTIVE)


class Subscription(PublicModel):
    """One household member enrolled in one service by the Pass'urbain, at the price the local rules gave.

    The member is kept by first name and birth date: household members are rewritten when the household is
    edited, a subscription must outlive that.
    """

    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="subscriptions")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="subscriptions")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="subscriptions")
    member_first_name = models.CharField(_("bénéficiaire"), max_length=150)
    member_birth_date = models.DateField(_("date de naissance du bénéficiaire"))
    aid_id = models.CharField(max_length=80, blank=True)
    price = models.DecimalField(_("tarif"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unité"), max_length=40)
    band = models.CharField(_("tranche appliquée"), max_length=200, blank=True)
    valid_from = models.DateField(_("du"))
    valid_until = models.DateField(_("au"))
    status = models.CharField(
        _("état"), max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from", "member_first_name", "service__name"]
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name="subscription_dates"),
            models.CheckConstraint(condition=Q(price__gte=0), name="subscription_price_not_negative"),
            models.UniqueConstraint(
                fields=["application", "service", "member_first_name", "member_birth_date"],
                name="subscription_one_per_member_service_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_first_name} — {self.service}"
