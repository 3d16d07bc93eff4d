"""Folding (guichet/rights/engine/accel/fold.py): values reused across simulations, never a different amount.

Each test compares with plain openfisca-core (speed layer off), on households whose *values* differ from the ones
the plan was recorded on: that is when a wrong reuse would show.
"""

import copy
import dataclasses
import datetime

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_core.simulations import Simulation

from guichet.rights.engine import accel, calculate, mapping
from guichet.rights.engine.accel import fold
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import calculate_arrays, web_api_calculate, web_api_trace
from guichet.rights.engine.explain import explain
from guichet.rights.engine.situation import HouseholdInput, MemberInput
from tests.rights.engine.conftest import PERIOD
from tests.rights.engine.test_differential import households as drawn_households


@pytest.fixture(autouse=True)
def no_plans():
    fold.clear()
    yield
    fold.clear()


def variant(household: HouseholdInput, factor: float, days: int = 0) -> HouseholdInput:
    """The same shape with other values: amounts scaled (zero stays zero), rent, commune, birth dates moved."""
    members = [
        dataclasses.replace(
            member,
            birth_date=member.birth_date + datetime.timedelta(days=days),
            resources={
                month: {kind: round(float(amount or 0) * factor, 2) for kind, amount in by_kind.items()}
                for month, by_kind in member.resources.items()
            },
        )
        for member in household.members
    ]
    income = household.last_year_taxable_income
    return dataclasses.replace(
        household,
        members=members,
        monthly_rent=None if household.monthly_rent is None else round(household.monthly_rent * factor, 2),
        commune_insee="69266" if household.commune_insee != "69266" else "69123",
        last_year_taxable_income=None if income is None else round(income * factor, 2),
    )


def disability_switched(household: HouseholdInput) -> HouseholdInput:
    """The same relationships, with each adult disabled if they were not, and employed if they were."""
    members = [
        dataclasses.replace(member, situation="employed" if member.situation == "disabled" else "disabled")
        if member.relationship in ("self", "partner")
        else member
        for member in household.members
    ]
    return dataclasses.replace(household, members=members)


def plain_and_folded(payloads: list[dict]) -> tuple[list[dict], list[dict]]:
    with accel.enabled(False):
        plain = [web_api_calculate(copy.deepcopy(payload)) for payload in payloads]
    with accel.enabled(True):
        folded = [web_api_calculate(copy.deepcopy(payload)) for payload in payloads]
    return plain, folded


def test_households_of_one_shape_reuse_and_answer_as_plain_openfisca(tbs, households):
    benefits = get_benefits()
    for household in households:
        payloads = [
            mapping.calculate_payload(variant(household, factor, days), benefits, PERIOD)
            for factor, days in ((1, 0), (1.7, 0), (0.4, -400), (2.5, 200))
        ]
        before = fold.stats()
        plain, folded = plain_and_folded(payloads)
        assert folded == plain, household.id
        after = fold.stats()
        # The first recorded the plan; the three others, with other amounts, rent, commune and ages, reused it.
        assert after["recorded"] - before.get("recorded", 0) == 1, household.id
        assert after["folded"] - before.get("folded", 0) == 3, household.id


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(household=drawn_households(), days=st.integers(-900, 900))
def test_drawn_households_answer_as_plain_openfisca(tbs, household, days):
    # The first records the plan: other amounts and birth dates than the household folded after it.
    benefits = get_benefits()
    households = [variant(household, 0.3, days), household, variant(household, 3.1, -days)]
    payloads = [mapping.calculate_payload(one, benefits, PERIOD) for one in households]
    plain, folded = plain_and_folded(payloads)
    assert folded == plain


