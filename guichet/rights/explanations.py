"""Plain-language explanations for people, built on the engine's trace summaries."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.rights.engine import explain as engine_explain
from guichet.rights.engine.calculate import HouseholdResult
from guichet.rights.engine.situation import HouseholdInput

FIGURE_LABELS = {
    "base_ressources": gettext_lazy("Ressources prises en compte (par mois)"),
    "base_ressources_annuelles": gettext_lazy("Ressources prises en compte (sur douze mois)"),
    "plafond": gettext_lazy("Plafond de ressources (par mois)"),
    "revenus_activite": gettext_lazy("Revenus d'activité (par mois)"),
    "montant_forfaitaire": gettext_lazy("Montant forfaitaire du foyer"),
    "loyer_retenu": gettext_lazy("Loyer pris en compte"),
    "plafond_loyer": gettext_lazy("Plafond de loyer"),
    "participation_personnelle": gettext_lazy("Participation personnelle"),
}


def reasons_not_eligible(result: HouseholdResult, household: HouseholdInput) -> dict[str, str]:
    """Why each aid of the result is not granted, in plain French."""
    missing = [key for key, value in result.benefits.items() if not value.eligible]
    reasons = engine_explain.reasons_not_eligible(household, missing, result.period)
    generic = _("D'après les informations données, les conditions de cette aide ne sont pas remplies.")
    return {key: reasons.get(key) or generic for key in missing}


def explain(household: HouseholdInput, aid_id: str, period: str) -> dict:
    """The engine's explanation of one aid, with labelled key figures for the page."""
    summary = engine_explain.explain(household, aid_id, period)
    summary["labelled_figures"] = [
        (FIGURE_LABELS.get(key, key), engine_explain.euros(value)) for key, value in summary.get("figures", {}).items()
    ]
    return summary
