"""Households to OpenFisca-France situations, and results back.

This package is the ONLY place that knows OpenFisca's entity, role and variable names (apart from the catalogue of
aids in ``benefits``, which names the variable each aid is computed by). ``docs/rights-mapping.md`` says, question by
question, which variables are set for which periods, which aids read them and why; keep it true.

A household becomes the law's inputs in three steps, each for many households at once (one vectorised simulation
per step, arrays rather than per-household dictionaries):

1. ``inputs``: the entities, and what the answers give directly (situations over time, disability, schooling,
   housing, the resources set as declared), over the 36 months before the month asked for and that month;
2. ``incomes``: the gross and taxable amounts of salaries, pensions and unemployment benefit, solved with
   OpenFisca's own formulas from the declared nets, and the revenus fiscaux de référence;
3. ``past``: the benefits of the past months that the law reads, at the amounts declared as received or, for the
   others, at the amounts of the month (the household once it receives every aid shown), to a fixed point.

``prepare`` runs them. Its result is given to OpenFisca in two equivalent ways: ``build_batch`` sets it on ONE
vectorised simulation for many households (``SimulationBuilder.declare_person_entity`` / ``declare_entity`` /
``join_with_persons`` then ``set_input``), and ``situation_dict`` writes one household as an OpenFisca Web API
situation (used by explanations, the Web API compatibility and the differential tests). Both give OpenFisca the very
same values.
"""

import dataclasses
import functools
import json
from collections.abc import Sequence

import numpy
from openfisca_core.simulations import Simulation

from guichet.rights.engine.benefits import Benefit
from guichet.rights.engine.mapping import incomes, past
from guichet.rights.engine.mapping.inputs import (
    GROUP_ROLES,
    HISTORY_MONTHS,
    WINDOW_MONTHS,
    Inputs,
    Layout,
    declared_resources,
    history_months,
    json_value,
    layout,
    month_shift,
    simulate,
    situation_inputs,
    situation_months,
    window_months,
)
from guichet.rights.engine.mapping.past import PAST_BENEFIT_MONTHS
from guichet.rights.engine.situation import HouseholdColumns, HouseholdInput
from guichet.rights.engine.system import get_tax_benefit_system

__all__ = [
    "GROUP_ROLES",
    "HISTORY_MONTHS",
    "PAST_BENEFIT_MONTHS",
    "WINDOW_MONTHS",
    "Batch",
    "Prepared",
    "build_batch",
    "calculate_payload",
    "family_quotient",
    "feature_keys",
    "history_months",
    "household_amounts",
    "month_shift",
    "person_features",
    "prepare",
    "request_benefits",
    "shape_key",
    "situation_dict",
    "situation_months",
    "sum_from_payload",
    "to_columns",
    "to_persons",
    "window_months",
]

# Benefits counted in the CAF's family quotient ("prestations familiales" of the month).
QF_BENEFITS = ("af", "cf", "asf", "paje_base")
PREPARED_CACHE_SIZE = 256  # single households whose inputs are kept (results page, reasons, explanations)


# ---------------------------------------------------------------------------------------------------------------
# A household's inputs


@dataclasses.dataclass(frozen=True)
class Prepared:
    """Every input of a batch of households, ready to be given to OpenFisca."""

    layout: Layout
    period_month: str
    inputs: Inputs


def shape_key(household: HouseholdInput) -> tuple:
    """What decides the entities and the set of inputs ``build_batch`` gives a household: its members'
    relationships (every other input is given for every household, whatever its values).

    Households with the same key make a batch of identical blocks, which ``accel.fold`` can reuse values across.
    ``HouseholdColumns.shapes`` groups many households by the same key.
    """
    return tuple(member.relationship for member in household.members)


def to_columns(households: Sequence[HouseholdInput], period_month: str) -> HouseholdColumns:
    """The columns ``prepare`` reads, for households given as objects."""
    return HouseholdColumns.from_households(households, situation_months(period_month))


def prepare(households: HouseholdColumns | Sequence[HouseholdInput], period_month: str) -> Prepared:
    """Every input of ``households`` for the month ``YYYY-MM``: answers, solved incomes, settled past benefits.

    A single household given as an object is prepared once and kept (``PREPARED_CACHE_SIZE``): a results page, its
    reasons and its explanations read the same inputs.
    """
    if not isinstance(households, HouseholdColumns) and len(households) == 1:
        return _prepared_one(json.dumps(households[0].to_dict(), sort_keys=True), period_month)
    columns = households if isinstance(households, HouseholdColumns) else to_columns(households, period_month)
    return _prepare(columns, period_month)


@functools.lru_cache(maxsize=PREPARED_CACHE_SIZE)
def _prepared_one(household_json: str, period_month: str) -> Prepared:
    household = HouseholdInput.from_dict(json.loads(household_json))
    return _prepare(to_columns([household], period_month), period_month)


