"""Why a national aid is not due, and how the amount of a due one adds up (guichet.rights.engine.reasons).

The households are written by hand the way an expert writes them in OpenFisca-France (see EXPERT-SITUATIONS.md):
gross incomes month by month over 27 months, the rfr of each tax year, the benefits received on past months, the
housing status on every month. They are all simulated together in ONE simulation (one famille each, at its own
index), which also checks that the functions read the famille they are given. Thresholds expected below are the
published ones for March 2025 or are read from the parameters, never from the variables under test.
"""

import copy

import numpy
import pytest
from openfisca_core.simulation_builder import SimulationBuilder

from guichet.rights.engine import local, reasons
from guichet.rights.engine.benefits import BENEFITS, BENEFITS_BY_ID
from guichet.rights.engine.system import get_tax_benefit_system

MONTH = "2025-03"
FIRST_MONTH = "2023-01"
TAX_YEARS = ("2021", "2022", "2023", "2024")
# Gross monthly salary of a full-time SMIC earner in 2025 (151.67 h at 11.88 €).
SMIC = round(151.67 * 11.88, 2)


def month_range(first: str, last: str) -> list[str]:
    """The months from ``first`` to ``last`` included, as ``YYYY-MM``."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


MONTHS = month_range(FIRST_MONTH, MONTH)
PAST_BENEFIT_MONTHS = month_range("2024-03", "2025-02")


def every_month(value: object, months: list[str] = MONTHS) -> dict:
    return dict.fromkeys(months, value)


def adult(
    birth: str,
    *,
    salary: float = 0.0,
    pension: float = 0.0,
    alimony: float = 0.0,
    invalidity: float = 0.0,
    activite: str | None = None,
    rate: float = 0.0,
    rsdae: bool = False,
    received: dict | None = None,
    salary_until: str | None = None,
    **inputs: object,
) -> dict:
    """An adult with gross monthly incomes on every month (a salary stopping after ``salary_until``).

    ``received``: the benefits received on each of the past 12 months; the others are set to 0 there, as an expert
    does, so that the RSA, the PPA and the CSS read what the household really got.
    """
    salaries = {month: (salary if salary_until is None or month <= salary_until else 0.0) for month in MONTHS}
    if activite is None:
        activite = "actif" if salaries[MONTH] else ("retraite" if pension else "inactif")
    person = {
        "date_naissance": {"ETERNITY": birth},
        "activite": every_month(activite),
        "salaire_de_base": salaries,
        "retraite_brute": every_month(pension),
        "pensions_alimentaires_percues": every_month(alimony),
        "pensions_invalidite": every_month(invalidity),
        "handicap": every_month(rate > 0),
        "taux_incapacite": every_month(rate),
        "aah_restriction_substantielle_durable_acces_emploi": every_month(rsdae),
    }
    past = {"aah": 0.0, "asi": 0.0, "ass": 0.0, "caah": 0.0, **(received or {})}
    for variable, amount in past.items():
        person[variable] = every_month(amount, PAST_BENEFIT_MONTHS)
    person.update(inputs)
    return person


def child(birth: str, school: str | None = None, **inputs: object) -> dict:
    """A child; ``school`` is the ``scolarite`` of every month (collège, lycée...), never guessed from the age."""
    person = {"date_naissance": {"ETERNITY": birth}, "activite": every_month("etudiant" if school else "inactif")}
    if school:
        person["scolarite"] = every_month(school)
    person.update(inputs)
    return person


def household(
    adults: list[dict],
    children: list[dict] = (),
    *,
    status: str = "locataire_vide",
    rent: float = 0.0,
    rfr: float = 0.0,
    commune: str = "69123",
    famille: dict | None = None,
    menage: dict | None = None,
    attached_to: str | None = None,
    rsa_received: float = 0.0,
) -> dict:
    """One household: one famille, one foyer fiscal (married parents file jointly), one ménage.

    ``attached_to``: the name of another household whose foyer fiscal declares this one's adults as dependants (a
    student living on their own but declared by their parents). ``rsa_received``: the RSA paid on each of the past
    12 months; the housing aid reads last month's (its resources are neutralised for an RSA recipient), and without
    it OpenFisca would compute the RSA and the housing aid back in time, month after month, until its loop guard.
    """
    famille = {"rsa": every_month(rsa_received, PAST_BENEFIT_MONTHS), **(famille or {})}
    return {
        "adults": list(adults),
        "children": list(children),
        "status": status,
        "rent": rent,
        "rfr": rfr,
        "commune": commune,
        "famille": famille,
        "menage": menage or {},
        "attached_to": attached_to,
    }


def situation(households: dict[str, dict]) -> tuple[dict, dict[str, int]]:
    """One OpenFisca situation holding every household, and the famille index of each household by name."""
    result: dict[str, dict] = {"individus": {}, "familles": {}, "foyers_fiscaux": {}, "menages": {}}
    index = {}
    for number, (name, item) in enumerate(households.items()):
        index[name] = number
        adults = [f"{name}_adult{rank}" for rank in range(len(item["adults"]))]
        children = [f"{name}_child{rank}" for rank in range(len(item["children"]))]
        for person_id, person in zip(adults + children, item["adults"] + item["children"], strict=True):
            person = copy.deepcopy(person)
            if len(adults) == 2 and person_id in adults:
                person["statut_marital"] = every_month("marie")
            result["individus"][person_id] = person
        result["familles"][f"{name}_famille"] = {"parents": adults, "enfants": children, **item["famille"]}
        if item["attached_to"] is None:
            result["foyers_fiscaux"][f"{name}_foyer"] = {
                "declarants": list(adults),
                "personnes_a_charge": list(children),
                "rfr": dict.fromkeys(TAX_YEARS, item["rfr"]),
            }
        else:
            result["foyers_fiscaux"][f"{item['attached_to']}_foyer"]["personnes_a_charge"].extend(adults + children)
        result["menages"][f"{name}_menage"] = {
            "personne_de_reference": adults[:1],
            "conjoint": adults[1:],
            "enfants": children,
            "statut_occupation_logement": every_month(item["status"]),
            "loyer": every_month(item["rent"]),
            "depcom": every_month(item["commune"]),
            **item["menage"],
        }
    return result, index


def simulate(households: dict[str, dict]):
    """One simulation of all the households, and the famille index of each."""
    built, index = situation(households)
    return SimulationBuilder().build_from_entities(get_tax_benefit_system(), built), index


FOREIGN = {"nationalite": every_month("MA"), "duree_possession_titre_sejour": every_month(2.0)}

HOUSEHOLDS = {
    # Ordinary households
    "jobless_tenant": household([adult("1990-05-10", activite="chomeur")], rent=450, rsa_received=559.42),
    "earner_tenant": household([adult("1985-01-01", salary=2000)], rent=600, rfr=16800),
    "retired_owner": household([adult("1950-01-10", pension=700)], status="proprietaire", rfr=7600),
    "single_parent": household(
        [adult("1985-03-01", salary=1400)], [child("2015-05-01", "primaire")], rent=600, rfr=11800
    ),
    "family_of_three": household(
        [adult("1980-03-01", salary=2000), adult("1982-03-01")],
        [child("2010-05-01", "lycee"), child("2012-05-01", "college"), child("2023-05-01")],
        status="locataire_hlm",
        rent=550,
        rfr=16800,
    ),
    "well_off": household(
        [adult("1975-03-01", salary=6000), adult("1977-01-01", salary=4000)],
        [child("2012-01-01", "college"), child("2008-09-01", "lycee"), child("2024-06-01")],
        status="proprietaire",
        rfr=110000,
    ),
    # One condition each
    "young": household([adult("2004-05-10")], rent=400),
    "student": household([adult("1995-01-01", activite="etudiant")], rent=400),
    "foreigner": household([adult("1985-01-01", salary=1200, **FOREIGN)], rent=500, rfr=10000),
    "alimony": household([adult("1980-01-01", alimony=555)], rent=450, rfr=6660),
    "minor_worker": household([adult("2008-01-01", salary=900)], rent=300),
    "student_job": household([adult("2003-01-01", salary=500, activite="etudiant")], rent=350, rfr=4200),
    "well_paid": household([adult("1985-01-01", salary=3000)], rent=700, rfr=25000),
    "ppa_small": household([adult("1985-01-01", salary=2580)], rent=600, rfr=21700),
    "hosted": household([adult("1990-01-01")], status="loge_gratuitement"),
    "recent_buyer": household(
        [adult("1985-01-01", salary=2500)],
        status="primo_accedant",
        rent=800,
        rfr=21000,
        menage={"aide_logement_date_pret": {"ETERNITY": "2022-06-01"}},
    ),
    "no_rent": household([adult("1985-01-01", salary=1400)], rent=0, rfr=11800),
    "family_landlord": household(
        [adult("1990-01-01")], rent=450, famille={"proprietaire_proche_famille": every_month(True)}
    ),
    "high_rent": household([adult("1990-01-01")], rent=2500),
    "housing_minimum": household([adult("1985-01-01", salary=1680)], rent=600, rfr=14100),
    "housing_small": household([adult("1985-01-01", salary=1685)], status="locataire_hlm", rent=350, rfr=14150),
    "three_children": household(
        [adult("1980-01-01", salary=1800), adult("1981-01-01")],
        [child("2012-01-01", "college"), child("2014-01-01", "primaire"), child("2016-01-01", "primaire")],
        rent=750,
        rfr=15000,
    ),
    "jobless_single_parent": household(
        [adult("1988-01-01", activite="chomeur")],
        [child("2014-01-01", "primaire"), child("2017-01-01", "primaire")],
        rent=650,
        rsa_received=700.0,
    ),
    "couple_one_child": household(
        [adult("1980-01-01", salary=2200), adult("1982-01-01")], [child("2016-01-01", "primaire")], rent=800
    ),
    "two_children": household(
        [adult("1980-01-01", salary=1800)],
        [child("2014-01-01", "primaire"), child("2017-01-01", "primaire")],
        rent=700,
        rfr=15000,
    ),
    "three_children_rich": household(
        [adult("1978-01-01", salary=7000), adult("1979-01-01")],
        [child("2012-01-01", "college"), child("2014-01-01", "primaire"), child("2016-01-01", "primaire")],
        status="proprietaire",
        rfr=75000,
    ),
    "three_children_and_baby": household(
        [adult("1985-01-01", salary=1500), adult("1986-01-01")],
        [
            child("2014-01-01", "primaire"),
            child("2016-01-01", "primaire"),
            child("2018-01-01", "maternelle"),
            child("2024-06-01"),
        ],
        status="locataire_hlm",
        rent=600,
        rfr=12600,
    ),
    "single_parent_with_support": household(
        [adult("1985-01-01", salary=1800, alimony=300)], [child("2016-01-01", "primaire")], rent=650, rfr=18000
    ),
    "toddler_only": household([adult("1990-01-01", salary=1800)], [child("2023-01-01")], rent=650, rfr=15000),
    "ars_just_above": household(
        [adult("1985-01-01", salary=3258)], [child("2016-05-01", "primaire")], rent=700, rfr=27400
    ),
    "five_year_old": household([adult("1990-01-01", salary=1800)], [child("2020-01-01", "maternelle")], rent=650),
    "disabled_30": household([adult("1980-01-01", rate=0.3)], rent=500),
    "disabled_60": household([adult("1980-01-01", rate=0.6)], rent=500),
    "disabled_60_retired_age": household(
        [adult("1958-06-01", rate=0.6, rsdae=True, pension=1500)], status="proprietaire", rfr=15000
    ),
    "disabled_child": household(
        [adult("1975-01-01", salary=2500), adult("1976-01-01")],
        [child("2006-06-01", taux_incapacite=every_month(0.8), handicap=every_month(True))],
        rent=700,
        rfr=21000,
    ),
    "invalidity_pension": household([adult("1975-01-01", rate=0.8, invalidity=1100)], rent=500, rfr=13000),
    "disabled_earner": household([adult("1975-01-01", rate=0.8, salary=3000)], rent=700, rfr=25000),
    "disabled_55": household([adult("1970-01-01", rate=0.8, received={"aah": 1016.05})], rent=500),
    "old_foreigner": household(
        [
            adult(
                "1954-01-01",
                nationalite=every_month("MA"),
                duree_possession_titre_sejour=every_month(3.0),
            )
        ],
        rent=450,
    ),
    "retired_comfortable": household([adult("1955-01-01", pension=1500)], status="proprietaire", rfr=16000),
    "at_parents": household([adult("2005-01-01", habite_chez_parents=every_month(True))], rent=300),
    "job_lost": household(
        [adult("1988-01-01", salary=2000, salary_until="2024-11", activite="chomeur")],
        rent=500,
        rfr=16800,
        rsa_received=559.42,
    ),
    "parents_of_student": household([adult("1970-01-01", salary=3000)], status="proprietaire", rfr=25000),
    "attached_student": household(
        [adult("2004-01-01", activite="etudiant")], rent=400, attached_to="parents_of_student"
    ),
}


@pytest.fixture(scope="module")
def simulated():
    return simulate(HOUSEHOLDS)


def reason_of(simulated, household_name: str, aid: str) -> reasons.Reason | None:
    simulation, index = simulated
    return reasons.reason(simulation, BENEFITS_BY_ID[aid], MONTH, index[household_name])


def parameters(period: str = MONTH):
    return get_tax_benefit_system().parameters(period)


# ---------------------------------------------------------------------------------------------------------------
# Each failing condition: its own code, the person's value and the threshold.

PS = "prestations_sociales"

REASON_CASES = [
    # RSA: age, student, residence permit, resources, minimum paid
    ("young", "rsa", "rsa.age", {"age": 20, "minimum_age": 25}),
    ("student", "rsa", "rsa.student", {"age": 30}),
    ("foreigner", "rsa", "rsa.residence", {"years": 2, "minimum_years": 5}),
    # A wage earner without housing aid: the RSA's montant forfaitaire for one person, no forfait logement.
    ("well_paid", "rsa", "rsa.resources", {"ceiling": 635.71}),
    # 555 € of alimony against 635.71 € minus the forfait logement of 76.29 € (12 %): 4.42 € < 6 €.
    ("alimony", "rsa", "rsa.minimum", {"amount": 4.42, "minimum": 6.0}),
    # Prime d'activité: age, residence permit, students' floor, activity, resources, minimum paid
    ("minor_worker", "ppa", "ppa.age", {"age": 17, "minimum_age": 18}),
    ("foreigner", "ppa", "ppa.residence", {"years": 2, "minimum_years": 5}),
    # Students earn more than 55 % of 169 hours at the gross SMIC (11.88 €): 1 104.25 €.
    ("student_job", "ppa", "ppa.student", {"minimum": 1104.25}),
    ("jobless_tenant", "ppa", "ppa.activity", {"income": 0.0}),
    ("well_paid", "ppa", "ppa.resources", {"forfait": 622.63}),
    ("ppa_small", "ppa", "ppa.minimum", {"minimum": 15.0}),
    # Housing aid: status, loan, rent, landlord, resources, rent too high, minimum paid, flat reduction
    ("retired_owner", "aide_logement", "aide_logement.status", {"status": "proprietaire"}),
    ("hosted", "aide_logement", "aide_logement.status", {"status": "loge_gratuitement"}),
    ("recent_buyer", "aide_logement", "aide_logement.loan", {"status": "primo_accedant"}),
    ("no_rent", "aide_logement", "aide_logement.rent", {"rent": 0.0}),
    ("family_landlord", "aide_logement", "aide_logement.family_landlord", {}),
    # Lyon is in zone 2: a single person's rent ceiling (287.35 €) plus the charges forfait (59.97 €).
    ("earner_tenant", "aide_logement", "aide_logement.resources", {"rent": 347.32}),
    # The aid disappears above 3.1 times the rent ceiling in zone 2.
    ("high_rent", "aide_logement", "aide_logement.rent_too_high", {"rent": 2500.0, "ceiling": 890.79}),
    ("housing_minimum", "aide_logement", "aide_logement.minimum", {"amount": 5.17, "minimum": 10.0}),
    ("housing_small", "aide_logement", "aide_logement.small", {"amount": 2.04, "deduction": 5.0}),
    # Family benefits
    ("single_parent", "af", "af.children", {"children": 1, "minimum": 2}),
    ("earner_tenant", "af", "af.children", {"children": 0, "minimum": 2}),
    ("two_children", "cf", "cf.children", {"children": 2, "minimum": 3, "minimum_age": 3}),
    ("three_children_rich", "cf", "cf.resources", {"year": 2023}),
    ("three_children_and_baby", "cf", "cf.paje", {}),
    ("couple_one_child", "asf", "asf.couple", {}),
    ("earner_tenant", "asf", "asf.child", {"children": 0, "maximum_age": 20}),
    ("single_parent_with_support", "asf", "asf.support", {"support": 300.0}),
    ("toddler_only", "ars", "ars.children", {"children": 0, "minimum_age": 6, "maximum_age": 18}),
    ("three_children_rich", "ars", "ars.resources", {"year": 2023}),
    ("ars_just_above", "ars", "ars.minimum", {"minimum": 15.0}),
    ("five_year_old", "paje_base", "paje_base.child", {"children": 0, "maximum_age": 3}),
    ("well_off", "paje_base", "paje_base.resources", {"year": 2023}),
    # AAH: incapacity rate, RSDAE, retirement age, age, invalidity pension, resources
    ("disabled_30", "aah", "aah.rate", {"rate": 30, "minimum": 80, "reduced_minimum": 50}),
    ("jobless_tenant", "aah", "aah.rate", {"rate": 0, "minimum": 80}),
    ("disabled_60", "aah", "aah.rsdae", {"rate": 60, "minimum": 80}),
    ("disabled_60_retired_age", "aah", "aah.retirement_age", {"age": 66, "maximum_age": 64, "rate": 60}),
    ("disabled_child", "aah", "aah.age", {"age": 18, "minimum_age": 20}),
    ("invalidity_pension", "aah", "aah.pension", {"pension": 1100.0, "maximum": 1016.05}),
    ("disabled_earner", "aah", "aah.resources", {"ceiling": 1016.05}),
    # ASPA: age (65, or the legal retirement age when disabled), residence permit, resources
    ("jobless_tenant", "aspa", "aspa.age", {"age": 34, "minimum_age": 65}),
    ("disabled_55", "aspa", "aspa.age_disabled", {"age": 55, "minimum_age": 64}),
    ("old_foreigner", "aspa", "aspa.residence", {"years": 3, "minimum_years": 10}),
    # The ASPA reads the GROSS pension: 1 500 € against 12 411.44 € / 12.
    ("retired_comfortable", "aspa", "aspa.resources", {"resources": 1500.0, "ceiling": 1034.29}),
    # Complémentaire santé solidaire: independence, free or with participation, ceilings
    ("at_parents", "css", "css.dependent", {"age": 20, "minimum_age": 25}),
    ("foreigner", "css", "css.participation", {"ceiling": 10166.0, "participation_ceiling": 13724.1}),
    ("well_paid", "css", "css.resources", {"ceiling": 10166.0, "participation_ceiling": 13724.1}),
    ("at_parents", "css_participation", "css_participation.dependent", {"age": 20, "minimum_age": 25}),
    ("jobless_tenant", "css_participation", "css_participation.free", {"ceiling": 10166.0}),
    ("job_lost", "css_participation", "css_participation.rsa", {"ceiling": 10166.0}),
    ("well_paid", "css_participation", "css_participation.resources", {"ceiling": 13724.1}),
    # Chèque énergie: dwelling in January, a tax declarant, rfr per consumption unit
    ("hosted", "cheque_energie", "cheque_energie.dwelling", {"status": "loge_gratuitement", "month": "2025-01"}),
    ("attached_student", "cheque_energie", "cheque_energie.declarant", {}),
    ("well_paid", "cheque_energie", "cheque_energie.resources", {"rfr": 25000.0, "units": 1.0, "ceiling": 10800.0}),
    # Bourses: a child at collège / lycée, the rfr ceiling of year N-2
    ("single_parent", "bourse_college", "bourse_college.pupil", {"pupils": 0}),
    ("three_children_rich", "bourse_college", "bourse_college.resources", {"rfr": 75000.0, "year": 2023}),
    ("single_parent", "bourse_lycee", "bourse_lycee.pupil", {"pupils": 0}),
    ("well_off", "bourse_lycee", "bourse_lycee.resources", {"rfr": 110000.0, "year": 2023}),
]


@pytest.mark.parametrize(
    ("household_name", "aid", "code", "figures"),
    REASON_CASES,
    ids=[f"{case[0]}-{case[2]}" for case in REASON_CASES],
)
def test_each_failing_condition_gives_its_own_code_and_figures(simulated, household_name, aid, code, figures):
    found = reason_of(simulated, household_name, aid)
    assert found is not None, f"{aid} is due to {household_name}"
    assert found.code == code, found
    for key, value in figures.items():
        assert found.figures[key] == (pytest.approx(value, abs=0.005) if isinstance(value, float) else value), (
            key,
            found,
        )


def test_every_condition_of_every_aid_is_tested():
    tested = {code for _household, _aid, code, _figures in REASON_CASES}
    # A condition no ordinary situation of 2025 reaches: an old loan's coefficient falling to 0.
    untested = {"aide_logement.resources_accession"}
    assert set(reasons.CODES) == {benefit.id for benefit in BENEFITS}
    assert {code for codes in reasons.CODES.values() for code in codes} - untested == tested


def test_resources_figures_compare_the_household_with_its_ceiling(simulated):
    for household_name, aid in (
        ("well_paid", "rsa"),
        ("three_children_rich", "cf"),
        ("three_children_rich", "ars"),
        ("well_off", "paje_base"),
        ("disabled_earner", "aah"),
        ("retired_comfortable", "aspa"),
        ("well_paid", "css"),
        ("well_paid", "css_participation"),
    ):
        figures = reason_of(simulated, household_name, aid).figures
        assert figures["resources"] > figures["ceiling"], (household_name, aid, figures)
    ppa = reason_of(simulated, "student_job", "ppa").figures
    assert 0 < ppa["income"] < ppa["minimum"]
    housing = reason_of(simulated, "earner_tenant", "aide_logement").figures
    assert housing["participation"] >= housing["rent"]
    energy = reason_of(simulated, "well_paid", "cheque_energie").figures
    assert energy["rfr_per_unit"] > energy["ceiling"]
    college = reason_of(simulated, "three_children_rich", "bourse_college").figures
    assert college["rfr"] > college["ceiling"]


def test_the_ceilings_are_those_of_the_parameters(simulated):
    pf = parameters().prestations_sociales.prestations_familiales
    # CF: the ceiling for three children, one income (no majoration for a dual-income couple).
    cf = pf.prestations_generales.cf.cf_plaf
    expected_cf = cf.plafond_ressources_0_enfant * (
        1 + 2 * cf.majoration.deux_premiers_enf + cf.majoration.troisieme_enf_et_plus
    )
    assert reason_of(simulated, "three_children_rich", "cf").figures["ceiling"] == pytest.approx(expected_cf, abs=0.01)
    # ARS: the ceiling raised by 30 % per child, with the parameters of October.
    ars = parameters("2025-10").prestations_sociales.prestations_familiales.education_presence_parentale.ars.ars_plaf
    expected_ars = ars.plafond_ressources * (1 + 3 * ars.majoration_par_enf_supp)
    assert reason_of(simulated, "three_children_rich", "ars").figures["ceiling"] == pytest.approx(
        expected_ars, abs=0.01
    )
    # ASF: 42.5 % of the BMAF per child.
    asf = pf.bmaf.bmaf * pf.education_presence_parentale.asf.montant_asf.orphelin_assimile_seul_parent
    assert reason_of(simulated, "single_parent_with_support", "asf").figures["amount"] == pytest.approx(asf, abs=0.01)
    # Bourse de collège: the level-1 ceiling for three children, in hourly SMICs of July 2023.
    college = parameters().prestations_sociales.education.bourses.bourses_education.bourse_college.apres_2016
    smic = parameters("2023-07").marche_travail.salaire_minimum.smic.smic_b_horaire
    expected_college = round(college.echelon_1.plafond_3e * smic)
    assert reason_of(simulated, "three_children_rich", "bourse_college").figures["ceiling"] == expected_college


def test_a_due_aid_has_no_reason_and_an_aid_not_due_has_no_lines(simulated):
    simulation, index = simulated
    assert reason_of(simulated, "jobless_tenant", "rsa") is None
    assert reasons.breakdown(simulation, BENEFITS_BY_ID["af"], MONTH, index["single_parent"]) == []


def test_ordinary_households_never_get_the_generic_reason(simulated):
    simulation, index = simulated
    for household_name, famille in index.items():
        for benefit in BENEFITS:
            found = reasons.reason(simulation, benefit, MONTH, famille)
            assert found is None or not found.code.endswith(".other"), (household_name, found)


# ---------------------------------------------------------------------------------------------------------------
# Breakdowns


def test_breakdown_lines_add_up_to_the_amount_to_the_cent_for_every_aid_due(simulated):
    simulation, index = simulated
    checked = set()
    for household_name, famille in index.items():
        for benefit in BENEFITS:
            value = reasons.aid_value(simulation, benefit, MONTH, famille)
            if value <= 0:
                continue
            lines = reasons.breakdown(simulation, benefit, MONTH, famille)
            assert lines, (household_name, benefit.id)
            total = round(sum(line.amount for line in lines), 2)
            # The free CSS is a cover, not money: its lines are worth 0 €.
            expected = 0.0 if benefit.kind == "boolean" else round(value, 2)
            assert total == pytest.approx(expected, abs=0.001), (household_name, benefit.id, lines)
            for line in lines:
                assert line.code in reasons.LINE_CODES[benefit.id] or line.code == f"{benefit.id}.rounding", line
                if line.code.endswith(".rounding"):
                    assert abs(line.amount) < 1, (household_name, line)
            checked.add(benefit.id)
    # Every aid of the catalogue is due to at least one of these households.
    assert checked == {benefit.id for benefit in BENEFITS}


def lines_of(simulated, household_name: str, aid: str) -> dict[str, float]:
    simulation, index = simulated
    return {
        line.code: line.amount
        for line in reasons.breakdown(simulation, BENEFITS_BY_ID[aid], MONTH, index[household_name])
    }


def test_aspa_is_its_ceiling_minus_the_gross_pension(simulated):
    assert lines_of(simulated, "retired_owner", "aspa") == {"aspa.maximum": 1034.29, "aspa.resources": -700.0}


def test_rsa_is_the_montant_forfaitaire_minus_resources_and_the_forfait_logement(simulated):
    assert lines_of(simulated, "jobless_tenant", "rsa") == {"rsa.forfait": 635.71, "rsa.forfait_logement": -76.29}
    # A parent with two children: the forfait for three people, the family benefits counted as resources.
    simulation, index = simulated
    lines = reasons.breakdown(simulation, BENEFITS_BY_ID["rsa"], MONTH, index["jobless_single_parent"])
    assert lines[0].code == "rsa.forfait" and lines[0].figures == {"people": 3}
    assert {line.code for line in lines} >= {"rsa.family_benefits", "rsa.forfait_logement"}


def test_prime_d_activite_adds_61_percent_of_earnings_and_the_bonus_to_the_forfait(simulated):
    simulation, index = simulated
    lines = reasons.breakdown(simulation, BENEFITS_BY_ID["ppa"], MONTH, index["earner_tenant"])
    by_code = {line.code: line for line in lines}
    assert by_code["ppa.forfait"].amount == 622.63
    share = by_code["ppa.activity_share"]
    assert share.figures["rate"] == 61
    assert share.amount == pytest.approx(0.61 * share.figures["activity_income"], abs=0.01)
    assert by_code["ppa.activity_income"].amount == pytest.approx(-share.figures["activity_income"], abs=0.01)
    assert by_code["ppa.bonus"].amount > 0


def test_housing_aid_is_rent_and_charges_minus_participation_rounded_down_to_the_euro(simulated):
    lines = lines_of(simulated, "jobless_tenant", "aide_logement")
    assert lines["aide_logement.rent"] == 287.35  # zone 2 ceiling for one person, below the rent of 450 €
    assert lines["aide_logement.charges"] == 59.97
    assert lines["aide_logement.participation"] < 0
    assert lines["aide_logement.reduction"] == -5.0
    assert -1 < lines["aide_logement.rounding"] < 0


def test_family_allowances_are_the_base_for_three_children_and_the_age_majoration(simulated):
    simulation, index = simulated
    lines = reasons.breakdown(simulation, BENEFITS_BY_ID["af"], MONTH, index["family_of_three"])
    by_code = {line.code: line for line in lines}
    bmaf = parameters().prestations_sociales.prestations_familiales.bmaf.bmaf
    taux = parameters().prestations_sociales.prestations_familiales.prestations_generales.af.af_cm.taux
    assert by_code["af.base"].amount == round(bmaf * (taux.enf2 + taux.enf3), 2)
    assert by_code["af.base"].figures == {"children": 3, "rate": 100}
    # Born in 2010, before March 2012: the majoration starts at 14.
    assert by_code["af.age"].figures == {"children": 1}


def test_yearly_and_ceiling_aids_get_a_short_list_of_lines(simulated):
    assert set(lines_of(simulated, "family_of_three", "ars")) <= {"ars.college", "ars.lycee", "ars.rounding"}
    assert set(lines_of(simulated, "single_parent", "css_participation")) == {"css_participation.age_band"}
    assert set(lines_of(simulated, "retired_owner", "cheque_energie")) == {"cheque_energie.amount"}
    assert set(lines_of(simulated, "family_of_three", "bourse_lycee")) == {"bourse_lycee.pupils"}


# ---------------------------------------------------------------------------------------------------------------
# Local aids

LOCAL_AID = {
    "id": "test_pass_jeunes",
    "label": "Pass jeunes",
    "description": "Un pass pour les jeunes.",
    "kind": "amount",
    "validity": {"start": "2025-01-01", "end": "2025-12-31"},
    "deliberation": {"number": "1", "date": "2024-12-01", "body": "Conseil"},
    "conditions": {"communes": ["69123", "69266"], "age_min": 15, "age_max": 25, "not_receives": ["aah"]},
    "bands": [{"label": "QF jusqu'à 700 €", "when": {"qf_max": 700}, "value": 150}],
}


def features(**values: list) -> dict[str, numpy.ndarray]:
    """One person's features as ``mapping.person_features`` gives them (one value per person)."""
    base = {
        "age": [20],
        "commune": ["69123"],
        "qf": [500.0],
        "student": [False],
        "disabled": [False],
        "receives:rsa": [False],
        "receives:aah": [False],
    }
    base.update(values)
    return {key: numpy.array(value) for key, value in base.items()}


