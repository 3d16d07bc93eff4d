"""The step-by-step household form: which steps exist and how each reads and writes the draft."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guichet.accounts.enums import Housing, Relationship, ResourceKind, Situation
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


def initial_data(person: Person) -> dict:
    """The draft to start from: the saved household if there is one, otherwise what the profile knows."""
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
            "monthly_rent": str(household.monthly_rent) if household.monthly_rent is not None else None,
        },
        "members": members,
        "resources": resources,
        "taxes": {
            "last_year_taxable_income": (
                str(household.last_year_taxable_income) if household.last_year_taxable_income is not None else None
            )
        },
    }


def is_complete(data: dict) -> bool:
    members = data.get("members") or []
    return bool(data.get("housing") and members and all(m.get("situation") for m in members) and "taxes" in data)


def recap(data: dict, communes: dict[str, str]) -> dict:
    """The draft in a shape a template can show as it is: labels instead of codes, totals by member."""
    housing = data.get("housing") or {}
    resources = data.get("resources") or {}
    members = []
    for index, member in enumerate(data.get("members") or []):
        totals: dict[str, Decimal] = {}
        for by_kind in resources.get(str(index), {}).values():
            for kind, amount in by_kind.items():
                totals[kind] = totals.get(kind, Decimal(0)) + Decimal(amount)
        members.append(
            {
                "first_name": member["first_name"],
                "relationship": Relationship(member["relationship"]).label,
                "birth_date": datetime.date.fromisoformat(member["birth_date"]),
                "situation": Situation(member["situation"]).label,
                "totals": [(ResourceKind(kind).label, total) for kind, total in sorted(totals.items())],
            }
        )
    rent = housing.get("monthly_rent")
    income = (data.get("taxes") or {}).get("last_year_taxable_income")
    return {
        "commune": communes.get(housing.get("commune_insee"), housing.get("commune_insee")),
        "housing": Housing(housing["housing"]).label,
        "monthly_rent": Decimal(rent) if rent else None,
        "members": members,
        "last_year_taxable_income": Decimal(income) if income else None,
    }