def test_batches_by_shape_equal_plain_openfisca(tbs, households, monkeypatch):
    # 5 shapes of 30 households each, all values different: each shape is probed on a few, then reused.
    monkeypatch.setattr(calculate, "MIN_SHAPE_HOUSEHOLDS", 20)
    many = [variant(household, 0.2 + index / 10, 37 * index) for index in range(30) for household in households]
    # A shape is its relationships: disabled adults or not, children of school age or not, fold together.
    many = [disability_switched(household) if index % 3 == 0 else household for index, household in enumerate(many)]
    assert len({mapping.shape_key(household) for household in many}) == len(households)
    with accel.enabled(False):
        plain = calculate_arrays(many, PERIOD)
    with accel.enabled(True):
        folded = calculate_arrays(many, PERIOD)
    assert fold.stats()["folded"] >= len(households)
    # Shapes with fewer households than the threshold are computed together, unfolded: the same amounts.
    monkeypatch.setattr(calculate, "MIN_SHAPE_HOUSEHOLDS", 500)
    together = calculate_arrays(many, PERIOD)
    for key, values in plain.amounts.items():
        assert numpy.array_equal(together.amounts[key], values), key
    for key, values in plain.amounts.items():
        assert numpy.array_equal(folded.amounts[key], values), key
    for key, values in plain.local_values.items():
        assert numpy.array_equal(folded.local_values[key], values), key
        assert numpy.array_equal(folded.local_eligible[key], plain.local_eligible[key]), key
    assert numpy.array_equal(folded.person_household, plain.person_household)
    assert folded.person_member_id == plain.person_member_id


def test_results_come_back_in_the_order_given(tbs, households):
    mixed = [households[3], households[0], households[3], households[2], households[0]]
    result = calculate_arrays(mixed, PERIOD, local_aid_ids=None)
    alone = {household.id: calculate_arrays([household], PERIOD) for household in households}
    for row, household in enumerate(mixed):
        for key, values in result.amounts.items():
            assert values[row] == alone[household.id].amounts[key][0], (household.id, key)
    starts = numpy.searchsorted(result.person_household, numpy.arange(len(mixed)))
    for row, household in enumerate(mixed):
        members = slice(starts[row], starts[row] + len(household.members))
        assert result.person_member_id[members] == [member.id for member in household.members]
        for key, values in result.local_values.items():
            assert numpy.array_equal(values[members], alone[household.id].local_values[key]), key


def test_a_value_read_from_a_holder_is_not_taken_for_a_constant(tbs):
    # ``age`` without a birth date is derived from the age given for another month by reading the holder directly,
    # not through ``calculate``: the recording must see that read.
    def payload(age: int) -> dict:
        return {
            "individus": {"a": {"age": {"2025-01": age, "2026-03": None}}},
            "familles": {"f": {"parents": ["a"]}},
            "foyers_fiscaux": {"ff": {"declarants": ["a"]}},
            "menages": {"m": {"personne_de_reference": ["a"]}},
        }

    plain, folded = plain_and_folded([payload(30), payload(41), payload(67)])
    assert folded == plain
    assert [answer["individus"]["a"]["age"]["2026-03"] for answer in folded] == [31, 42, 68]
    assert fold.stats()["folded"] == 2


def test_a_value_derived_from_another_computed_month_is_not_taken_for_a_constant(tbs):
    # ``age_en_mois`` of a month is derived from the one already computed for another month, read from its holder:
    # it depends on the birth date through that month. (Found by hypothesis: the school grant came out 0 € instead
    # of 464.65 € for this household when another one of its shape, born 100 days later, had been recorded.)
    def months(kind: str, amounts: list[float]) -> dict:
        return {f"2024-{month:02d}": {kind: amount} for month, amount in zip(range(1, 13), amounts, strict=True)}

    household = HouseholdInput(
        id="students",
        members=[
            MemberInput("m0", "self", datetime.date(1951, 9, 9), "employed", months("salary", [0] * 12)),
            MemberInput("c0", "child", datetime.date(2007, 9, 29), "student", months("unemployment", [0] * 12)),
            MemberInput("c1", "child", datetime.date(2007, 1, 1), "student", months("salary", [3.38] * 9 + [0] * 3)),
        ],
        housing="tenant",
        commune_insee="75056",
        monthly_rent=6.51,
    )
    payloads = [
        mapping.calculate_payload(one, get_benefits(), PERIOD) for one in (variant(household, 1, 100), household)
    ]
    fold.clear()  # preparing the payloads (solving incomes, settling past benefits) recorded plans of its own
    plain, folded = plain_and_folded(payloads)
    assert folded == plain
    assert plain[1]["familles"]["famille"]["ars"]["2025"] > 400
    assert fold.stats()["folded"] == 1


