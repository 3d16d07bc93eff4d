"""The sentences of the rights simulator (guichet.rights.wording): plain French, French money, plurals, English."""

import pytest
from django.utils import translation

from guichet.rights import wording
from guichet.rights.engine import reasons
from guichet.rights.engine.benefits import BENEFITS
from guichet.rights.engine.reasons import Line, Reason
from tests.rights.engine.test_reasons import MONTH, adult, child, household, simulate

NNBSP, NBSP = "\u202f", "\u00a0"


def test_a_reason_gives_the_household_s_figure_and_the_threshold_in_french_money():
    text = wording.reason_text(Reason("rsa.resources", {"resources": 1120.0, "ceiling": 1020.0}))
    assert text == (
        f"Vos ressources de 1{NNBSP}120{NBSP}€ par mois (moyenne des trois derniers mois) dépassent le plafond de "
        f"1{NNBSP}020{NBSP}€ pour votre foyer."
    )


def test_cents_show_only_when_there_are_some():
    text = wording.reason_text(Reason("rsa.minimum", {"amount": 4.8, "minimum": 6.0}))
    assert f"(4,80{NBSP}€ par mois)" in text
    assert f"minimum versé de 6{NBSP}€." in text


def test_counts_read_as_words_with_their_plural():
    assert (
        wording.reason_text(Reason("af.children", {"children": 1, "minimum": 2}))
        == "Il faut au moins deux enfants à charge ; vous en déclarez un."
    )
    assert (
        wording.reason_text(Reason("af.children", {"children": 0, "minimum": 2}))
        == "Il faut au moins deux enfants à charge ; vous n'en déclarez aucun."
    )
    # Overseas, one child is enough: the singular.
    assert wording.reason_text(Reason("af.children", {"children": 0, "minimum": 1})).startswith(
        "Il faut au moins un enfant à charge ;"
    )
    one = Line("css_participation.age_band", 30.0, {"people": 1, "per_person": 30.0, "minimum_age": 70})
    two = Line(
        "css_participation.age_band", 16.0, {"people": 2, "per_person": 8.0, "minimum_age": 0, "maximum_age": 29}
    )
    assert wording.line_label(one) == f"Une personne de 70 ans ou plus : 30{NBSP}€ par mois"
    assert wording.line_label(two) == f"Deux personnes de moins de 30 ans : 8{NBSP}€ par mois chacune"


def test_an_age_condition_says_the_age_required_and_the_person_s_age():
    assert (
        wording.reason_text(Reason("aspa.age", {"age": 36, "minimum_age": 65}))
        == "L'ASPA est versée à partir de 65 ans ; vous avez 36 ans."
    )
    assert wording.reason_text(Reason("rsa.age", {"age": 1, "minimum_age": 25})).endswith("; vous avez 1 an.")


def test_housing_status_is_said_in_the_person_s_words():
    owner = wording.reason_text(Reason("aide_logement.status", {"status": "proprietaire"}))
    hosted = wording.reason_text(Reason("aide_logement.status", {"status": "loge_gratuitement"}))
    assert owner.endswith("; vous êtes propriétaire de votre logement.")
    assert hosted.endswith("; vous êtes hébergé gratuitement.")


def test_a_local_aid_names_the_national_aids_it_looks_at():
    text = wording.reason_text(Reason("local.receives", {"aids": "rsa,aah,aspa"}))
    assert text == (
        "Cette aide est réservée aux bénéficiaires de : Revenu de solidarité active (RSA), Allocation aux adultes "
        "handicapés (AAH) ou Allocation de solidarité aux personnes âgées (ASPA)."
    )


def test_an_unknown_code_gets_the_generic_sentence_and_label():
    assert wording.reason_text(Reason("rsa.other", {})) == (
        "D'après les informations données, les conditions de cette aide ne sont pas remplies."
    )
    assert wording.line_label(Line("cf.rounding", 0.01)) == "Arrondi"
    assert wording.line_label(Line("new.code", 1.0)) == "Autre élément du calcul"


