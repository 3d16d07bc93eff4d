"""The simulator's questionnaire: its steps, its own forms and the conversion to the engine's input.

Answers have the shape of the household form's draft (``housing``, ``members``, ``resources``, ``taxes``,
``received``), so a saved household prefills the simulator and a corrected simulation can update the household as it
is. The first two steps are the household form's own (guichet.accounts.forms); the last two are the simulator's:
average resources with the revenus fiscaux de référence, and the aids already received.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.accounts.enums import ResourceKind
from guichet.accounts.forms import last_twelve_months, money_field
from guichet.accounts.household_form import Step
from guichet.rights.engine.benefits import BENEFITS
from guichet.rights.engine.mapping.past import PAST_FAMILLE, PAST_INDIVIDU
from guichet.rights.engine.situation import HouseholdInput, InvalidHousehold, MemberInput

STEPS = [
    Step(1, "housing", _("Votre logement")),
    Step(2, "members", _("Les personnes de votre foyer")),
    Step(3, "resources", _("Vos ressources")),
    Step(4, "received", _("Les aides que vous recevez déjà")),
]
STEP_COUNT = len(STEPS)
SESSION_KEY = "rights_questionnaire"
# The aids asked about: those the law reads in the past months (a received amount changes the others).
RECEIVED_AIDS = [benefit for benefit in BENEFITS if benefit.id in (*PAST_FAMILLE, *PAST_INDIVIDU)]


def current_period() -> str:
    """Rights are computed for the current month."""
    return f"{timezone.localdate():%Y-%m}"


def tax_notice_years(today: datetime.date | None = None) -> tuple[int, int]:
    """The years of the two last tax notices (avis d'impôt), for the questions' labels: received this year and last."""
    year = (today or timezone.localdate()).year
    return year, year - 1


class AverageResourcesForm(forms.Form):
    """Average net monthly resources by kind for each member over the last twelve months, and the revenus fiscaux de
    référence of the two last tax notices: only what is needed."""

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
        this_year, last_year = tax_notice_years()
        self.fields["last_year_taxable_income"] = money_field(
            _("Revenu fiscal de référence de votre avis d'impôt %(notice)s (revenus %(year)s), en euros (facultatif)")
            % {"notice": this_year, "year": this_year - 1}
        )
        self.fields["taxable_income_two_years_ago"] = money_field(
            _("Revenu fiscal de référence de votre avis d'impôt %(notice)s (revenus %(year)s), en euros (facultatif)")
            % {"notice": last_year, "year": last_year - 1}
        )
        self.fields["last_year_taxable_income"].help_text = _(
            "Il figure en première page de l'avis d'impôt. Sans lui, nous l'estimons d'après vos ressources."
        )

    def member_fields(self):
        for first_name, names in self.members:
            yield first_name, [self[name] for name in names]

    def tax_fields(self):
        return [self["last_year_taxable_income"], self["taxable_income_two_years_ago"]]

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
        taxes = data.get("taxes") or {}
        initial["last_year_taxable_income"] = taxes.get("last_year_taxable_income")
        initial["taxable_income_two_years_ago"] = taxes.get("taxable_income_two_years_ago")
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
        taxes = {
            key: None if self.cleaned_data.get(key) is None else str(self.cleaned_data[key])
            for key in ("last_year_taxable_income", "taxable_income_two_years_ago")
        }
        return resources, taxes


class ReceivedForm(forms.Form):
    """The aids the household receives now, with their monthly amounts: the past months the law reads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for benefit in RECEIVED_AIDS:
            field = money_field(benefit.label)
            field.help_text = _("Montant reçu chaque mois, en euros. Laissez vide si vous ne la recevez pas.")
            self.fields[benefit.id] = field

    @staticmethod
    def initial_from(data: dict) -> dict:
        return dict(data.get("received") or {})

    def to_data(self) -> dict:
        """Aid id -> monthly amount (a string), for the aids received (a blank or 0 is an aid not received)."""
        return {key: str(value) for key, value in self.cleaned_data.items() if value}


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
        taxes = data.get("taxes") or {}
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
                disability_rate=member.get("disability_rate"),
                employment_restriction=bool(member.get("employment_restriction")),
                school_level=member.get("school_level") or None,
                unemployed_since=member.get("unemployed_since") or None,
                self_employed_activity=member.get("self_employed_activity") or None,
            )
            for index, member in enumerate(data["members"])
        ]
        return HouseholdInput(
            id=household_id,
            members=members,
            housing=housing["housing"],
            shared_tenancy=bool(housing.get("shared_tenancy")),
            commune_insee=housing["commune_insee"],
            monthly_rent=_amount(housing.get("monthly_rent")),
            last_year_taxable_income=_amount(taxes.get("last_year_taxable_income")),
            taxable_income_two_years_ago=_amount(taxes.get("taxable_income_two_years_ago")),
            already_received={key: _amount(value) for key, value in (data.get("received") or {}).items()},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidHousehold(str(exc)) from exc


def is_complete(data: dict) -> bool:
    try:
        household_input(data)
    except InvalidHousehold:
        return False
    return "resources" in data
