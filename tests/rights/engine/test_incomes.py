"""Gross and taxable incomes solved from declared nets: OpenFisca's own net of each solved gross is the declared net
(checked with plain OpenFisca on the household's situation, inputs it derives left out), whatever the amounts."""

import copy

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from openfisca_core.simulation_builder import SimulationBuilder

from guichet.rights.engine import accel, mapping
from guichet.rights.engine.mapping import incomes
from guichet.rights.engine.situation import HouseholdInput, MemberInput
from tests.rights.engine.conftest import PERIOD
from tests.rights.engine.test_differential import households as drawn_households

CHECKED_MONTHS = (PERIOD, mapping.month_shift(PERIOD, -1), mapping.month_shift(PERIOD, -13), "2022-06")


def check_nets(tbs, household: HouseholdInput) -> None:
    """Plain OpenFisca, given the solved gross amounts only, computes the declared nets and the taxable amounts set."""
    situation = mapping.situation_dict(household, PERIOD)
    derived = copy.deepcopy(situation)
    for person in derived["individus"].values():
        for solved in incomes.SOLVED:
            person.pop(solved.net)
            person.pop(solved.taxable)
    with accel.enabled(False):
        simulation = SimulationBuilder().build_from_entities(tbs, derived)
        for solved in incomes.SOLVED:
            for month in CHECKED_MONTHS:
                net = simulation.calculate(solved.net, month)
                taxable = simulation.calculate(solved.taxable, month)
                for index, person in enumerate(situation["individus"].values()):
                    declared = person[solved.net][month]
                    enough = max(incomes.ENOUGH, abs(declared) * 1e-6)
                    assert net[index] == pytest.approx(declared, abs=enough), (solved.kind, month)
                    assert taxable[index] == pytest.approx(person[solved.taxable][month], abs=enough)


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(household=drawn_households())
def test_solved_gross_amounts_give_the_declared_nets(tbs, household):
    check_nets(tbs, household)


@pytest.mark.parametrize(
    ("kind", "situation", "amount", "rfr"),
    [
        # Unemployment benefit held by the CSG exemption floor: its net is flat over a range of gross amounts.
        ("unemployment", "unemployed", 1690.37, 15000),
        ("unemployment", "unemployed", 3000.0, 40000),
        # Pensions at each CSG rate (exempt, reduced, median, full), by the revenu fiscal de référence.
        ("pension", "retired", 900.0, 5000),
        ("pension", "retired", 1400.0, 15000),
        ("pension", "retired", 1700.0, 20000),
        ("pension", "retired", 2600.0, 40000),
        # Salaries below, at and above the social security ceiling, where the net moves by float32 steps.
        ("salary", "employed", 544.85, None),
        ("salary", "employed", 3150.0, None),
        ("salary", "employed", 12000.0, None),
    ],
)
def test_difficult_incomes_are_solved(tbs, kind, situation, amount, rfr):
    member = MemberInput(
        "a", "self", "1962-05-01", situation, {month: {kind: amount} for month in mapping.history_months(PERIOD)}
    )
    household = HouseholdInput(
        members=[member], housing="tenant", monthly_rent=500, commune_insee="69123", last_year_taxable_income=rfr
    )
    check_nets(tbs, household)


def test_months_of_one_salary_regime_give_the_same_net_for_any_salary(tbs):
    # The reason salaries are solved once per regime of months: two months whose probes agree agree elsewhere too.
    months = mapping.window_months(PERIOD)
    by_regime: dict = {}
    for month in months:
        by_regime.setdefault(incomes.salary_regime(month), []).append(month)
    assert 1 < len(by_regime) < len(months)
    gross = numpy.array([612.4, 1789.03, 2950.5, 4321.0, 7777.77, 25000.0])
    for same in by_regime.values():
        if len(same) > 1:
            first, last = same[0], same[-1]
            assert numpy.array_equal(incomes._employees(first, gross)[0], incomes._employees(last, gross)[0])


def test_a_net_no_gross_can_give_is_refused():
    root = incomes._Root(numpy.array([1000.0]), numpy.array([True]))
    gross = root.first()
    for _step in range(5):
        gross = root.meet(gross, gross * 0 + 10.0, gross)  # a net stuck far below the target
    with pytest.raises(ValueError, match="could not be solved"):
        root.result()


def test_salaries_are_solved_whatever_the_cache_holds(tbs, monkeypatch):
    # A cache filled to its bound is emptied: what this call needs must not go with it.
    monkeypatch.setattr(incomes, "SALARY_CACHE_SIZE", 3)
    monkeypatch.setattr(incomes, "_salary_cache", {})
    months = mapping.window_months(PERIOD)
    first = numpy.full((2, len(months)), 1500.0)
    incomes._salaries(months, first)
    both = numpy.array([[1500.0] * len(months), [2222.22] * len(months)])
    gross, taxable = incomes._salaries(months, both)
    assert (gross[1] > 2222.22).all() and gross[0, 0] == incomes._salaries(months, first)[0][0, 0]
    assert len(incomes._salary_cache) <= 3 + len({incomes.salary_regime(month) for month in months})
