from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcedureKind(models.TextChoices):
    STANDARD = "standard", _("Démarche instruite par un agent")
    PASS_URBAIN = "pass_urbain", _("Pass'urbain (inscriptions groupées, décision automatisée)")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Texte")
    NUMBER = "number", _("Nombre")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choix dans une liste")
    ADDRESS = "address", _("Adresse (pré-remplie depuis le profil)")
    MEMBER = "member", _("Personne du foyer (pré-remplie depuis le foyer)")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Déposé")
    IN_REVIEW = "in_review", _("En cours d'instruction")
    INFO_REQUESTED = "info_requested", _("Informations demandées")
    RESUBMITTED = "resubmitted", _("Complété")
    ACCEPTED = "accepted", _("Accepté")
    REJECTED = "rejected", _("Refusé")
    CLOSED = "closed", _("Clos")
    WITHDRAWN = "withdrawn", _("Retiré")


# Statuses an agent still has to act on, in the order they come into the queue.
OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.INFO_REQUESTED,
    ApplicationStatus.RESUBMITTED,
)
DECIDED_STATUSES = (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED, ApplicationStatus.CLOSED)


class DecisionOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accord")
    REJECTED = "rejected", _("Refus")


class DecisionStatus(models.TextChoices):
    AWAITING_SIGNATURE = "awaiting_signature", _("En attente de seconde signature")
    RETURNED = "returned", _("Renvoyée à l'agent")
    SIGNED = "signed", _("Signée et notifiée")


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("En cours d'examen")
    DECIDED = "decided", _("Examiné")


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RENEWED = "renewed", _("Renouvelée")
    ENDED = "ended", _("Terminée")


class Actor(models.TextChoices):
    """Who applies a transition: the person (or someone acting for them), an agent, or the system."""

    APPLICANT = "applicant", _("Usager")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("Automatique")
