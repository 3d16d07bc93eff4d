"""One household's rights as people and partners read them: every aid of the catalogue, due or not, and why.

``simulate`` is the ONE function behind the results page, its PDF and ``POST /api/v1/simulation``: the amounts come
from ``engine.calculate.calculate_households`` (the path of decisions and of the batch screening too), the reasons
and the lines of each calculation from ``engine.reasons`` on the same prepared inputs, the words from ``wording``.
A household therefore gets the same answer wherever it asks.

The amounts are those of the household once it receives every aid shown (``docs/rights-mapping.md``, rule 4):
``CONVENTION`` says so in one sentence, shown with every result.
"""

import dataclasses
from decimal import Decimal

from django.utils.translation import gettext_lazy

from guichet.rights.engine import local, mapping, reasons
from guichet.rights.engine.accel import build, fold
from guichet.rights.engine.benefits import BENEFITS, Benefit
from guichet.rights.engine.calculate import HouseholdResult, calculate_households
from guichet.rights.engine.situation import HouseholdInput
from guichet.rights.wording import line_label, reason_text

CENT = Decimal("0.01")
CONVENTION = "all_aids_received"
CONVENTION_TEXT = gettext_lazy(
    "Les montants sont ceux que votre foyer recevra une fois toutes les aides indiquées obtenues : par exemple, la "
    "prime d'activité tient compte de l'aide au logement et des allocations familiales affichées ici. Pour une aide "
    "que vous recevez déjà, le montant que vous avez indiqué est pris en compte pour les mois passés."
)
# A local aid's reason is taken from the member who came closest to it: one who failed on these conditions met
# the aid's own conditions of age and place.
_CLOSEST_LOCAL_REASONS = ("local.qf_bands", "local.qf_max", "local.qf_min", "local.receives", "local.not_receives")


def money(amount: float) -> Decimal:
    """Euros rounded to the cent, as shown and stored."""
    return Decimal(str(round(float(amount), 2))).quantize(CENT)


@dataclasses.dataclass
class Outcome:
    """One aid for one household: due or not, how much, and why not."""

    id: str
    scope: str  # "national" or "local"
    label: str
    eligible: bool
    amount: Decimal | None  # per ``amount_period`` (national aids); None for a local aid (see ``members``)
    amount_period: str  # "month" or "year"; a local aid's own unit ("€ par mois", "€ par repas"...)
    monthly: Decimal  # what it adds to the household's month (0 for a cover, a contribution or a local tariff)
    already_received: Decimal | None
    reason: reasons.Reason | None
    members: list[dict] = dataclasses.field(default_factory=list)  # local aids: one entry per member
    definition: dict = dataclasses.field(default_factory=dict)  # label, description, how to claim, legal basis

    @property
    def reason_text(self) -> str | None:
        """The sentence a person reads for why the aid is not due."""
        return reason_text(self.reason) if self.reason is not None else None

    def as_api(self) -> dict:
        """The JSON of ``/api/v1/simulation``."""
        answer: dict = {
            "id": self.id,
            "scope": self.scope,
            "label": self.label,
            "eligible": self.eligible,
            "amount": None if self.amount is None else float(self.amount),
            "amount_period": self.amount_period,
            "already_received": None if self.already_received is None else float(self.already_received),
            "reason": None,
        }
        if self.reason is not None:
            answer["reason"] = {"code": self.reason.code, "text": self.reason_text, "figures": self.reason.figures}
        if self.scope == "local":
            answer["members"] = [
                {
                    "id": member["id"],
                    "eligible": member["eligible"],
                    "value": float(member["value"]),
                    "band": member["band"],
                    "reason": None
                    if member["reason"] is None
                    else {
                        "code": member["reason"].code,
                        "text": reason_text(member["reason"]),
                        "figures": member["reason"].figures,
                    },
                }
                for member in self.members
            ]
        return answer


@dataclasses.dataclass
class Simulated:
    """Every aid of the catalogue for one household and one month."""

    period: str
    household: HouseholdInput
    result: HouseholdResult
    national: list[Outcome]
    local: list[Outcome]

    @property
    def due(self) -> list[Outcome]:
        """National aids due, the largest monthly amounts first."""
        return sorted((outcome for outcome in self.national if outcome.eligible), key=lambda item: -item.monthly)

    @property
    def not_due(self) -> list[Outcome]:
        """National aids not due, in the catalogue's order."""
        return [outcome for outcome in self.national if not outcome.eligible]

    @property
    def monthly_total(self) -> Decimal:
        """The aids paid to the household each month, once it receives every aid shown (yearly ones: a twelfth)."""
        return sum((outcome.monthly for outcome in self.national if outcome.eligible), Decimal(0))

    @property
    def monthly_to_claim(self) -> Decimal:
        """The part of the monthly total the household does not receive yet (by its answers)."""
        return sum(
            (outcome.monthly for outcome in self.national if outcome.eligible and outcome.already_received is None),
            Decimal(0),
        )

    def as_api(self) -> dict:
        """The answer of ``POST /api/v1/simulation``."""
        return {
            "month": self.period,
            "aids": [outcome.as_api() for outcome in (*self.national, *self.local)],
            "monthly_total": float(self.monthly_total),
            "monthly_to_claim": float(self.monthly_to_claim),
            "convention": {"code": CONVENTION, "text": str(CONVENTION_TEXT)},
            "versions": self.result.versions,
        }