def test_values_caught_in_a_spiral_are_recorded_and_never_reused(tbs, households, monkeypatch):
    # openfisca-core invalidates the values computed inside a spiral (they depend on the call stack) and purges them
    # once the stack is empty: the recording must note every one of them, and the plan must reuse none. The
    # simulator sets past benefits, which spares it spirals; without them (as a Web API client may send), the
    # housing aid and the RSA of past months call each other.
    recorders = []
    build_plan = fold._build_plan

    def capture(simulation, recorder, inputs, repeats):
        recorders.append(recorder)
        return build_plan(simulation, recorder, inputs, repeats)

    def without_past_benefits(household: HouseholdInput) -> Simulation:
        situation = mapping.situation_dict(household, PERIOD)
        for famille in situation["familles"].values():
            for aid in mapping.past.PAST_FAMILLE:
                famille.pop(aid)
        return SimulationBuilder().build_from_entities(tbs, situation)

    simulation = without_past_benefits(households[0])
    later = without_past_benefits(variant(households[0], 3))
    fold.clear()  # preparing the households (solving incomes, settling past benefits) recorded plans of their own
    monkeypatch.setattr(fold, "_build_plan", capture)
    invalidated = set()
    invalidate = simulation.invalidate_cache_entry

    def noting(variable, period):
        invalidated.add((variable, period))
        invalidate(variable, period)

    simulation.invalidate_cache_entry = noting
    with fold.folding(simulation):
        for benefit in get_benefits():
            simulation.calculate(benefit.variable, benefit.period_for(PERIOD))
    assert invalidated, "this calculation meets spirals: a test without any would prove nothing"
    (recorder,) = recorders
    assert recorder.tainted == invalidated
    plan = fold.plan_for(later)
    assert not invalidated & (set(plan.constants) | set(plan.checks))


def test_one_household_simulations_learn_variants_that_answer_as_plain_openfisca(tbs, households, monkeypatch):
    # Every formula that runs in a folded one-household simulation adds what it asked for and returned to the plan;
    # a later household whose children have those values is given the value without the formula.
    runs = []
    run_formula = Simulation._run_formula

    def counted(self, variable, population, period):
        runs.append(variable.name)
        return run_formula(self, variable, population, period)

    monkeypatch.setattr(Simulation, "_run_formula", counted)
    household = households[0]
    seen = [variant(household, factor, days) for factor, days in ((1, 0), (1.7, 0), (0.4, -400))]
    # Values met before, mixed: the salary of one with the birth dates of another, then one met exactly.
    mixed = [variant(household, 1.7, -400), variant(household, 0.4, -400), variant(household, 1.7, 0)]
    payloads = [mapping.calculate_payload(one, get_benefits(), PERIOD) for one in seen + mixed]
    fold.clear()  # preparing the payloads recorded plans of its own
    plain, folded = plain_and_folded(payloads)
    assert folded == plain
    assert fold.stats()["variants"] > 100
    (plan,) = fold._plans.values()  # one shape, one purpose
    assert plan.variants and all(not leaf_value.flags.writeable for leaf_value in _leaf_values(plan))
    # ``age`` reads holders directly: what its formula asks for cannot be noted, so it never has a variant.
    assert not [node for node in plan.variants if node[0] == "age" and node not in plan.checks]
    # The household met exactly before runs only what cannot be learnt (formulas that read holders).
    runs.clear()
    with accel.enabled(True):
        again = web_api_calculate(copy.deepcopy(payloads[-1]))
    assert again == plain[-1]
    assert runs and set(runs) <= {"age", "age_en_mois"}, sorted(set(runs))


