"""The simulator's questionnaire: its steps, its resources form and the conversion to the engine's input.

Answers have the shape of the household form's draft (``housing``, ``members``, ``resources``, ``taxes``), so a
saved household prefills the simulator and a corrected simulation can update the household as it is.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.accounts.enums import ResourceKind
from guichet.accounts.forms import last_twelve_months, money_field
from guichet.accounts.household_form import Step
from guichet.rights.engine.situation import HouseholdInput, InvalidHousehold, MemberInput

STEPS = [
    Step(1, "housing", _("Votre logement")),
    Step(2, "members", _("Les personnes de votre foyer")),
    Step(3, "resources", _("Vos ressources")),
]
STEP_COUNT = len(STEPS)
SESSION_KEY = "rights_questionnaire"


def current_period() -> str:
    """Rights are computed for the current month."""
    return f"{timezone.localdate():%Y-%m}"


class AverageResourcesForm(forms.Form):
    """Average net monthly resources by kind for each member over the last twelve months: only what is needed."""

    last_year_taxable_income = money_field(_("Revenu imposable de l'année dernière, en euros (facultatif)"))

    def __init__(self, *args, members: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = []
        for index, member in enumerate(members):
            names = []
            for kind, label in ResourceKind.choices:
                name = f"avg_{index}_{kind}"
                self.fields[name] = money_field(label)
                names.append(name)
            self.members.append((member["first_name"], names))
        self.order_fields([name for _first, names in self.members for name in names] + ["last_year_taxable_income"])

    def member_fields(self):
        for first_name, names in self.members:
            yield first_name, [self[name] for name in names]

    @staticmethod
    def initial_from(data: dict) -> dict:
        """Averages of the monthly amounts already known (a saved household gives twelve months)."""
        initial: dict[str, Decimal | str | None] = {}
        months = [f"{month:%Y-%m}" for month in last_twelve_months()]
        for index, by_month in (data.get("resources") or {}).items():
            for kind in ResourceKind.values:
                total = sum(Decimal(by_month.get(month, {}).get(kind) or 0) for month in months)
                if total:
                    initial[f"avg_{index}_{kind}"] = (total / 12).quantize(Decimal("0.01"))
        income = (data.get("taxes") or {}).get("last_year_taxable_income")
        initial["last_year_taxable_income"] = income
        return initial

    def to_data(self) -> tuple[dict, dict]:
        """(resources by member index and month, taxes), each month of the last twelve at the average given."""
        months = [f"{month:%Y-%m}" for month in last_twelve_months()]
        resources: dict[str, dict[str, dict[str, str]]] = {}
        for name, value in self.cleaned_data.items():
            if not name.startswith("avg_") or not value:
                continue
            _prefix, index, kind = name.split("_", 2)
            for month in months:
                resources.setdefault(index, {}).setdefault(month, {})[kind] = str(value)
        income = self.cleaned_data.get("last_year_taxable_income")
        return resources, {"last_year_taxable_income": str(income) if income is not None else None}


def _amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidHousehold(f"not an amount: {value!r}") from exc


def household_input(data: dict, household_id: str | None = None) -> HouseholdInput:
    """The engine's input from questionnaire answers (raises InvalidHousehold if they are incomplete)."""
    try:
        housing = data["housing"]
        members = [
            MemberInput(
                id=str(index),
                relationship=member["relationship"],
                birth_date=datetime.date.fromisoformat(member["birth_date"]),
                situation=member["situation"],
                resources={
                    month: {kind: _amount(amount) for kind, amount in by_kind.items()}
                    for month, by_kind in (data.get("resources") or {}).get(str(index), {}).items()
                },
            )
            for index, member in enumerate(data["members"])
        ]
        return HouseholdInput(
            id=household_id,
            members=members,
            housing=housing["housing"],
            commune_insee=housing["commune_insee"],
            monthly_rent=_amount(housing.get("monthly_rent")),
            last_year_taxable_income=_amount((data.get("taxes") or {}).get("last_year_taxable_income")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidHousehold(str(exc)) from exc


def is_complete(data: dict) -> bool:
    try:
        household_input(data)
    except InvalidHousehold:
        return False
    return "resources" in data