def monthly_equivalent(benefit: Benefit, amount: float) -> Decimal:
    """What an aid adds to the household's month: a yearly amount counts a twelfth; a cover or a contribution 0."""
    if benefit.kind != "amount":
        return Decimal(0)
    value = money(amount)
    return value if benefit.amount_period == "month" else (value / 12).quantize(CENT)


def simulate(household: HouseholdInput, period: str) -> Simulated:
    """Every national and local aid of one household for the month ``YYYY-MM``, with a reason for each aid not due."""
    result = calculate_households([household], period)[0]
    batch = mapping.build_batch([household], period)  # the same prepared inputs as the amounts
    simulation = batch.simulation
    aids = local.local_aids()
    try:
        # What the reasons read (eligibility, resources, ceilings) is computed as fast as the amounts are.
        with fold.folding(simulation, "reasons"):
            national = [_national(household, result, simulation, benefit, period) for benefit in BENEFITS]
            features = mapping.person_features(simulation, period, local.benefits_needed(list(aids.values())))
    finally:
        build.release(simulation)
    local_outcomes = [_local(household, result, aids[key], features, period) for key in result.local_aids]
    return Simulated(period=period, household=household, result=result, national=national, local=local_outcomes)


def _national(
    household: HouseholdInput, result: HouseholdResult, simulation, benefit: Benefit, period: str
) -> Outcome:
    computed = result.benefits[benefit.id]
    received = household.already_received.get(benefit.id)
    reason = None if computed.eligible else reasons.reason(simulation, benefit, period)
    if not computed.eligible and reason is None:
        # Not due to the main famille's household as a whole while due to none of its familles: say it plainly.
        reason = reasons.Reason(f"{benefit.id}.other", {})
    return Outcome(
        id=benefit.id,
        scope="national",
        label=str(benefit.label),
        eligible=computed.eligible,
        amount=money(computed.amount) if benefit.kind != "boolean" else Decimal(0),
        amount_period=benefit.amount_period,
        monthly=monthly_equivalent(benefit, computed.amount) if computed.eligible else Decimal(0),
        already_received=None if received is None else money(received),
        reason=reason,
        definition={**benefit.as_dict(), "kind": benefit.kind},
    )


def _local(household: HouseholdInput, result: HouseholdResult, aid: local.LocalAid, features, period: str) -> Outcome:
    computed = result.local_aids[aid.id]
    members = []
    for person, member in enumerate(household.members):
        values = computed.members[member.id]
        reason = None if values["eligible"] else reasons.local_reason(aid, features, person, period)
        members.append(
            {
                "id": member.id,
                "eligible": bool(values["eligible"]),
                "value": money(values["value"]),
                "band": _band(aid, values["value"]) if values["eligible"] else None,
                "reason": reason,
                "reason_text": None if reason is None else reason_text(reason),
            }
        )
    reason = None
    if not computed.eligible:
        failed = [member["reason"] for member in members if member["reason"] is not None]
        closest = [item for item in failed if item.code in _CLOSEST_LOCAL_REASONS]
        reason = (closest or failed or [reasons.Reason("local.other", {})])[0]
    received = household.already_received.get(aid.id)
    return Outcome(
        id=aid.id,
        scope="local",
        label=aid.label,
        eligible=computed.eligible,
        amount=None,
        amount_period=aid.unit,
        monthly=Decimal(0),
        already_received=None if received is None else money(received),
        reason=reason,
        members=members,
        definition={
            **aid.as_dict(),
            "per": aid.unit.removeprefix("€").strip(),
            "deliberation_date": aid.deliberation.get("date"),
        },
    )


def _band(aid: local.LocalAid, value: float) -> str | None:
    for band in aid.bands:
        if abs(band.value - value) < 0.005:
            return band.label
    return None


def calculation_lines(household: HouseholdInput, benefit_id: str, period: str) -> list[tuple[str, Decimal]]:
    """The lines a person reads in "Comprendre le calcul" for a due national aid: label and signed amount, adding up
    to the amount shown (the household's familles one after the other when several get it; the free CSS, a cover,
    adds up to 0)."""
    benefit = next(item for item in BENEFITS if item.id == benefit_id)
    batch = mapping.build_batch([household], period)
    try:
        familles = batch.simulation.populations["famille"].count
        with fold.folding(batch.simulation, ("lines", benefit_id)):
            lines = [
                (line_label(line), money(line.amount))
                for famille in range(familles)
                for line in reasons.breakdown(batch.simulation, benefit, period, famille)
            ]
    finally:
        build.release(batch.simulation)
    return lines
