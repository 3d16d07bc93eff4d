import pytest

from guichet.rights.engine import mapping
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import web_api_trace
from guichet.rights.engine.situation import HouseholdInput, InvalidHousehold, MemberInput
from tests.rights.engine.conftest import PERIOD


def test_months():
    assert mapping.month_shift("2025-01", -1) == "2024-12"
    assert mapping.month_shift("2024-12", 1) == "2025-01"
    assert mapping.history_months("2025-03", 3) == ["2024-12", "2025-01", "2025-02"]
    assert len(mapping.situation_months(PERIOD)) == 13


def test_situation_entities_and_roles(households):
    situation = mapping.situation_dict(households[2], PERIOD)
    assert set(situation) == {"individus", "familles", "foyers_fiscaux", "menages"}
    assert situation["familles"]["famille"]["parents"] == ["x", "y"]
    # The lodger forms a famille and foyer fiscal of their own, in the same ménage.
    assert situation["familles"]["famille_z"]["parents"] == ["z"]
    assert situation["foyers_fiscaux"]["foyer_fiscal_z"]["declarants"] == ["z"]
    menage = situation["menages"]["menage"]
    assert menage["personne_de_reference"] == ["x"]
    assert menage["conjoint"] == ["y"]
    assert menage["autres"] == ["z"]
    assert menage["statut_occupation_logement"] == {PERIOD: "proprietaire"}
    assert menage["loyer"] == {PERIOD: 0.0}  # owners pay no rent
    assert menage["depcom"] == {PERIOD: "69259"}


def test_situation_resources(households):
    situation = mapping.situation_dict(households[0], PERIOD)
    adult = situation["individus"]["a"]
    assert adult["salaire_net"]["2024-01"] == 1200
    # The month asked for is taken as the last month given.
    assert adult["salaire_net"][PERIOD] == 1200
    assert adult["activite"][PERIOD] == "actif"
    # The 12 months' sum stands for the taxable incomes of the three previous years.
    assert adult["salaire_imposable"] == {"2024": 14400, "2023": 14400, "2022": 14400}
    # No taxable income given: the rfr is estimated from the 12 months of resources.
    assert situation["foyers_fiscaux"]["foyer_fiscal"]["rfr"] == {"2024": 14400, "2023": 14400, "2022": 14400}
    assert situation["individus"]["b"]["scolarite"] == {PERIOD: "primaire"}
    # Past benefits are set to 0 to prune the computation.
    assert situation["familles"]["famille"]["rsa"]["2024-12"] == 0
    assert PERIOD not in situation["familles"]["famille"]["rsa"]
    for variable in ("aah", "caah", "asi", "ass", "rente_accident_travail"):
        assert adult[variable] == dict.fromkeys(mapping.history_months(PERIOD, 13), 0)


def test_the_computation_reaches_back_no_further_than_the_third_previous_year(tbs, households):
    # Taxable incomes and rfr given for three years and past benefits set to 0 cut the chain of past computations
    # (without them OpenFisca computes the taxes and contribution rates of every year back to 2018).
    for household in households:
        trace = web_api_trace(mapping.calculate_payload(household, get_benefits(), PERIOD))["trace"]
        periods = [key.partition("<")[2] for key in trace]
        assert min(int(period[:4]) for period in periods if period[:1].isdigit()) == 2022, household.id


def test_given_current_month_is_used():
    member = MemberInput("a", "self", "1985-03-01", "employed", {"2024-12": {"salary": 1000}, PERIOD: {"salary": 50}})
    household = HouseholdInput(members=[member], housing="hosted", commune_insee="69123")
    assert mapping.situation_dict(household, PERIOD)["individus"]["a"]["salaire_net"][PERIOD] == 50


def test_taxable_income_given_is_the_rfr(households):
    situation = mapping.situation_dict(households[2], PERIOD)
    assert situation["foyers_fiscaux"]["foyer_fiscal"]["rfr"] == dict.fromkeys(("2024", "2023", "2022"), 9000.0)
    assert situation["foyers_fiscaux"]["foyer_fiscal_z"]["rfr"] == dict.fromkeys(("2024", "2023", "2022"), 3600.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"housing": "castle"}, "housing"),
        ({"commune_insee": "691"}, "commune_insee"),
        ({"members": []}, "exactly one 'self'"),
    ],
)
def test_invalid_household(change, message):
    arguments = {
        "members": [MemberInput("a", "self", "1985-03-01", "employed")],
        "housing": "tenant",
        "commune_insee": "69123",
        **change,
    }
    with pytest.raises(InvalidHousehold, match=message):
        HouseholdInput(**arguments)


def test_invalid_member():
    with pytest.raises(InvalidHousehold, match="relationship"):
        MemberInput("a", "cousin", "1985-03-01", "employed")
    with pytest.raises(InvalidHousehold, match="kind"):
        MemberInput("a", "self", "1985-03-01", "employed", {PERIOD: {"lottery": 10}})
    with pytest.raises(InvalidHousehold, match="YYYY-MM"):
        MemberInput("a", "self", "1985-03-01", "employed", {"2025-1": {"salary": 10}})


def test_round_trip(households):
    for household in households:
        assert HouseholdInput.from_dict(household.to_dict()).to_dict() == household.to_dict()
