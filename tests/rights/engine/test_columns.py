"""Households given as columns (a territory's screening) are the households given as objects, checked alike."""

import dataclasses

import numpy
import pytest

from guichet.rights.engine import mapping
from guichet.rights.engine.calculate import calculate_arrays, calculate_households
from guichet.rights.engine.situation import (
    RESOURCE_ORDER,
    HouseholdColumns,
    HouseholdInput,
    InvalidHousehold,
    MemberInput,
)
from tests.rights.engine.conftest import PERIOD, monthly

MONTHS = tuple(mapping.situation_months(PERIOD))


def by_hand() -> HouseholdColumns:
    """A single parent earning 1,200 € a month with a child, then a retired couple, written as arrays."""
    resources = numpy.zeros((4, len(RESOURCE_ORDER), 13))
    resources[0, 0, :12] = 1200.0  # salary of the 12 past months
    resources[2, 2, :12] = 700.0  # pension
    given = numpy.zeros((4, 13), dtype=bool)
    given[[0, 2], :12] = True
    return HouseholdColumns(
        months=MONTHS,
        housing=["tenant", "owner"],
        commune_insee=["69123", "69259"],
        monthly_rent=[600.0, numpy.nan],
        last_year_taxable_income=[numpy.nan, 9000.0],
        member_household=[0, 0, 1, 1],
        member_id=["a", "b", "x", "y"],
        relationship=["self", "child", "self", "partner"],
        birth_date=numpy.array(["1985-03-01", "2015-05-01", "1950-03-01", "1952-03-01"], dtype="datetime64[D]"),
        situation=["employed", "child", "retired", "retired"],
        resources=resources,
        month_given=given,
        household_id=["single-parent", "retired-couple"],
    )


def as_objects() -> list[HouseholdInput]:
    return [
        HouseholdInput(
            id="single-parent",
            members=[
                MemberInput("a", "self", "1985-03-01", "employed", monthly(1200)),
                MemberInput("b", "child", "2015-05-01", "child"),
            ],
            housing="tenant",
            monthly_rent=600,
            commune_insee="69123",
        ),
        HouseholdInput(
            id="retired-couple",
            members=[
                MemberInput("x", "self", "1950-03-01", "retired", monthly(700, "pension")),
                MemberInput("y", "partner", "1952-03-01", "retired"),
            ],
            housing="owner",
            commune_insee="69259",
            last_year_taxable_income=9000,
        ),
    ]


def assert_same_columns(left: HouseholdColumns, right: HouseholdColumns) -> None:
    for field in dataclasses.fields(HouseholdColumns):
        one, other = getattr(left, field.name), getattr(right, field.name)
        if isinstance(one, numpy.ndarray):
            assert one.dtype == other.dtype, field.name
            assert numpy.array_equal(one, other, equal_nan=one.dtype.kind in "fM"), field.name
        else:
            assert one == other, field.name


def test_objects_become_the_same_columns():
    assert_same_columns(mapping.to_columns(as_objects(), PERIOD), by_hand())


def test_columns_give_the_amounts_of_the_objects(tbs):
    from_columns = calculate_arrays(by_hand(), PERIOD)
    from_objects = calculate_households(as_objects(), PERIOD)
    assert from_columns.person_member_id == ["a", "b", "x", "y"]
    assert from_columns.person_household.tolist() == [0, 0, 1, 1]
    for key, values in from_columns.amounts.items():
        assert values.tolist() == [result.benefits[key].amount for result in from_objects], key
    assert from_columns.amounts["ppa"][0] > 0 and from_columns.amounts["aspa"][1] > 0