# One sample of figures for every code, as the engine gives them.
SAMPLE_REASONS = {
    "rsa.age": {"age": 20, "minimum_age": 25},
    "rsa.student": {"age": 30},
    "rsa.residence": {"years": 2, "minimum_years": 5},
    "rsa.resources": {"resources": 1426.32, "ceiling": 635.71},
    "rsa.minimum": {"amount": 4.42, "minimum": 6.0},
    "ppa.age": {"age": 17, "minimum_age": 18},
    "ppa.residence": {"years": 1, "minimum_years": 5},
    "ppa.student": {"income": 395.8, "minimum": 1104.25},
    "ppa.activity": {"income": 0.0},
    "ppa.resources": {"resources": 2062.12, "activity_income": 2062.12, "forfait": 622.63},
    "ppa.minimum": {"amount": 7.32, "minimum": 15.0},
    "aide_logement.loan": {"status": "primo_accedant"},
    "aide_logement.status": {"status": "sans_domicile"},
    "aide_logement.rent": {"rent": 0.0},
    "aide_logement.family_landlord": {},
    "aide_logement.resources": {"resources": 16000.0, "participation": 376.63, "rent": 347.32},
    "aide_logement.resources_accession": {"resources": 60000.0, "coefficient": -0.2},
    "aide_logement.minimum": {"amount": 5.17, "minimum": 10.0},
    "aide_logement.rent_too_high": {"rent": 2500.0, "ceiling": 890.79},
    "aide_logement.small": {"amount": 2.04, "deduction": 5.0},
    "af.children": {"children": 1, "minimum": 2},
    "cf.children": {"children": 2, "minimum": 3, "minimum_age": 3, "maximum_age": 21},
    "cf.resources": {"resources": 90000.0, "ceiling": 33000.0, "year": 2023},
    "cf.paje": {"paje": 194.27},
    "asf.couple": {},
    "asf.child": {"children": 0, "maximum_age": 20},
    "asf.support": {"support": 300.0, "amount": 196.84, "children": 1},
    "ars.children": {"children": 0, "minimum_age": 6, "maximum_age": 18},
    "ars.resources": {"resources": 88766.5, "ceiling": 28444.0, "year": 2023},
    "ars.minimum": {"amount": 13.36, "minimum": 15.0},
    "paje_base.child": {"children": 0, "maximum_age": 3},
    "paje_base.resources": {"resources": 100000.0, "ceiling": 45000.0, "year": 2023},
    "aah.rate": {"rate": 30, "minimum": 80, "reduced_minimum": 50},
    "aah.rsdae": {"rate": 60, "minimum": 80, "reduced_minimum": 50},
    "aah.retirement_age": {"age": 66, "maximum_age": 64, "rate": 60, "minimum": 80},
    "aah.age": {"age": 18, "minimum_age": 20},
    "aah.pension": {"pension": 1100.0, "maximum": 1016.05},
    "aah.resources": {"resources": 2100.0, "ceiling": 1016.05},
    "aspa.age": {"age": 36, "minimum_age": 65},
    "aspa.age_disabled": {"age": 55, "minimum_age": 64},
    "aspa.residence": {"years": 3, "minimum_years": 10},
    "aspa.resources": {"resources": 1500.0, "ceiling": 1034.29},
    "css.dependent": {"age": 20, "minimum_age": 25},
    "css.participation": {"resources": 12314.43, "ceiling": 10166.0, "participation_ceiling": 13724.1},
    "css.resources": {"resources": 17115.83, "ceiling": 10166.0, "participation_ceiling": 13724.1},
    "css_participation.dependent": {"age": 20, "minimum_age": 25},
    "css_participation.free": {"resources": 915.42, "ceiling": 10166.0},
    "css_participation.rsa": {"resources": 14000.0, "ceiling": 10166.0},
    "css_participation.resources": {"resources": 17115.83, "ceiling": 13724.1},
    "cheque_energie.dwelling": {"status": "loge_gratuitement", "month": "2025-01"},
    "cheque_energie.declarant": {},
    "cheque_energie.resources": {
        "rfr": 25000.0,
        "units": 1.0,
        "rfr_per_unit": 25000.0,
        "ceiling": 10800.0,
        "year": 2023,
    },
    "bourse_college.pupil": {"pupils": 0},
    "bourse_college.resources": {"rfr": 75000.0, "ceiling": 17927.0, "year": 2023},
    "bourse_lycee.pupil": {"pupils": 0},
    "bourse_lycee.resources": {"rfr": 110000.0, "ceiling": 20000.0, "year": 2023},
    "local.validity": {"month": "2026-02", "start": "2025-01-01", "end": "2025-12-31"},
    "local.commune": {"commune": "75056", "communes": 5},
    "local.age_min": {"age": 12, "age_min": 15, "age_max": 25},
    "local.age_max": {"age": 30, "age_max": 25},
    "local.qf_min": {"qf": 200.0, "limit": 300.0},
    "local.qf_max": {"qf": 900.0, "limit": 800.0},
    "local.qf_bands": {"qf": 1500.0, "ceiling": 1400.0},
    "local.receives": {"aids": "rsa"},
    "local.not_receives": {"aids": "aah"},
    "local.student": {},
    "local.not_student": {},
    "local.disabled": {},
    "local.not_disabled": {},
}

