"""The mapping of a household to OpenFisca-France's inputs, rule by rule (docs/rights-mapping.md)."""

import copy

import numpy
import pytest
from openfisca_core.simulation_builder import SimulationBuilder

from guichet.rights.engine import mapping
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import web_api_trace
from guichet.rights.engine.situation import HouseholdInput, InvalidHousehold, MemberInput
from tests.rights.engine.conftest import PERIOD, monthly

WINDOW = mapping.window_months(PERIOD)


def alone(member: MemberInput, **household) -> HouseholdInput:
    return HouseholdInput(
        members=[member], **{"housing": "tenant", "monthly_rent": 500, "commune_insee": "69123", **household}
    )


def openfisca(situation: dict, variable: str, period: str, drop: tuple[str, ...] = ()) -> numpy.ndarray:
    """Plain OpenFisca on the situation, with some inputs left for OpenFisca to compute."""
    from guichet.rights.engine.system import get_tax_benefit_system

    situation = copy.deepcopy(situation)
    for instances in situation.values():
        for variables in instances.values():
            for name in drop:
                variables.pop(name, None)
    simulation = SimulationBuilder().build_from_entities(get_tax_benefit_system(), situation)
    return numpy.asarray(simulation.calculate(variable, period), dtype=float)


def test_months():
    assert mapping.month_shift("2025-01", -1) == "2024-12"
    assert mapping.month_shift("2024-12", 1) == "2025-01"
    assert mapping.history_months("2025-03", 3) == ["2024-12", "2025-01", "2025-02"]
    assert len(mapping.situation_months(PERIOD)) == 13
    assert WINDOW[0] == "2022-01" and WINDOW[-1] == PERIOD and len(WINDOW) == 37


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
    assert menage["statut_occupation_logement"] == dict.fromkeys(WINDOW, "proprietaire")
    assert menage["loyer"] == dict.fromkeys(WINDOW, 0.0)  # owners pay no rent
    assert menage["depcom"] == dict.fromkeys(WINDOW, "69259")


def test_housing_is_given_on_every_month_so_the_energy_cheque_sees_january():
    household = alone(
        MemberInput("a", "self", "1985-03-01", "unemployed"), housing="furnished_tenant", shared_tenancy=True
    )
    menage = mapping.situation_dict(household, PERIOD)["menages"]["menage"]
    assert menage["statut_occupation_logement"]["2025-01"] == "locataire_meuble"
    assert menage["coloc"] == dict.fromkeys(WINDOW, True)
    assert menage["loyer"]["2022-01"] == 500.0


def test_declared_nets_are_set_and_their_gross_is_solved_with_openfisca(households):
    situation = mapping.situation_dict(households[0], PERIOD)
    adult = situation["individus"]["a"]
    assert adult["salaire_net"] == dict.fromkeys(WINDOW, 1200.0)
    # OpenFisca's own net of the solved gross is the declared net, and its taxable salary is the one given.
    net = openfisca(situation, "salaire_net", "2024-06", drop=("salaire_net", "salaire_imposable"))
    taxable = openfisca(situation, "salaire_imposable", "2024-06", drop=("salaire_net", "salaire_imposable"))
    assert net[0] == pytest.approx(1200, abs=0.001)
    assert taxable[0] == pytest.approx(adult["salaire_imposable"]["2024-06"], abs=0.001)
    assert adult["salaire_de_base"]["2024-06"] > 1500  # an employee's contributions are about a fifth


def test_a_pension_is_given_gross_as_the_minimum_old_age_pension_reads_it():
    pensioner = alone(MemberInput("a", "self", "1952-05-10", "retired", monthly(900, "pension")))
    adult = mapping.situation_dict(pensioner, PERIOD)["individus"]["a"]
    # A pensioner with a low revenu fiscal de référence pays no CSG: gross, net and taxable are equal.
    assert adult["retraite_brute"]["2024-12"] == pytest.approx(900, abs=0.001)
    assert adult["retraite_nette"]["2024-12"] == 900.0
    comfortable = alone(
        MemberInput("a", "self", "1952-05-10", "retired", monthly(2500, "pension")), last_year_taxable_income=30000
    )
    situation = mapping.situation_dict(comfortable, PERIOD)
    adult = situation["individus"]["a"]
    assert adult["retraite_brute"]["2024-12"] > 2700
    net = openfisca(situation, "retraite_nette", "2024-12", drop=("retraite_nette", "retraite_imposable"))
    assert net[0] == pytest.approx(2500, abs=0.001)


