"""Guichet's simulator on the reference panel: every household, through the simulator's own path (questionnaire
answers -> engine input -> mapping -> engine), gives the amounts the expert computed in plain OpenFisca-France, to
the cent, and a specific reason for every aid it does not get."""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from guichet.rights import questionnaire
from guichet.rights.engine.benefits import BENEFITS
from guichet.rights.simulation import simulate

HOUSEHOLDS = sorted((Path(__file__).parent / "households").glob("*.yaml"))


def answers(household: dict) -> dict:
    """The household as the questionnaire keeps its answers (the household form's draft)."""
    members = household["members"]
    return {
        "housing": {
            "commune_insee": household["commune_insee"],
            "housing": household["housing"],
            "monthly_rent": None if household["monthly_rent"] is None else str(household["monthly_rent"]),
            "shared_tenancy": household["shared_tenancy"],
        },
        "members": [
            {
                "relationship": member["relationship"],
                "first_name": f"Personne {index + 1}",
                "birth_date": str(member["birth_date"]),
                "situation": member["situation"],
                "disability_rate": member["disability_rate"],
                "employment_restriction": member["employment_restriction"],
                "school_level": member["school_level"] or "",
                "unemployed_since": None if member["unemployed_since"] is None else str(member["unemployed_since"]),
                "self_employed_activity": member["self_employed_activity"] or "",
            }
            for index, member in enumerate(members)
        ],
        "resources": {
            str(index): {
                str(month): {kind: str(amount) for kind, amount in by_kind.items()}
                for month, by_kind in member["resources"].items()
            }
            for index, member in enumerate(members)
        },
        "taxes": {
            "last_year_taxable_income": household["last_year_taxable_income"],
            "taxable_income_two_years_ago": household["taxable_income_two_years_ago"],
        },
        "received": {key: str(value) for key, value in household["already_received"].items()},
    }


def test_the_panel_covers_what_the_issue_asks_for():
    assert len(HOUSEHOLDS) >= 30
    names = {path.stem for path in HOUSEHOLDS}
    assert {
        "issue-a-pensioner-alone-lyon",
        "issue-b-working-single-parent-villeurbanne",
        "issue-c-couple-without-income-lyon",
    } <= names


@pytest.mark.parametrize("path", HOUSEHOLDS, ids=[path.stem for path in HOUSEHOLDS])
def test_the_simulator_gives_the_expert_amounts_to_the_cent(path):
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    household = questionnaire.household_input(answers(case["household"]))
    result = simulate(household, str(case["month"]))
    by_id = {outcome.id: outcome for outcome in result.national}
    assert set(case["expected"]) == {benefit.id for benefit in BENEFITS}
    for aid, expected in case["expected"].items():
        outcome = by_id[aid]
        shown = Decimal(1) if outcome.definition["kind"] == "boolean" and outcome.eligible else outcome.amount
        assert shown == Decimal(str(expected)).quantize(Decimal("0.01")), (aid, case["note"])
        assert outcome.eligible == (expected > 0), aid
        if not outcome.eligible:
            assert outcome.reason is not None and not outcome.reason.code.endswith(".other"), aid


def test_the_three_households_of_the_issue_get_the_expert_amounts():
    def amounts(slug: str) -> dict:
        case = yaml.safe_load((Path(__file__).parent / "households" / f"{slug}.yaml").read_text(encoding="utf-8"))
        household = questionnaire.household_input(answers(case["household"]))
        return {outcome.id: outcome for outcome in simulate(household, str(case["month"])).national}

    pensioner = amounts("issue-a-pensioner-alone-lyon")
    assert pensioner["aspa"].amount == Decimal("143.60")  # 1,043.595 € ceiling − 900 € of gross pension
    assert pensioner["aide_logement"].amount == Decimal("166.00")
    parent = amounts("issue-b-working-single-parent-villeurbanne")
    # Once the housing aid shown is received, the prime d'activité counts its forfait logement (rule 4).
    assert parent["ppa"].amount == Decimal("241.97")
    assert parent["aide_logement"].amount == Decimal("411.00")
    couple = amounts("issue-c-couple-without-income-lyon")
    assert couple["cheque_energie"].eligible and couple["cheque_energie"].amount == Decimal("240.00")
