"""What procedures ask of the rights engine: a tariff for one member, the Pass'urbain prices, a recomputation.

The engine is only called here. Everything a decision needs to be recomputed identically is returned:
``HouseholdResult.to_dict()`` (inputs, versions and results) and the engine's explanation for the member.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.catalog.enums import ServiceKind

# The Pass'urbain: each service kind and the local aid of rules/ that prices it (None: free of charge).
PASS_URBAIN_SERVICES: dict[str, str | None] = {
    ServiceKind.CANTEEN: "metropole_demo_cantine",
    ServiceKind.POOL: "metropole_demo_pass_piscine",
    ServiceKind.TRANSPORT: "metropole_demo_transport_solidaire",
    ServiceKind.LIBRARY: None,
}


@dataclass
class Computation:
    aid: str
    period: str
    member_id: str
    value: Decimal
    result: dict
    explanation: dict


def member_key(member) -> str:
    """How an application names a household member: stable across edits of the household (ids are not)."""
    return f"{member.first_name}|{member.birth_date:%Y-%m-%d}"


def member_choices(household) -> list[tuple[str, str]]:
    if household is None:
        return []
    return [(member_key(m), m.first_name) for m in household.members.order_by("position", "id")]


def find_member(household, key: str):
    for member in household.members.all():
        if member_key(member) == key:
            return member
    return None


def period_for(aid_id: str, today: datetime.date | None = None) -> str:
    """The month to compute: this month, or the nearest month the aid's grid is in force.

    A tariff grid voted for a school year keeps applying until the next one is written in rules/; the period
    used is stored with the decision and shown in its explanation.
    """
    from guichet.rights.engine.local import local_aids

    today = today or timezone.localdate()
    first = today.replace(day=1)
    aid = local_aids()[aid_id]
    if aid.end is not None and first > aid.end:
        first = aid.end.replace(day=1)
    if first < aid.start:
        first = aid.start.replace(day=1)
    return f"{first:%Y-%m}"


def _household(person):
    household = getattr(person, "household", None) if person is not None else None
    if household is None:
        raise ValidationError(_("Le foyer de la personne n'est pas décrit : le calcul est impossible."))
    return household


def compute_tariff(*, person, aid_id: str, member_key_value: str | None) -> Computation:
    """Compute one local aid for one member of the person's household (the ``self`` member by default)."""
    from guichet.rights.engine.calculate import calculate_households
    from guichet.rights.engine.explain import explain_local_aid
    from guichet.rights.engine.from_models import household_input_from_model

    household = _household(person)
    if member_key_value:
        member = find_member(household, member_key_value)
        if member is None:
            raise ValidationError(_("La personne concernée ne fait plus partie du foyer déclaré."))
    else:
        member = household.members.filter(relationship="self").first()
    period = period_for(aid_id)
    household_input = household_input_from_model(household)
    [result] = calculate_households([household_input], period, benefits=[], local_aid_ids=[aid_id])
    explanation = explain_local_aid(household_input, aid_id, period)
    member_id = str(member.pk)
    value = result.local_aids[aid_id].members[member_id]["value"]
    return Computation(
        aid=aid_id,
        period=period,
        member_id=member_id,
        value=Decimal(str(value)).quantize(Decimal("0.01")),
        result=result.to_dict(),
        explanation={**explanation, "member": explanation["members"].get(member_id, {})},
    )


def recompute(decision) -> Decimal:
    """Recompute a decision's figure from what it stored (inputs and period), e.g. to check it later."""
    from guichet.rights.engine.calculate import calculate_households
    from guichet.rights.engine.situation import HouseholdInput

    stored = decision.engine_result
    household_input = HouseholdInput.from_dict(stored["inputs"])
    [result] = calculate_households(
        [household_input], decision.engine_period, benefits=[], local_aid_ids=[decision.engine_aid]
    )
    value = result.local_aids[decision.engine_aid].members[decision.engine_member]["value"]
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass
class Price:
    member_key: str
    first_name: str
    birth_date: datetime.date
    service_kind: str
    aid_id: str
    value: Decimal
    unit: str
    band: str


def pass_urbain_prices(*, person, selections: dict[str, list[str]]) -> tuple[list[Price], dict]:
    """The price of each (member, service) chosen, from the household's family quotient; and the engine's result.

    ``selections`` maps a service kind to member keys. One vectorised computation covers every aid.
    """
    from guichet.rights.engine.calculate import calculate_households
    from guichet.rights.engine.explain import explain_local_aid
    from guichet.rights.engine.from_models import household_input_from_model
    from guichet.rights.engine.local import local_aids

    household = _household(person)
    aids = local_aids()
    wanted = sorted({PASS_URBAIN_SERVICES[kind] for kind in selections if PASS_URBAIN_SERVICES.get(kind)})
    period = f"{timezone.localdate():%Y-%m}"
    household_input = household_input_from_model(household)
    result = None
    explanations: dict[str, dict] = {}
    if wanted:
        [result] = calculate_households([household_input], period, benefits=[], local_aid_ids=wanted)
        for aid_id in wanted:
            aid_period = period_for(aid_id)
            if aid_period != period:
                # This aid's grid is not in force this month: the last one voted applies (see period_for).
                [aid_result] = calculate_households([household_input], aid_period, benefits=[], local_aid_ids=[aid_id])
                result.local_aids[aid_id] = aid_result.local_aids[aid_id]
            explanations[aid_id] = explain_local_aid(household_input, aid_id, aid_period)
    prices = []
    for kind, keys in selections.items():
        aid_id = PASS_URBAIN_SERVICES.get(kind)
        for key in keys:
            member = find_member(household, key)
            if member is None:
                raise ValidationError(_("Une personne choisie ne fait plus partie du foyer déclaré."))
            if aid_id is None:
                prices.append(
                    Price(key, member.first_name, member.birth_date, kind, "", Decimal("0"), _("gratuit"), "")
                )
                continue
            data = result.local_aids[aid_id].members[str(member.pk)]
            explained = explanations[aid_id]["members"].get(str(member.pk), {})
            prices.append(
                Price(
                    key,
                    member.first_name,
                    member.birth_date,
                    kind,
                    aid_id,
                    Decimal(str(data["value"])).quantize(Decimal("0.01")),
                    aids[aid_id].unit,
                    explained.get("band") or explained.get("reason") or _("Plein tarif"),
                )
            )
    stored = {"result": result.to_dict() if result else None, "explanations": explanations}
    return prices, stored