SAMPLE_LINES = {
    "rsa.forfait": {"people": 1},
    "rsa.single_parent": {"children": 1},
    "rsa.activity_income": {},
    "rsa.other_income": {},
    "rsa.family_benefits": {},
    "rsa.other_benefits": {},
    "rsa.forfait_logement": {},
    "ppa.forfait": {"people": 2},
    "ppa.forfait_single_parent": {"people": 2},
    "ppa.activity_share": {"rate": 61, "activity_income": 1426.32},
    "ppa.bonus": {},
    "ppa.activity_income": {},
    "ppa.family_benefits": {},
    "ppa.other_income": {},
    "ppa.forfait_logement": {},
    "ppa.minimum_deduction": {},
    "ppa.zero_month": {},
    "aide_logement.rent": {"rent": 600.0, "ceiling": 287.35},
    "aide_logement.charges": {},
    "aide_logement.participation": {"resources": 12400.0},
    "aide_logement.accession": {"resources": 20000.0, "payment": 800.0},
    "aide_logement.degressivity": {"rent": 750.0, "ceiling": 718.38},
    "aide_logement.reduction": {},
    "aide_logement.rls": {},
    "aide_logement.crds": {},
    "af.base": {"children": 2, "rate": 50},
    "af.age": {"children": 1},
    "af.forfait": {},
    "af.complement": {},
    "cf.base": {"children": 3},
    "cf.increased": {"children": 3},
    "cf.differential": {"resources": 33500.0, "ceiling": 33000.0},
    "asf.children": {"children": 2, "per_child": 196.84},
    "asf.support": {},
    "ars.primary": {"children": 1, "per_child": 425.6, "minimum_age": 6, "maximum_age": 10},
    "ars.college": {"children": 2, "per_child": 449.09, "minimum_age": 11, "maximum_age": 14},
    "ars.lycee": {"children": 1, "per_child": 464.65, "minimum_age": 15, "maximum_age": 18},
    "ars.resources": {"resources": 28856.24, "ceiling": 28444.0},
    "paje_base.full": {"resources": 20000.0, "ceiling": 38000.0},
    "paje_base.partial": {"resources": 40000.0, "ceiling": 38000.0},
    "aah.maximum": {"age": 45},
    "aah.resources": {"resources": 300.0, "ceiling": 1016.05},
    "aah.pension": {"pension": 600.0},
    "aah.hospital": {},
    "aspa.maximum": {"ceiling": 1034.29},
    "aspa.resources": {"resources": 700.0, "ceiling": 1034.29},
    "css.free": {"resources": 915.42, "ceiling": 10166.0},
    "css.rsa": {},
    "css_participation.age_band": {"people": 3, "per_person": 8.0, "minimum_age": 0, "maximum_age": 29},
    "cheque_energie.amount": {"rfr": 8000.0, "units": 1.0, "rfr_per_unit": 8000.0, "year": 2023},
    "bourse_college.pupils": {"pupils": 1, "per_pupil": 120.0, "level": 1},
    "bourse_lycee.pupils": {"pupils": 2, "per_pupil": 609.0, "level": 2},
}


