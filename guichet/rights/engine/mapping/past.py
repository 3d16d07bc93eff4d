"""Benefits of the past months that the law reads, under one convention (``docs/rights-mapping.md``, rule 4).

Several aids read other benefits of the months before: the prime d'activité averages three months, each with that
month's housing aid and family benefits; the RSA counts the AAH of the last three months; housing aid is neutralised
when RSA was paid last month; the complémentaire santé solidaire counts twelve months of benefits. A results page
that added this month's family allowances to a prime d'activité computed as if none had ever been paid would add up
two contradictory situations. The convention: the amounts shown are those of the household **once it receives
every aid shown**. An aid declared as received is set on the past months at the amount declared; every other aid the
law reads in the past is set at the amount computed for the month, and the household is computed again, until no
amount of the month changes (a fixed point, reached in two or three rounds). Where two states answer each other
instead, the one whose aids add up to less is kept: the simulator never promises the larger of two amounts that
cannot both be true.
"""

import numpy

from guichet.rights.engine.accel import build, fold
from guichet.rights.engine.mapping.inputs import Inputs, Layout, history_months, simulate
from guichet.rights.engine.situation import HouseholdColumns

PAST_BENEFIT_MONTHS = 13  # M-13..M-1: housing aid reads M-13 of nothing, the CSS twelve months, the RSA three
# Catalogue aids the law reads in the past, by entity.
PAST_FAMILLE = ("rsa", "ppa", "aide_logement", "af", "cf", "asf", "paje_base", "aspa")
PAST_INDIVIDU = ("aah",)
# Benefits outside the catalogue, read in the past: none is computed, so none is received.
ZERO_INDIVIDU = ("caah", "asi", "ass", "rente_accident_travail")
MAX_ROUNDS = 10


def declared(columns: HouseholdColumns, lay: Layout) -> dict[str, numpy.ndarray]:
    """The amounts declared as received, on the entity of each aid; NaN where none is declared.

    A famille's aid is its household's main famille's; the AAH is the reference person's if they are disabled,
    otherwise the partner's (or the reference person's when neither is).
    """
    assert columns.already_received is not None
    received: dict[str, numpy.ndarray] = {}
    for aid in PAST_FAMILLE:
        values = numpy.full(lay.group_count, numpy.nan)
        if aid in columns.already_received:
            values[lay.main_famille] = columns.already_received[aid]
        received[aid] = values
    values = numpy.full(lay.person_count, numpy.nan)
    if "aah" in columns.already_received:
        disabled = (columns.situation == "disabled") | (numpy.nan_to_num(columns.disability_rate) >= 50)
        self_code, partner_code = _code("self"), _code("partner")
        households = lay.household_count
        self_disabled = numpy.zeros(households, dtype=bool)
        self_disabled[lay.person_household[lay.relationship == self_code]] = disabled[lay.relationship == self_code]
        has_disabled_partner = numpy.zeros(households, dtype=bool)
        partner = lay.relationship == partner_code
        has_disabled_partner[lay.person_household[partner & disabled]] = True
        to_partner = ~self_disabled & has_disabled_partner
        chosen = numpy.where(
            to_partner[lay.person_household], partner, lay.relationship == self_code
        )  # one person per household
        values[chosen] = columns.already_received["aah"][lay.person_household[chosen]]
    received["aah"] = values
    return received


def _code(relationship: str) -> int:
    from guichet.rights.engine.mapping.inputs import RELATIONSHIP_ORDER

    return RELATIONSHIP_ORDER.index(relationship)


def put_past(inputs: Inputs, period_month: str, amounts: dict[str, numpy.ndarray]) -> None:
    """Set each benefit's past months at the given amounts (one per instance of its entity)."""
    months = history_months(period_month, PAST_BENEFIT_MONTHS)
    for aid in PAST_FAMILLE:
        inputs.put("famille", aid, months, amounts[aid])
    for aid in PAST_INDIVIDU:
        inputs.put("individu", aid, months, amounts[aid])


def settle(
    columns: HouseholdColumns, lay: Layout, period_month: str, inputs: Inputs
) -> tuple[Inputs, dict[str, numpy.ndarray]]:
    """The past benefits at the fixed point, and the amounts of the month they lead to.

    Returns the inputs of the past months (to add to ``inputs``) and the month's amounts of the aids read in the past.
    """
    received = declared(columns, lay)
    zeros = Inputs()
    months = history_months(period_month, PAST_BENEFIT_MONTHS)
    for variable in ZERO_INDIVIDU:
        zeros.put("individu", variable, months, numpy.zeros(lay.person_count))
    amounts = {aid: numpy.nan_to_num(values) for aid, values in received.items()}
    rounds: list[tuple[dict, dict]] = []
    for _round in range(MAX_ROUNDS):
        past = Inputs()
        put_past(past, period_month, amounts)
        simulation = simulate(lay, inputs.merged(zeros, past))
        try:
            with fold.folding(simulation, "past benefits"):
                current = {
                    aid: numpy.asarray(simulation.calculate(aid, period_month), dtype=numpy.float64)
                    for aid in (*PAST_FAMILLE, *PAST_INDIVIDU)
                }
        finally:
            build.release(simulation)
        following = {aid: numpy.where(numpy.isnan(received[aid]), current[aid], received[aid]) for aid in amounts}
        if all(numpy.array_equal(following[aid], amounts[aid]) for aid in amounts):
            return zeros.merged(past), current
        rounds.append((amounts, current))
        amounts = following
    # Two states answer each other (a few euros of RSA neutralise the housing aid's resources, which then leaves
    # no RSA): for each household, the round whose aids of the month add up to less is kept.
    (earlier, earlier_current), (later, later_current) = rounds[-2], rounds[-1]
    later_smaller = _household_total(lay, later_current) < _household_total(lay, earlier_current)
    chosen: dict[str, numpy.ndarray] = {}
    chosen_current: dict[str, numpy.ndarray] = {}
    for aid in amounts:
        pick = later_smaller[lay.person_household if aid in PAST_INDIVIDU else lay.group_household]
        chosen[aid] = numpy.where(pick, later[aid], earlier[aid])
        chosen_current[aid] = numpy.where(pick, later_current[aid], earlier_current[aid])
    past = Inputs()
    put_past(past, period_month, chosen)
    return zeros.merged(past), chosen_current


def _household_total(lay: Layout, amounts: dict[str, numpy.ndarray]) -> numpy.ndarray:
    """The aids of the month read in the past, added up per household."""
    total = numpy.zeros(lay.household_count)
    for aid, values in amounts.items():
        owners = lay.person_household if aid in PAST_INDIVIDU else lay.group_household
        total += numpy.bincount(owners, weights=values, minlength=lay.household_count)
    return total