def local_aid(**changes) -> local.LocalAid:
    data = copy.deepcopy(LOCAL_AID)
    data.update(changes)
    return local.parse_local_aid(data, "test.yaml")


def test_a_local_aid_that_applies_gives_no_reason_to_check_the_fixture():
    result = local.evaluate(local_aid(), features(), MONTH)
    assert result.eligible.tolist() == [True]


@pytest.mark.parametrize(
    ("aid_changes", "person", "month", "code", "figures"),
    [
        ({}, {}, "2026-02", "local.validity", {"month": "2026-02", "start": "2025-01-01", "end": "2025-12-31"}),
        ({}, {"commune": ["75056"]}, MONTH, "local.commune", {"commune": "75056"}),
        ({}, {"age": [12]}, MONTH, "local.age_min", {"age": 12, "age_min": 15, "age_max": 25}),
        ({}, {"age": [30]}, MONTH, "local.age_max", {"age": 30, "age_min": 15, "age_max": 25}),
        ({}, {"qf": [900.0]}, MONTH, "local.qf_bands", {"qf": 900.0, "ceiling": 700.0}),
        ({}, {"receives:aah": [True]}, MONTH, "local.not_receives", {"aids": "aah"}),
        (
            {"conditions": {"receives": ["rsa", "aah"]}},
            {},
            MONTH,
            "local.receives",
            {"aids": "rsa,aah"},
        ),
        ({"conditions": {"qf_min": 300}}, {"qf": [200.0]}, MONTH, "local.qf_min", {"qf": 200.0, "limit": 300.0}),
        ({"conditions": {"student": True}}, {}, MONTH, "local.student", {}),
        ({"conditions": {"student": False}}, {"student": [True]}, MONTH, "local.not_student", {}),
        ({"conditions": {"disabled": True}}, {}, MONTH, "local.disabled", {}),
        (
            {"bands": [{"label": "Étudiants", "when": {"student": True}, "value": 90}]},
            {},
            MONTH,
            "local.student",
            {},
        ),
    ],
    ids=[
        "validity",
        "commune",
        "too-young",
        "too-old",
        "qf-above-bands",
        "receives-an-excluded-national-aid",
        "does-not-receive-a-required-national-aid",
        "qf-below-minimum",
        "not-a-student",
        "a-student",
        "not-disabled",
        "band-condition",
    ],
)
def test_local_reason_names_the_unmet_condition_with_its_figures(aid_changes, person, month, code, figures):
    aid = local_aid(**aid_changes)
    values = features(**person)
    assert not local.evaluate(aid, values, month).eligible[0]
    found = reasons.local_reason(aid, values, 0, month)
    assert found.code == code
    assert found.code in reasons.LOCAL_CODES
    for key, value in figures.items():
        assert found.figures[key] == value