def test_every_reason_and_line_of_the_engine_has_its_own_words():
    codes = {code for aid_codes in reasons.CODES.values() for code in aid_codes}
    local_codes = set(reasons.LOCAL_CODES) - {"local.other"}
    assert set(SAMPLE_REASONS) == codes | local_codes
    assert set(wording.REASONS) == codes | local_codes
    line_codes = {code for aid_codes in reasons.LINE_CODES.values() for code in aid_codes}
    assert set(SAMPLE_LINES) == line_codes
    # The housing aid's rounding has words of its own (rounded down to the euro); other roundings share "Arrondi".
    assert set(wording.LINES) == line_codes | {"aide_logement.rounding"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_two_conditions_share_a_sentence_and_every_placeholder_is_filled(language):
    with translation.override(language):
        texts = {code: wording.reason_text(Reason(code, figures)) for code, figures in SAMPLE_REASONS.items()}
        labels = {code: wording.line_label(Line(code, 1.0, figures)) for code, figures in SAMPLE_LINES.items()}
    generic = "D'après les informations données" if language == "fr" else None
    for code, text in texts.items():
        assert "%(" not in text and "{" not in text, (code, text)
        assert generic is None or not text.startswith(generic), code
    assert len(set(texts.values())) == len(texts)
    for code, label in labels.items():
        assert "%(" not in label, (code, label)
    # Within one aid, each line says something else (two aids may both count "family benefits").
    for aid, codes in reasons.LINE_CODES.items():
        assert len({labels[code] for code in codes}) == len(codes), aid


def test_every_sentence_and_line_reads_in_english():
    untranslated = []
    for code, figures in SAMPLE_REASONS.items():
        french = wording.reason_text(Reason(code, figures))
        with translation.override("en"):
            english = wording.reason_text(Reason(code, figures))
        if english == french or "vous" in english or "votre" in english:
            untranslated.append(code)
    for code, figures in SAMPLE_LINES.items():
        french = wording.line_label(Line(code, 1.0, figures))
        with translation.override("en"):
            english = wording.line_label(Line(code, 1.0, figures))
        if english == french or " de " in english or "vos " in english:
            untranslated.append(code)
    assert untranslated == []


def test_english_money_is_written_the_english_way():
    with translation.override("en"):
        text = wording.reason_text(Reason("rsa.resources", {"resources": 1120.5, "ceiling": 1020.0}))
    assert "€1,120.50" in text and "€1,020" in text


# ---------------------------------------------------------------------------------------------------------------
# Ordinary households: each aid that is not due says why in its own words.

ORDINARY = {
    "jobless_tenant": household([adult("1990-05-10", activite="chomeur")], rent=450, rsa_received=559.42),
    "smic_tenant": household([adult("1988-02-01", salary=1801.84)], rent=600, rfr=15100),
    "retired_couple": household(
        [adult("1952-04-01", pension=900), adult("1954-09-01", pension=400)], status="proprietaire", rfr=11000
    ),
    "single_parent": household(
        [adult("1987-03-01", salary=1400)],
        [child("2013-09-01", "college"), child("2019-02-01", "primaire")],
        rent=680,
        rfr=11800,
    ),
    "family": household(
        [adult("1981-03-01", salary=2600), adult("1983-03-01", salary=1200)],
        [child("2009-05-01", "lycee"), child("2024-05-01")],
        status="locataire_hlm",
        rent=620,
        rfr=30000,
    ),
    "well_off": household(
        [adult("1975-06-15", salary=5200), adult("1977-09-30", salary=3500)],
        [child("2011-01-01", "college")],
        status="proprietaire",
        rfr=95000,
    ),
    "disabled_adult": household([adult("1979-01-01", rate=0.8, received={"aah": 1016.05})], rent=520),
    "student": household([adult("2003-10-01", activite="etudiant", salary=450)], rent=420, rfr=3800),
}


@pytest.fixture(scope="module")
def ordinary():
    return simulate(ORDINARY)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_aids_of_one_household_failing_on_different_conditions_never_share_a_sentence(ordinary, language):
    simulation, index = ordinary
    with translation.override(language):
        for name, famille in index.items():
            seen: dict[str, Reason] = {}
            for benefit in BENEFITS:
                found = reasons.reason(simulation, benefit, MONTH, famille)
                if found is None:
                    continue
                assert not found.code.endswith(".other"), (name, found)
                text = wording.reason_text(found)
                other = seen.get(text)
                assert other is None or other.code == found.code, (name, text, other, found)
                seen[text] = found
            assert len(seen) >= 5, name  # most aids are not due to any one household


def test_the_lines_of_ordinary_households_read_as_words(ordinary):
    simulation, index = ordinary
    for name, famille in index.items():
        for benefit in BENEFITS:
            for line in reasons.breakdown(simulation, benefit, MONTH, famille):
                label = wording.line_label(line)
                assert label != "Autre élément du calcul", (name, line)