def test_months_before_the_twelve_declared_are_their_mean_and_the_month_asked_is_the_last_one():
    resources = {month: {"salary": 1000 + 100 * index} for index, month in enumerate(mapping.history_months(PERIOD))}
    situation = mapping.situation_dict(alone(MemberInput("a", "self", "1985-03-01", "employed", resources)), PERIOD)
    net = situation["individus"]["a"]["salaire_net"]
    assert net["2023-06"] == pytest.approx(1550.0)  # the mean of 1,000 .. 2,100
    assert net["2024-01"] == 1000.0
    assert net["2024-12"] == 2100.0
    assert net[PERIOD] == 2100.0  # not declared: the month before
    resources[PERIOD] = {"salary": 50}
    situation = mapping.situation_dict(alone(MemberInput("a", "self", "1985-03-01", "employed", resources)), PERIOD)
    assert situation["individus"]["a"]["salaire_net"][PERIOD] == 50.0
    resources[PERIOD] = {}  # declared, without any income: a job lost this month
    situation = mapping.situation_dict(alone(MemberInput("a", "self", "1985-03-01", "employed", resources)), PERIOD)
    assert situation["individus"]["a"]["salaire_net"][PERIOD] == 0.0


def test_the_revenus_fiscaux_given_stand_for_every_year():
    member = MemberInput("a", "self", "1985-03-01", "employed", monthly(1200))
    both = mapping.situation_dict(
        alone(member, last_year_taxable_income=15000, taxable_income_two_years_ago=12000), PERIOD
    )
    assert both["foyers_fiscaux"]["foyer_fiscal"]["rfr"] == {
        "2024": 15000.0,
        "2023": 12000.0,
        "2022": 12000.0,
        "2021": 12000.0,
        "2020": 12000.0,
    }
    one = mapping.situation_dict(alone(member, taxable_income_two_years_ago=9000), PERIOD)
    assert set(one["foyers_fiscaux"]["foyer_fiscal"]["rfr"].values()) == {9000.0}


def test_without_a_revenu_fiscal_openfisca_computes_it_from_last_year_incomes(households):
    situation = mapping.situation_dict(households[0], PERIOD)
    rfr = situation["foyers_fiscaux"]["foyer_fiscal"]["rfr"]
    assert len(set(rfr.values())) == 1
    # OpenFisca's own rfr of 2024 from the incomes given (the 10 % deduction: 14,400 € of net salary are about
    # 14,900 € taxable, so about 13,400 €).
    without = copy.deepcopy(situation)
    del without["foyers_fiscaux"]["foyer_fiscal"]["rfr"]["2024"]
    assert openfisca(without, "rfr", "2024")[0] == pytest.approx(rfr["2024"], abs=0.01)
    assert 12_000 < rfr["2024"] < 15_000
    # The lodger's foyer gets its own estimate.
    lodger = mapping.situation_dict(households[2], PERIOD)["foyers_fiscaux"]
    assert lodger["foyer_fiscal"]["rfr"]["2024"] == 9000.0
    assert lodger["foyer_fiscal_z"]["rfr"]["2024"] >= 0


def test_past_benefits_are_those_of_the_month_once_everything_is_claimed(households):
    single_parent = households[0]
    situation = mapping.situation_dict(single_parent, PERIOD)
    famille = situation["familles"]["famille"]
    months = mapping.history_months(PERIOD, mapping.PAST_BENEFIT_MONTHS)
    payload = mapping.calculate_payload(single_parent, get_benefits(), PERIOD)
    for aid in ("aide_logement", "ppa", "asf"):
        assert set(famille[aid]) == set(months)
        amount = openfisca(payload, aid, PERIOD)[0]
        assert famille[aid]["2024-12"] == pytest.approx(amount, abs=0.005), aid
    assert famille["aide_logement"]["2024-12"] > 0
    assert PERIOD not in famille["rsa"]


