"""Differential test: the batch path gives plain OpenFisca-France's amounts, to the cent, for random households."""

import datetime

import numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openfisca_core.simulation_builder import SimulationBuilder

from guichet.rights.engine import mapping
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import calculate_arrays
from guichet.rights.engine.situation import HouseholdInput, MemberInput
from tests.rights.engine.conftest import PERIOD

ADULT_SITUATIONS = ["employed", "self_employed", "unemployed", "student", "retired", "disabled", "inactive"]
KINDS = ["salary", "unemployment", "pension", "other"]
amounts = st.one_of(st.just(0), st.integers(0, 400_000).map(lambda cents: cents / 100))


@st.composite
def members(draw, member_id: str, relationship: str) -> MemberInput:
    if relationship == "child":
        birth = draw(st.dates(datetime.date(2004, 1, 1), datetime.date(2024, 12, 1)))
        situation = draw(st.sampled_from(["child", "student"]))
    else:
        birth = draw(st.dates(datetime.date(1935, 1, 1), datetime.date(2006, 12, 31)))
        situation = draw(st.sampled_from(ADULT_SITUATIONS))
    resources = {}
    kind = draw(st.sampled_from(KINDS))
    amount = draw(amounts)
    recent = draw(amounts)  # a change over the last three months exercises the RSA/PPA quarter
    for offset, month in enumerate(mapping.history_months(PERIOD)):
        resources[month] = {kind: recent if offset >= 9 else amount}
    return MemberInput(member_id, relationship, birth, situation, resources)


@st.composite
def households(draw) -> HouseholdInput:
    people = [draw(members("m0", "self"))]
    if draw(st.booleans()):
        people.append(draw(members("m1", "partner")))
    for index in range(draw(st.integers(0, 3))):
        people.append(draw(members(f"c{index}", "child")))
    if draw(st.integers(0, 4)) == 0:
        people.append(draw(members("o0", "other")))
    housing = draw(st.sampled_from(["tenant", "social_tenant", "owner", "hosted", "homeless"]))
    return HouseholdInput(
        id="drawn",
        members=people,
        housing=housing,
        monthly_rent=draw(st.integers(0, 150_000).map(lambda cents: cents / 100)),
        commune_insee=draw(st.sampled_from(["69123", "69266", "69259", "69256", "69029", "75056", "97411"])),
        last_year_taxable_income=draw(st.one_of(st.none(), st.integers(0, 80_000))),
    )


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(household=households())
def test_batch_equals_plain_openfisca(tbs, households, household):
    benefits = get_benefits()
    # The drawn household sits between fixed ones: the vectorised simulation must not mix households.
    batch = calculate_arrays([households[0], household, households[3]], PERIOD, local_aid_ids=[])
    simulation = SimulationBuilder().build_from_entities(tbs, mapping.situation_dict(household, PERIOD))
    for benefit in benefits:
        values = numpy.asarray(simulation.calculate(benefit.variable, benefit.period_for(PERIOD)), dtype=float)
        expected = round(float(values.sum()), 2)
        assert abs(batch.amounts[benefit.id][1] - expected) <= 0.01, benefit.id
