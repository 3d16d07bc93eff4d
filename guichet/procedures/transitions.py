"""The lifecycle of an application, declared once. ``services.application_transition`` is the one place applying it.

draft → submitted → in_review → info_requested ↔ resubmitted → accepted / rejected → closed; withdrawn by the
person before a decision. Accepted ↔ rejected happens only as the outcome of a review (recours gracieux).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from guichet.procedures.enums import Actor
from guichet.procedures.enums import ApplicationStatus as S


@dataclass(frozen=True)
class Rule:
    actor: Actor
    label: str
    # "decision": only with a signed decision of that outcome; "review": only as the outcome of a review.
    requires: str = ""


_WITHDRAW = Rule(Actor.APPLICANT, _("Retrait de la demande par l'usager"))

TRANSITIONS: dict[tuple[str, str], Rule] = {
    (S.DRAFT, S.SUBMITTED): Rule(Actor.APPLICANT, _("Demande déposée")),
    (S.SUBMITTED, S.IN_REVIEW): Rule(Actor.AGENT, _("Instruction commencée")),
    (S.IN_REVIEW, S.INFO_REQUESTED): Rule(Actor.AGENT, _("Informations demandées à l'usager")),
    (S.RESUBMITTED, S.INFO_REQUESTED): Rule(Actor.AGENT, _("Informations demandées à l'usager")),
    (S.INFO_REQUESTED, S.RESUBMITTED): Rule(Actor.APPLICANT, _("Dossier complété par l'usager")),
    (S.RESUBMITTED, S.IN_REVIEW): Rule(Actor.AGENT, _("Instruction reprise")),
    (S.SUBMITTED, S.ACCEPTED): Rule(Actor.SYSTEM, _("Demande acceptée"), requires="decision"),
    (S.IN_REVIEW, S.ACCEPTED): Rule(Actor.AGENT, _("Demande acceptée"), requires="decision"),
    (S.IN_REVIEW, S.REJECTED): Rule(Actor.AGENT, _("Demande refusée"), requires="decision"),
    (S.RESUBMITTED, S.ACCEPTED): Rule(Actor.AGENT, _("Demande acceptée"), requires="decision"),
    (S.RESUBMITTED, S.REJECTED): Rule(Actor.AGENT, _("Demande refusée"), requires="decision"),
    (S.ACCEPTED, S.REJECTED): Rule(Actor.AGENT, _("Décision modifiée après recours"), requires="review"),
    (S.REJECTED, S.ACCEPTED): Rule(Actor.AGENT, _("Décision modifiée après recours"), requires="review"),
    (S.CLOSED, S.ACCEPTED): Rule(Actor.AGENT, _("Décision modifiée après recours"), requires="review"),
    (S.CLOSED, S.REJECTED): Rule(Actor.AGENT, _("Décision modifiée après recours"), requires="review"),
    (S.ACCEPTED, S.CLOSED): Rule(Actor.AGENT, _("Dossier clos")),
    (S.REJECTED, S.CLOSED): Rule(Actor.AGENT, _("Dossier clos")),
    (S.SUBMITTED, S.WITHDRAWN): _WITHDRAW,
    (S.IN_REVIEW, S.WITHDRAWN): _WITHDRAW,
    (S.INFO_REQUESTED, S.WITHDRAWN): _WITHDRAW,
    (S.RESUBMITTED, S.WITHDRAWN): _WITHDRAW,
}


def rule_for(from_status: str, to_status: str) -> Rule | None:
    return TRANSITIONS.get((from_status, to_status))


def allowed_from(status: str, actor: Actor) -> list[str]:
    """The statuses ``actor`` may move an application to from ``status`` by hand (no decision, no review)."""
    return [
        to for (src, to), rule in TRANSITIONS.items() if src == status and rule.actor == actor and not rule.requires
    ]