def test_aids_declared_as_received_are_set_on_the_past_months(households):
    declared = HouseholdInput(
        **{**households[0].__dict__, "already_received": {"aide_logement": 123.0, "af": 0}},
    )
    famille = mapping.situation_dict(declared, PERIOD)["familles"]["famille"]
    assert famille["aide_logement"]["2024-06"] == 123.0
    assert famille["af"]["2024-06"] == 0.0


def test_the_aah_declared_goes_to_the_disabled_adult():
    household = HouseholdInput(
        members=[
            MemberInput("a", "self", "1980-03-01", "employed", monthly(1500)),
            MemberInput("b", "partner", "1982-03-01", "disabled", disability_rate=80),
        ],
        housing="social_tenant",
        monthly_rent=400,
        commune_insee="69123",
        already_received={"aah": 700},
    )
    individus = mapping.situation_dict(household, PERIOD)["individus"]
    assert individus["b"]["aah"]["2024-12"] == 700.0
    assert individus["a"]["aah"]["2024-12"] == 0.0
    assert individus["b"]["taux_incapacite"][PERIOD] == pytest.approx(0.8)
    assert individus["b"]["handicap"][PERIOD] is True


def test_no_incapacity_rate_is_assumed():
    situation = mapping.situation_dict(alone(MemberInput("a", "self", "1980-03-01", "disabled")), PERIOD)
    person = situation["individus"]["a"]
    assert person["taux_incapacite"][PERIOD] == 0.0
    assert person["handicap"][PERIOD] is True


def test_schooling_is_the_level_given_over_the_school_year():
    household = HouseholdInput(
        members=[
            MemberInput("a", "self", "1980-03-01", "employed", monthly(1500)),
            MemberInput("b", "child", "2006-05-01", "student", school_level="lycee"),
            MemberInput("c", "child", "2016-05-01", "child", school_level="none"),
            MemberInput("d", "child", "2013-05-01", "child"),
        ],
        housing="tenant",
        monthly_rent=600,
        commune_insee="69123",
    )
    individus = mapping.situation_dict(household, PERIOD)["individus"]
    school_year = ["2024-09", "2024-10", "2024-11", "2024-12", "2025-01"]
    assert individus["b"]["scolarite"] == dict.fromkeys(school_year, "lycee")  # 18 and still at the lycée
    assert individus["c"]["scolarite"] == dict.fromkeys(school_year, "inconnue")
    assert individus["d"]["scolarite"][PERIOD] == "college"  # not asked (saved before): by age
    assert mapping.inputs.school_year_months("2025-09") == ["2025-09"]


def test_other_resources_go_to_their_own_variables():
    member = MemberInput(
        "a",
        "self",
        "1980-03-01",
        "self_employed",
        {
            month: {"self_employed": 2000, "child_support": 150, "child_support_paid": 90, "disability_pension": 300}
            for month in mapping.history_months(PERIOD)
        },
        self_employed_activity="sales",
    )
    situation = mapping.situation_dict(alone(member), PERIOD)
    person = situation["individus"]["a"]
    assert person["rpns_auto_entrepreneur_CA_achat_revente"][PERIOD] == 2000.0
    # The tax return of each whole year among the 36 months declares the turnover and the alimony paid.
    assert person["ebic_impv"] == {"2022": 24000.0, "2023": 24000.0, "2024": 24000.0}
    assert person["ebic_imps"]["2024"] == 0.0
    assert situation["foyers_fiscaux"]["foyer_fiscal"]["f6gu"] == {"2022": 1080.0, "2023": 1080.0, "2024": 1080.0}
    assert person["rpns_auto_entrepreneur_CA_bic"][PERIOD] == 0.0
    assert person["pensions_alimentaires_percues"]["2024-03"] == 150.0
    assert person["pensions_alimentaires_versees_individu"]["2024-03"] == 90.0
    assert person["pensions_invalidite"]["2024-03"] == 300.0


