"""The step-by-step household form: which steps exist and how each reads and writes the draft."""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guichet.accounts.enums import (
    LEGACY_RESOURCE_KINDS,
    Housing,
    Relationship,
    ResourceKind,
    SchoolLevel,
    SelfEmployedActivity,
    Situation,
)
from guichet.accounts.forms import tax_notice_years
from guichet.accounts.models import Household, Person


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    title: Promise


STEPS = [
    Step(1, "housing", _("Votre logement")),
    Step(2, "members", _("Les personnes de votre foyer")),
    Step(3, "resources", _("Les ressources des douze derniers mois")),
    Step(4, "taxes", _("Vos impôts")),
]
STEP_COUNT = len(STEPS)


# Names of the aids a household may declare as received, by id. The simulator owns its catalogue of aids: it may
# register a function giving their names (``aid_labels_register``); this module never imports it.
_aid_label_providers: list[Callable[[], Mapping[str, str]]] = []


def aid_labels_register(provider: Callable[[], Mapping[str, str]]) -> None:
    """Give the names of aids (id -> name) to show for the aids a household receives."""
    if provider not in _aid_label_providers:
        _aid_label_providers.append(provider)


def aid_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for provider in _aid_label_providers:
        labels.update(provider())
    return labels


def _amount(value) -> str | None:
    return str(value) if value is not None else None


def initial_data(person: Person) -> dict:
    """The draft to start from: the saved household if there is one, otherwise what the profile knows.

    It has the shape the step forms produce (see ``guichet.accounts.forms``), plus ``received``: the aids the
    household receives now (aid id -> euros a month, as a string), kept as it is.
    """
    household = Household.objects.filter(person=person).prefetch_related("members__resources").first()
    if household is None:
        return {
            "members": [
                {
                    "relationship": "self",
                    "first_name": person.first_name,
                    "birth_date": person.birth_date.isoformat() if person.birth_date else "",
                    "situation": "",
                }
            ]
        }
    members, resources = [], {}
    for index, member in enumerate(household.members.all()):
        members.append(
            {
                "relationship": member.relationship,
                "first_name": member.first_name,
                "birth_date": member.birth_date.isoformat(),
                "situation": member.situation,
                "disability_rate": member.disability_rate,
                "employment_restriction": member.employment_restriction,
                "school_level": member.school_level,
                "unemployed_since": member.unemployed_since.isoformat() if member.unemployed_since else None,
                "self_employed_activity": member.self_employed_activity,
            }
        )
        for resource in member.resources.all():
            resources.setdefault(str(index), {}).setdefault(f"{resource.month:%Y-%m}", {})[resource.kind] = str(
                resource.amount
            )
    return {
        "housing": {
            "commune_insee": household.commune_insee,
            "housing": household.housing,
            "monthly_rent": _amount(household.monthly_rent),
            "shared_tenancy": household.shared_tenancy,
        },
        "members": members,
        "resources": resources,
        "taxes": {
            "last_year_taxable_income": _amount(household.last_year_taxable_income),
            "taxable_income_two_years_ago": _amount(household.taxable_income_two_years_ago),
        },
        "received": {aid: str(amount) for aid, amount in (household.already_received or {}).items()},
    }


def is_complete(data: dict) -> bool:
    members = data.get("members") or []
    return bool(data.get("housing") and members and all(m.get("situation") for m in members) and "taxes" in data)


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _label(choices, value) -> str | None:
    """The label of a choice, None when not given (or unknown: a draft from another version)."""
    return str(choices(value).label) if value in choices.values else None


def recap(data: dict, communes: dict[str, str]) -> dict:
    """The draft in a shape a template can show as it is: labels instead of codes, totals by member.

    Questions added later may be missing from a draft made before them: they show as not given.
    """
    housing = data.get("housing") or {}
    resources = data.get("resources") or {}
    taxes = data.get("taxes") or {}
    members = []
    for index, member in enumerate(data.get("members") or []):
        totals: dict[str, Decimal] = {}
        for by_kind in resources.get(str(index), {}).values():
            for kind, amount in by_kind.items():
                kind = LEGACY_RESOURCE_KINDS.get(kind, kind)
                totals[kind] = totals.get(kind, Decimal(0)) + Decimal(amount)
        since = member.get("unemployed_since")
        members.append(
            {
                "first_name": member["first_name"],
                "relationship": Relationship(member["relationship"]).label,
                "birth_date": datetime.date.fromisoformat(member["birth_date"]),
                "situation": Situation(member["situation"]).label,
                "disability_rate": member.get("disability_rate"),
                "employment_restriction": bool(member.get("employment_restriction")),
                "school_level": member.get("school_level") or "",
                "school_level_label": _label(SchoolLevel, member.get("school_level")),
                "unemployed_since": datetime.date.fromisoformat(since) if since else None,
                "self_employed_activity": _label(SelfEmployedActivity, member.get("self_employed_activity")),
                "totals": [
                    (ResourceKind(kind).label if kind in ResourceKind.values else kind, total)
                    for kind, total in sorted(totals.items(), key=lambda item: _kind_order(item[0]))
                ],
            }
        )
    labels = aid_labels()
    received = [
        (labels.get(aid, aid), amount)
        for aid, value in sorted((data.get("received") or {}).items())
        if (amount := _decimal(value))
    ]
    years = {key: str(value) for key, value in tax_notice_years().items()}
    return {
        "commune": communes.get(housing.get("commune_insee"), housing.get("commune_insee")),
        "housing": Housing(housing["housing"]).label,
        "monthly_rent": _decimal(housing.get("monthly_rent")),
        "shared_tenancy": bool(housing.get("shared_tenancy")),
        "members": members,
        "last_year_taxable_income": _decimal(taxes.get("last_year_taxable_income")),
        "taxable_income_two_years_ago": _decimal(taxes.get("taxable_income_two_years_ago")),
        "tax_years": years,
        "received": received,
    }


def _kind_order(kind: str) -> int:
    """Resource kinds in the form's order; any unknown kind last."""
    return ResourceKind.values.index(kind) if kind in ResourceKind.values else len(ResourceKind.values)