def _leaf_values(plan: fold.Plan) -> list[numpy.ndarray]:
    values, pending = [], list(plan.variants.values())
    while pending:
        step = pending.pop()
        if isinstance(step, fold._Leaf):
            values.append(step.value)
        else:
            pending.extend(step.branches.values())
    return values


def test_a_formula_run_that_reads_a_holder_teaches_nothing(tbs):
    # ``age`` without a birth date reads the periods its holder knows: the speed layer cannot note that read.
    payloads = [
        {
            "individus": {"a": {"age": {"2025-01": age, "2026-03": None}}},
            "familles": {"f": {"parents": ["a"]}},
            "foyers_fiscaux": {"ff": {"declarants": ["a"]}},
            "menages": {"m": {"personne_de_reference": ["a"]}},
        }
        for age in (30, 41, 67, 41)
    ]
    plain, folded = plain_and_folded(payloads)
    assert folded == plain
    (plan,) = fold._plans.values()
    assert fold.stats()["folded"] == 3
    assert not [node for node in plan.variants if node[0] == "age"]


def test_signature_sees_shape_and_given_periods_not_values(tbs, households):
    def signature(situation: dict) -> tuple:
        return fold._signature(SimulationBuilder().build_from_entities(tbs, situation))[0]

    single_parent = households[0]
    situation = mapping.situation_dict(single_parent, PERIOD)
    assert signature(situation) == signature(mapping.situation_dict(variant(single_parent, 3.5, 100), PERIOD))
    another_child = dataclasses.replace(
        single_parent, members=[*single_parent.members, MemberInput("c", "child", "2019-01-01", "child")]
    )
    assert signature(mapping.situation_dict(another_child, PERIOD)) != signature(situation)
    one_more_month = copy.deepcopy(situation)
    (menage,) = one_more_month["menages"].values()
    menage["loyer"]["2021-06"] = 600  # a month before the 36 months given
    assert signature(one_more_month) != signature(situation)


def test_repetitions_are_recognised_only_for_identical_blocks(tbs, households):
    same = mapping.build_batch([households[0], variant(households[0], 2), variant(households[0], 3)], PERIOD)
    assert fold._repetitions(same.simulation) == 3
    mixed = mapping.build_batch([households[0], households[3], households[0]], PERIOD)
    assert fold._repetitions(mixed.simulation) == 1


def test_no_folding_without_the_layer_under_a_tracer_or_for_a_large_situation(tbs, households):
    payload = mapping.calculate_payload(households[0], get_benefits(), PERIOD)
    with accel.enabled(False):
        web_api_calculate(copy.deepcopy(payload))
    web_api_trace(copy.deepcopy(payload))
    assert fold.stats() == {"plans": 0}
    crowd = dataclasses.replace(
        households[0],
        members=[MemberInput(f"c{index}", "child", "2015-01-01", "child") for index in range(fold.MAX_SINGLE_PERSONS)]
        + list(households[0].members),
    )
    web_api_calculate(mapping.calculate_payload(crowd, get_benefits()[:2], PERIOD))
    assert fold.stats() == {"plans": 0}


def test_plans_are_bounded(tbs, households, monkeypatch):
    monkeypatch.setattr(fold, "PLAN_LIMIT", 2)
    for household in households[:4]:
        web_api_calculate(mapping.calculate_payload(household, get_benefits()[:1], PERIOD))
    assert fold.stats()["plans"] == 2


def test_a_plan_serves_only_what_it_was_recorded_for(tbs, households):
    # An explanation's reason computes a few variables: its plan must not stand for a full calculation's.
    def stats() -> dict:
        return {key: value for key, value in fold.stats().items() if key != "variants"}

    # Prepared first (solving incomes and settling past benefits record plans of their own), then kept.
    payloads = [mapping.calculate_payload(variant(households[0], factor), get_benefits(), PERIOD) for factor in (1, 2)]
    for household in (households[0], variant(households[0], 3)):
        mapping.situation_dict(household, PERIOD)
    fold.clear()
    explain(households[0], "rsa", PERIOD)
    assert stats() == {"plans": 1, "recorded": 1}
    plain, folded = plain_and_folded(payloads)
    assert folded == plain
    assert stats() == {"plans": 2, "recorded": 2, "folded": 1}
    explain(variant(households[0], 3), "rsa", PERIOD)
    assert stats() == {"plans": 2, "recorded": 2, "folded": 2}


