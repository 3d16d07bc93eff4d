"""The rights simulator in a real browser: a citizen from their saved household, and an anonymous visitor.

Every page is scanned with axe-core (zero violations).
"""

import re

from playwright.sync_api import expect

from guichet.accounts import services
from guichet.accounts.forms import last_twelve_months
from guichet.rights import questionnaire, results
from guichet.rights.engine.from_models import household_input_from_model
from tests.browser.conftest import assert_accessible, assert_every_page_scanned
from tests.browser.test_citizen_flow import button, field, log_in
from tests.factories import PASSWORD, UserFactory, household_data


def _single_parent():
    user = UserFactory()
    months = {f"{m:%Y-%m}": {"salary": "950.00"} for m in last_twelve_months()}
    data = household_data(
        housing={"commune_insee": "69256", "housing": "social_tenant", "monthly_rent": "520.00"},
        members=[
            {"relationship": "self", "first_name": "Amina", "birth_date": "1990-04-12", "situation": "employed"},
            {"relationship": "child", "first_name": "Moussa", "birth_date": "2014-09-03", "situation": "student"},
            {"relationship": "child", "first_name": "Fatou", "birth_date": "2019-02-20", "situation": "student"},
        ],
        resources={"0": months},
    )
    services.household_save(person=user.person, data=data, by=user)
    return user


def _euros(amount: float) -> str:
    return f"{amount:.2f}".replace(".", ",")


def test_a_citizen_gets_an_explained_result_from_the_saved_household(page, territory):
    user = _single_parent()
    expected = results.compute(household_input_from_model(user.person.household), questionnaire.current_period())
    log_in(page, email=user.email, password=PASSWORD)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes droits").click()
    expect(page.get_by_role("heading", level=2, name="Nous utilisons votre foyer")).to_be_visible()
    assert_accessible(page)
    button(page, "C'est exact : voir mes droits").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Les aides auxquelles vous avez peut-être droit")
    assert_accessible(page)
    ppa = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Prime d'activité", exact=True))
    expect(ppa).to_contain_text(f"{_euros(expected.benefits['ppa'].amount)} € par mois")
    expect(page.get_by_role("heading", name="Tarification solidaire des transports en commun")).to_be_visible()
    ppa.get_by_role("link", name=re.compile("Comprendre le calcul")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prime d'activité")
    expect(page.get_by_role("heading", name="Les règles appliquées")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Retour aux résultats").click()
    button(page, "Enregistrer dans mon compte").click()
    expect(page.get_by_role("status")).to_contain_text("Ce résultat est enregistré dans votre compte.")
    assert_accessible(page)
    assert_every_page_scanned(page)


def test_an_anonymous_visitor_simulates_and_sees_why_not(page, territory):
    page.goto("/droits/")
    assert_accessible(page)
    button(page, "Commencer").click()
    expect(page.get_by_text("Étape 1 sur 3", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label(re.compile("^Commune de résidence")).select_option("69123")
    page.get_by_label("Locataire", exact=True).check()
    field(page, "Loyer mensuel, charges comprises (en euros)").fill("700")
    button(page, "Continuer").click()
    expect(page.get_by_text("Étape 2 sur 3", exact=True)).to_be_visible()
    assert_accessible(page)
    field(page, "Votre prénom").fill("Jo")
    field(page, "Votre date de naissance").fill("1985-02-01")
    field(page, "Votre situation").select_option("employed")
    button(page, "Continuer").click()
    expect(page.get_by_text("Étape 3 sur 3", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Salaires").fill("4 500")
    button(page, "Voir mes droits").click()
    expect(
        page.get_by_role("heading", level=2, name="Les aides auxquelles vous n'avez pas droit, et pourquoi")
    ).to_be_visible()
    expect(
        page.get_by_text(re.compile("Vos ressources .* dépassent le plafond|sont trop élevées")).first
    ).to_be_visible()
    assert_accessible(page)
    assert_every_page_scanned(page)