def _prepare(columns: HouseholdColumns, period_month: str) -> Prepared:
    lay = layout(columns)
    nets = declared_resources(columns, period_month)
    answers = situation_inputs(columns, lay, period_month, nets)
    solved = incomes.resolve(columns, lay, period_month, answers, nets)
    given = answers.merged(solved)
    benefits, _amounts = past.settle(columns, lay, period_month, given)
    return Prepared(layout=lay, period_month=period_month, inputs=given.merged(benefits))


# ---------------------------------------------------------------------------------------------------------------
# Many households -> one vectorised simulation


@dataclasses.dataclass
class Batch:
    """A vectorised simulation of many households and how its entities map back to them."""

    simulation: Simulation
    period_month: str
    household_count: int
    person_household: numpy.ndarray
    person_member_id: list[str]
    group_household: dict[str, numpy.ndarray]

    def entity_household(self, entity_key: str) -> numpy.ndarray:
        """For each instance of an entity, the index of its household in the batch."""
        if entity_key == "individu":
            return self.person_household
        return self.group_household[entity_key]


def build_batch(households: HouseholdColumns | Sequence[HouseholdInput], period_month: str) -> Batch:
    """One OpenFisca simulation for all ``households``, with every input ``prepare`` gives them."""
    prepared = prepare(households, period_month)
    lay = prepared.layout
    return Batch(
        simulation=simulate(lay, prepared.inputs),
        period_month=period_month,
        household_count=lay.household_count,
        person_household=lay.person_household,
        person_member_id=lay.person_member_id,
        group_household={
            "famille": lay.group_household,
            "foyer_fiscal": lay.group_household,
            "menage": numpy.arange(lay.household_count),
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# One household -> OpenFisca Web API situation


def situation_dict(household: HouseholdInput, period_month: str) -> dict:
    """The OpenFisca Web API situation of one household for the month ``YYYY-MM`` (inputs only)."""
    prepared = prepare([household], period_month)
    lay = prepared.layout
    members = [member.id for member in household.members]
    by_relationship = {relationship: [] for relationship in GROUP_ROLES["menage"]}
    for member in household.members:
        by_relationship[member.relationship].append(member.id)
    parents = by_relationship["self"] + by_relationship["partner"]
    children = by_relationship["child"]
    familles = {"famille": {"parents": parents, "enfants": children}}
    foyers = {"foyer_fiscal": {"declarants": parents, "personnes_a_charge": children}}
    for other in by_relationship["other"]:
        familles[f"famille_{other}"] = {"parents": [other], "enfants": []}
        foyers[f"foyer_fiscal_{other}"] = {"declarants": [other], "personnes_a_charge": []}
    menage = {
        "personne_de_reference": by_relationship["self"],
        "conjoint": by_relationship["partner"],
        "enfants": children,
        "autres": by_relationship["other"],
    }
    instances = {
        "individu": ("individus", {member_id: {} for member_id in members}),
        "famille": ("familles", familles),
        "foyer_fiscal": ("foyers_fiscaux", foyers),
        "menage": ("menages", {"menage": menage}),
    }
    assert lay.person_count == len(members)
    for entity, variables in prepared.inputs.items():
        _plural, by_id = instances[entity]
        ids = list(by_id)
        for variable, by_period in variables.items():
            for period, values in by_period.items():
                for index, instance in enumerate(ids):
                    by_id[instance].setdefault(variable, {})[period] = json_value(values[index])
    return {plural: by_id for plural, by_id in instances.values()}


def request_benefits(situation: dict, benefits: Sequence[Benefit], period_month: str) -> dict:
    """Add ``null`` requests for the given aids to a situation, on every instance of each aid's entity.

    The result is a Web API ``/calculate`` payload. The situation is modified in place and returned.
    """
    tbs = get_tax_benefit_system()
    for benefit in benefits:
        plural = tbs.variables[benefit.variable].entity.plural
        for instance in situation[plural].values():
            instance.setdefault(benefit.variable, {})[benefit.period_for(period_month)] = None
    return situation


def calculate_payload(household: HouseholdInput, benefits: Sequence[Benefit], period_month: str) -> dict:
    """The Web API ``/calculate`` payload asking for ``benefits`` of one household."""
    return request_benefits(situation_dict(household, period_month), benefits, period_month)


def sum_from_payload(result: dict, benefit: Benefit, period_month: str) -> float:
    """The household total of one aid in a Web API ``/calculate`` response built by ``calculate_payload``."""
    tbs = get_tax_benefit_system()
    plural = tbs.variables[benefit.variable].entity.plural
    period = benefit.period_for(period_month)
    return float(sum(float(instance[benefit.variable][period]) for instance in result[plural].values()))


def benefit_values(simulation: Simulation, benefit: Benefit, period_month: str) -> numpy.ndarray:
    """The values of one aid for every instance of its entity, as float64 (booleans as 0/1)."""
    values = simulation.calculate(benefit.variable, benefit.period_for(period_month))
    return numpy.asarray(values, dtype=numpy.float64)


def household_amounts(batch: Batch, benefit: Benefit) -> numpy.ndarray:
    """One aid summed per household (over its familles, ménage or members), rounded to the cent.

    A household with an ``other`` member holds several familles: their rights add up to the household's.
    """
    values = benefit_values(batch.simulation, benefit, batch.period_month)
    entity = batch.simulation.tax_benefit_system.variables[benefit.variable].entity.key
    totals = numpy.bincount(batch.entity_household(entity), weights=values, minlength=batch.household_count)
    return numpy.round(totals, 2)


def to_persons(simulation: Simulation, entity_key: str, values: numpy.ndarray) -> numpy.ndarray:
    """Broadcast values of a group entity to its members (identity for individus)."""
    if entity_key == "individu":
        return values
    return values[simulation.populations[entity_key].members_entity_id]


def _calculate(simulation: Simulation, variable: str, period: str) -> numpy.ndarray:
    return numpy.asarray(simulation.calculate(variable, period))


def family_quotient(simulation: Simulation, period_month: str) -> numpy.ndarray:
    """The CAF family quotient of each person's famille for the month, in euros.

    QF = (revenu fiscal de référence of year N-2 / 12 + family benefits of the month) / number of shares, where shares
    are 1 per parent (2 for a couple), +0.5 for each of the first two children, +1 from the third child, and +0.5 for
    a single parent. The rfr of a famille is the one of each parent's foyer fiscal where that parent is the main
    declarant (so a married couple counts it once, an unmarried one adds both).
    """
    familles = simulation.populations["famille"]
    foyers = simulation.populations["foyer_fiscal"]
    tax_year = str(int(period_month[:4]) - 2)
    rfr = _calculate(simulation, "rfr", tax_year).astype(numpy.float64)
    is_parent = familles.has_role(familles.entity.PARENT)
    is_principal = foyers.has_role(foyers.entity.DECLARANT_PRINCIPAL)
    parent_rfr = numpy.where(is_parent & is_principal, rfr[foyers.members_entity_id], 0.0)
    famille_rfr = familles.sum(parent_rfr)
    benefits = numpy.zeros(familles.count)
    for variable in QF_BENEFITS:
        benefits += _calculate(simulation, variable, period_month)
    children = familles.sum(_calculate(simulation, "prestations_familiales_enfant_a_charge", period_month))
    parents = familles.sum(is_parent)
    shares = (
        numpy.where(parents >= 2, 2.0, 1.0)
        + 0.5 * numpy.minimum(children, 2)
        + numpy.maximum(children - 2, 0)
        + numpy.where((parents < 2) & (children > 0), 0.5, 0.0)
    )
    quotient = (famille_rfr / 12 + benefits) / shares
    return numpy.round(quotient, 2)[familles.members_entity_id]


def person_features(
    simulation: Simulation, period_month: str, benefits: Sequence[Benefit]
) -> dict[str, numpy.ndarray]:
    """What local aids look at, one value per person, from any OpenFisca-France simulation.

    ``age``, ``commune`` (INSEE code of the ménage, str), ``qf`` (family quotient), ``student``, ``disabled``, and
    for each given national aid ``receives:<id>`` (the person's famille, ménage or the person gets it).
    """
    tbs = simulation.tax_benefit_system
    activite = simulation.calculate("activite", period_month).decode_to_str()
    depcom = to_persons(simulation, "menage", _calculate(simulation, "depcom", period_month))
    features: dict[str, numpy.ndarray] = {
        "age": _calculate(simulation, "age", period_month).astype(numpy.int64),
        "commune": numpy.char.decode(depcom.astype("S5"), "ascii"),
        "qf": family_quotient(simulation, period_month),
        "student": numpy.asarray(activite == "etudiant"),
        "disabled": _calculate(simulation, "handicap", period_month).astype(bool),
    }
    for benefit in benefits:
        entity = tbs.variables[benefit.variable].entity.key
        values = benefit_values(simulation, benefit, period_month)
        features[f"receives:{benefit.id}"] = to_persons(simulation, entity, values) > 0
    return features


def feature_keys(period_month: str, benefits: Sequence[Benefit]) -> list[str]:
    """The trace keys (``variable<period>``) ``person_features`` computes, for a local aid's trace node."""
    keys = [f"{variable}<{period_month}>" for variable in ("age", "depcom", "activite", "handicap")]
    keys.append(f"rfr<{int(period_month[:4]) - 2}>")
    keys += [f"{variable}<{period_month}>" for variable in (*QF_BENEFITS, "prestations_familiales_enfant_a_charge")]
    keys += [f"{benefit.variable}<{benefit.period_for(period_month)}>" for benefit in benefits]
    return keys