def test_reused_values_are_shared_read_only(tbs, households):
    batch = mapping.build_batch([households[0], variant(households[0], 2)], PERIOD)
    with fold.folding(batch.simulation):
        batch.simulation.calculate("rsa", PERIOD)
    # A signature is taken before anything is computed: ask with a fresh simulation of the same shape.
    plan = fold.plan_for(mapping.build_batch([households[0], variant(households[0], 3)], PERIOD).simulation)
    assert plan.constants and plan.checks
    assert all(not block.flags.writeable for block in plan.constants.values())

    # Given to a simulation of 3 households: one value repeated is a read-only view, longer blocks are copies.
    def repeated_as_given(block: numpy.ndarray, repeats: int) -> numpy.ndarray:
        return fold._repeated(block, repeats, fold._uniform(block))

    repeated = repeated_as_given(numpy.array([1.5]), 3)
    assert repeated.tolist() == [1.5, 1.5, 1.5] and not repeated.flags.writeable
    assert repeated_as_given(numpy.array([1, 2]), 2).tolist() == [1, 2, 1, 2]
    # A block of the same bytes throughout (a default value for every member) is a view too, of equal bytes;
    # 0.0 and -0.0 compare equal but differ in bytes: that block is copied, signs kept.
    uniform = repeated_as_given(numpy.zeros(3, dtype=numpy.float32), 4)
    assert uniform.strides == (0,) and not uniform.flags.writeable
    assert uniform.tobytes() == numpy.zeros(12, dtype=numpy.float32).tobytes()
    signed = repeated_as_given(numpy.array([0.0, -0.0], dtype=numpy.float32), 2)
    assert signed.strides != (0,) and numpy.signbit(signed).tolist() == [False, True, False, True]
    enum_block = next(block for block in plan.constants.values() if isinstance(block, EnumArray) and len(block) > 1)
    spread = repeated_as_given(enum_block, 5)
    assert isinstance(spread, EnumArray) and spread.possible_values is enum_block.possible_values
    assert spread.tolist() == numpy.tile(numpy.asarray(enum_block), 5).tolist()
    words = repeated_as_given(numpy.array(["a", "a"], dtype=object), 2)
    assert words.tolist() == ["a"] * 4 and words.strides != (0,)  # objects are copied, never compared as bytes
    # A plan notes which of its blocks are uniform once, for every simulation it is given to.
    again = mapping.build_batch([households[0], variant(households[0], 4)], PERIOD)
    with fold.folding(again.simulation):
        again.simulation.calculate("rsa", PERIOD)
    blocks = {id(block): block for block in plan.constants.values()}
    noted = [(blocks[key], flag) for key, flag in plan.uniform.items() if key in blocks]
    assert noted and {flag for _block, flag in noted} == {True, False}
    assert all(fold._uniform(block) == flag for block, flag in noted)


def test_comparisons_are_exact():
    block = numpy.array([0.5, 0.0], dtype=numpy.float32)
    assert fold._same(numpy.array([0.5, 0.0, 0.5, 0.0], dtype=numpy.float32), block, 2)
    assert not fold._same(numpy.array([0.5, 0.0, 0.5, 0.1], dtype=numpy.float32), block, 2)
    assert not fold._same(numpy.array([0.5, 0.0], dtype=numpy.float64), block, 1)  # another dtype
    assert not fold._same(numpy.array([numpy.nan]), numpy.array([numpy.nan]), 1)  # NaN is never "the same"
    assert fold._block(numpy.array([1, 2, 1, 2]), 2).tolist() == [1, 2]
    assert fold._block(numpy.array([1, 2, 1, 3]), 2) is None  # blocks differ: not a constant of the shape