def test_the_unemployed_without_a_start_date_are_so_since_before_the_months_declared():
    person = mapping.situation_dict(alone(MemberInput("a", "self", "1980-03-01", "unemployed")), PERIOD)["individus"]
    assert person["a"]["date_debut_chomage"] == {"ETERNITY": "2022-01-01"}
    since = alone(MemberInput("a", "self", "1980-03-01", "unemployed", unemployed_since="2024-12-15"))
    assert mapping.situation_dict(since, PERIOD)["individus"]["a"]["date_debut_chomage"] == {"ETERNITY": "2024-12-15"}


def test_the_computation_reaches_back_no_further_than_the_months_given(tbs, households):
    # Incomes, housing and rfr given over the 36 months before and past benefits set cut OpenFisca's chain of past
    # computations (without them it computes the taxes and benefits of every year back to 2018).
    for household in households:
        trace = web_api_trace(mapping.calculate_payload(household, get_benefits(), PERIOD))["trace"]
        periods = [key.partition("<")[2] for key in trace]
        assert min(int(period[:4]) for period in periods if period[:1].isdigit()) >= 2020, household.id


def test_old_households_load_and_their_other_income_is_alimony():
    old = {
        "id": None,
        "housing": "tenant",
        "commune_insee": "69123",
        "monthly_rent": 400.0,
        "last_year_taxable_income": None,
        "members": [
            {
                "id": "0",
                "relationship": "self",
                "birth_date": "1985-03-01",
                "situation": "employed",
                "resources": {"2024-12": {"salary": 1000.0, "other": 20.0}},
            }
        ],
    }
    household = HouseholdInput.from_dict(old)
    assert household.members[0].resources == {"2024-12": {"salary": 1000.0, "child_support": 20.0}}
    assert household.already_received == {} and household.members[0].school_level is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"housing": "castle"}, "housing"),
        ({"commune_insee": "691"}, "commune_insee"),
        ({"members": []}, "exactly one 'self'"),
        ({"already_received": {"af": -3}}, "cannot be negative"),
        ({"monthly_rent": "a lot"}, "monthly_rent"),
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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"relationship": "cousin"}, "relationship"),
        ({"resources": {PERIOD: {"lottery": 10}}}, "kind"),
        ({"resources": {"2025-1": {"salary": 10}}}, "YYYY-MM"),
        ({"resources": {PERIOD: {"salary": "ten"}}}, "numbers"),
        ({"disability_rate": 120}, "percentage"),
        ({"school_level": "cp"}, "school_level"),
        ({"self_employed_activity": "farming"}, "self_employed_activity"),
        ({"unemployed_since": "yesterday"}, "date"),
        ({"birth_date": "1985-02-30"}, "date"),
    ],
)
def test_invalid_member(change, message):
    with pytest.raises(InvalidHousehold, match=message):
        MemberInput(
            **{"id": "a", "relationship": "self", "birth_date": "1985-03-01", "situation": "employed", **change}
        )


def test_round_trip(households):
    for household in households:
        assert HouseholdInput.from_dict(household.to_dict()).to_dict() == household.to_dict()


def test_two_states_that_answer_each_other_keep_the_smaller():
    # Found in a synthetic territory: with a few euros of RSA last month, the housing aid's resources are neutralised
    # and its larger amount leaves no RSA; without RSA, the housing aid is smaller and leaves 6.80 € of RSA. No
    # fixed point: the state whose aids add up to less is kept (rule 4).
    household = alone(
        MemberInput("a", "self", "1985-10-22", "unemployed", monthly(624.91, "unemployment")),
        housing="social_tenant",
        monthly_rent=853,
        commune_insee="69029",
        last_year_taxable_income=21371.76,
    )
    situation = mapping.situation_dict(household, PERIOD)
    famille = situation["familles"]["famille"]
    assert famille["rsa"]["2024-12"] == 0.0 and famille["aide_logement"]["2024-12"] == 14.0
    assert openfisca(situation, "rsa", PERIOD)[0] == pytest.approx(6.8, abs=0.005)
    assert openfisca(situation, "aide_logement", PERIOD)[0] == 4.0
