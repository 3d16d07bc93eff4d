"""Computing a questionnaire's rights and shaping the result for people: amounts, reasons, how to claim."""

from dataclasses import dataclass, field
from decimal import Decimal

from guichet.rights.engine.benefits import BENEFITS_BY_ID
from guichet.rights.engine.calculate import HouseholdResult, calculate_households
from guichet.rights.engine.local import local_aids
from guichet.rights.engine.situation import HouseholdInput
from guichet.rights.explanations import reasons_not_eligible

CENT = Decimal("0.01")


def compute(household: HouseholdInput, period: str) -> HouseholdResult:
    """All national and local aids of one household for one month."""
    return calculate_households([household], period)[0]


def euros(amount: float) -> Decimal:
    return Decimal(str(round(amount, 2))).quantize(CENT)


def monthly_equivalent(benefit_id: str, amount: float) -> Decimal:
    """A yearly amount (back-to-school allowance, energy cheque, school grants) counted as a twelfth per month."""
    value = euros(amount)
    benefit = BENEFITS_BY_ID[benefit_id]
    return value if benefit.amount_period == "month" else (value / 12).quantize(CENT)


def monthly_total(result: HouseholdResult) -> Decimal:
    """The aids paid to the household, per month (a right to free health cover or a contribution is not money)."""
    return sum(
        (
            monthly_equivalent(key, value.amount)
            for key, value in result.benefits.items()
            if value.eligible and BENEFITS_BY_ID[key].kind == "amount"
        ),
        Decimal(0),
    )


@dataclass
class Presented:
    eligible: list[dict] = field(default_factory=list)
    local: list[dict] = field(default_factory=list)
    not_eligible: list[dict] = field(default_factory=list)
    monthly_total: Decimal = Decimal(0)


def present(result: HouseholdResult, household: HouseholdInput, names: dict[str, str]) -> Presented:
    """The result as a results page shows it. ``names`` maps member ids to first names."""
    shown = Presented(monthly_total=monthly_total(result))
    reasons = reasons_not_eligible(result, household)
    for key, value in result.benefits.items():
        benefit = BENEFITS_BY_ID[key]
        item = {**benefit.as_dict(), "amount": euros(value.amount), "period": value.period}
        if value.eligible:
            shown.eligible.append(item)
        else:
            item["reason"] = reasons[key]
            shown.not_eligible.append(item)
    aids = local_aids()
    for key, value in result.local_aids.items():
        if not value.eligible:
            continue
        aid = aids[key]
        members = [
            {"first_name": names.get(member_id, member_id), "value": euros(member["value"])}
            for member_id, member in value.members.items()
            if member["eligible"]
        ]
        shown.local.append({**aid.as_dict(), "members": members})
    shown.eligible.sort(key=lambda item: -item["amount"])
    return shown
