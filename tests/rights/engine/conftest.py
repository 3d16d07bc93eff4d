"""Shared fixtures: one warm OpenFisca-France system for the whole session (loading it takes seconds)."""

import datetime

import pytest

from guichet.rights.engine.mapping import history_months
from guichet.rights.engine.situation import HouseholdInput, MemberInput
from guichet.rights.engine.system import get_tax_benefit_system

PERIOD = "2025-01"


@pytest.fixture(scope="session", autouse=True)
def tbs():
    # Loaded before any test: loading it installs the speed layer, and a test that switches the layer off for a
    # block (``accel.enabled(False)``) before the first load would otherwise leave it off for every later test.
    return get_tax_benefit_system()


def monthly(amount: float, kind: str = "salary", period: str = PERIOD) -> dict:
    return {month: {kind: amount} for month in history_months(period)}


@pytest.fixture(scope="session")
def households() -> list[HouseholdInput]:
    """A few contrasted households of the demo territory."""
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
            id="no-income",
            members=[MemberInput("a", "self", "1990-03-01", "unemployed")],
            housing="tenant",
            monthly_rent=450,
            commune_insee="69266",
        ),
        HouseholdInput(
            id="retired-couple-and-lodger",
            members=[
                MemberInput("x", "self", "1950-03-01", "retired", monthly(700, "pension")),
                MemberInput("y", "partner", datetime.date(1952, 3, 1), "retired"),
                MemberInput("z", "other", "2001-01-01", "student", monthly(300, "other")),
            ],
            housing="owner",
            commune_insee="69259",
            last_year_taxable_income=9000,
        ),
        HouseholdInput(
            id="large-family",
            members=[
                MemberInput("p", "self", "1980-03-01", "employed", monthly(1500)),
                MemberInput("q", "partner", "1982-03-01", "disabled"),
                MemberInput("c1", "child", "2010-05-01", "student"),
                MemberInput("c2", "child", "2012-05-01", "student"),
                MemberInput("c3", "child", "2023-05-01", "child"),
            ],
            housing="social_tenant",
            monthly_rent=550,
            commune_insee="69256",
        ),
        HouseholdInput(
            id="well-off",
            members=[
                MemberInput("a", "self", "1975-06-15", "employed", monthly(4200)),
                MemberInput("b", "partner", "1977-09-30", "self_employed", monthly(2500)),
            ],
            housing="owner",
            commune_insee="75056",
            last_year_taxable_income=72000,
        ),
    ]