def test_a_month_asked_for_without_resources_is_like_the_month_before(tbs):
    columns = by_hand()
    assert not columns.month_given[0, 12]
    like_before = calculate_arrays(columns, PERIOD, benefits=["rsa"], local_aid_ids=[]).amounts["rsa"]
    columns.resources[0, 0, 12] = 1200.0
    columns.month_given[0, 12] = True
    same = calculate_arrays(columns, PERIOD, benefits=["rsa"], local_aid_ids=[]).amounts["rsa"]
    columns.resources[0, 0, 12] = 0.0  # given, and nothing earned: a job lost this month
    lost = calculate_arrays(columns, PERIOD, benefits=["rsa"], local_aid_ids=[]).amounts["rsa"]
    assert like_before.tolist() == same.tolist()
    assert lost[0] != like_before[0]


def test_shapes_and_take():
    columns = mapping.to_columns([*as_objects(), as_objects()[0]], PERIOD)
    shapes = columns.shapes()
    assert list(shapes) == [("self", "child"), ("self", "partner")]
    assert [rows.tolist() for rows in shapes.values()] == [[0, 2], [1]]
    assert all(mapping.shape_key(household) in shapes for household in as_objects())
    taken = columns.take([2, 1])
    assert taken.household_id == ["single-parent", "retired-couple"]
    assert taken.member_id == ["a", "b", "x", "y"] and taken.member_household.tolist() == [0, 0, 1, 1]
    assert numpy.array_equal(taken.resources, columns.resources[[4, 5, 2, 3]])


def test_resources_must_cover_the_months_up_to_the_one_asked_for(tbs):
    with pytest.raises(ValueError, match="13 months up to 2025-02"):
        calculate_arrays(by_hand(), "2025-02")


def broken(**changes) -> dict:
    fields = {field.name: getattr(by_hand(), field.name) for field in dataclasses.fields(HouseholdColumns)}
    return {**fields, **changes}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"housing": ["tenant", "castle"]}, "unknown housing 'castle'"),
        ({"relationship": ["self", "cousin", "self", "partner"]}, "unknown relationship 'cousin'"),
        ({"situation": ["employed", "child", "retired", "astronaut"]}, "unknown situation 'astronaut'"),
        ({"relationship": ["self", "child", "partner", "partner"]}, "exactly one 'self'"),
        ({"relationship": ["self", "self", "self", "partner"]}, "exactly one 'self'"),
        ({"member_id": ["a", "a", "x", "y"]}, "unique within a household"),
        ({"member_household": [0, 1, 0, 1]}, "household by household"),
        ({"member_household": [0, 0, 0, 0]}, "every household has members"),
        ({"commune_insee": ["69123", "692"]}, "5 characters"),
        ({"monthly_rent": [600.0]}, "one value per household"),
        ({"member_id": ["a", "b", "x"]}, "one value per member"),
        ({"resources": numpy.full((4, len(RESOURCE_ORDER), 13), -1.0)}, "cannot be negative"),
        ({"resources": numpy.full((4, len(RESOURCE_ORDER), 13), numpy.nan)}, "cannot be negative"),
        ({"resources": numpy.zeros((4, 4, 13))}, "(member, kind, month)"),
        ({"month_given": numpy.zeros((4, 12), dtype=bool)}, "(member, month)"),
        ({"birth_date": numpy.array(["NaT"] * 4, dtype="datetime64[D]")}, "birth date"),
        ({"months": ("2025-13", *MONTHS[1:])}, "YYYY-MM"),
        ({"school_level": ["college", "", "cp", ""]}, "unknown school_level 'cp'"),
        ({"self_employed_activity": ["", "", "farming", ""]}, "unknown self_employed_activity 'farming'"),
        ({"disability_rate": [120.0, numpy.nan, numpy.nan, numpy.nan]}, "between 0 and 100"),
        ({"disability_rate": [80.0]}, "one value per member"),
        ({"already_received": {"af": [10.0]}}, "one value per household"),
        ({"already_received": {"af": [10.0, -1.0]}}, "cannot be negative"),
        ({"shared_tenancy": [True]}, "one value per household"),
    ],
)
def test_invalid_columns_are_refused(changes, message):
    with pytest.raises(InvalidHousehold, match=message.replace("(", r"\(").replace(")", r"\)")):
        HouseholdColumns(**broken(**changes))
