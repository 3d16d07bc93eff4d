"""The rights simulator in a real browser: a citizen from their saved household, and an anonymous visitor.

Every page is scanned with axe-core (zero violations).
"""

import re
from decimal import Decimal

from playwright.sync_api import expect

from guichet.accounts import services
from guichet.accounts.forms import last_twelve_months
from guichet.core.formats import euros
from guichet.rights import questionnaire
from guichet.rights.engine.from_models import household_input_from_model
from guichet.rights.simulation import calculation_lines, simulate
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
            {
                "relationship": "child",
                "first_name": "Moussa",
                "birth_date": "2014-09-03",
                "situation": "student",
                "school_level": "college",
            },
            {
                "relationship": "child",
                "first_name": "Fatou",
                "birth_date": "2019-02-20",
                "situation": "student",
                "school_level": "primaire",
            },
        ],
        resources={"0": months},
    )
    services.household_save(person=user.person, data=data, by=user)
    return user


def test_a_citizen_gets_an_explained_result_from_the_saved_household(page, territory):
    user = _single_parent()
    household = household_input_from_model(user.person.household)
    period = questionnaire.current_period()
    expected = {outcome.id: outcome for outcome in simulate(household, period).national}
    log_in(page, email=user.email, password=PASSWORD)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes droits").click()
    expect(page.get_by_role("heading", level=2, name="Nous utilisons votre foyer")).to_be_visible()
    assert_accessible(page)
    button(page, "C'est exact : voir mes droits").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Les aides auxquelles vous avez peut-être droit")
    assert_accessible(page)
    ppa = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Prime d'activité", exact=True))
    expect(ppa).to_contain_text(f"{euros(expected['ppa'].amount)} par mois")
    expect(page.get_by_text(re.compile("une fois toutes les aides indiquées obtenues"))).to_be_visible()
    expect(page.get_by_role("heading", name="Tarification solidaire des transports en commun")).to_be_visible()
    ppa.get_by_role("link", name=re.compile("Comprendre le calcul")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prime d'activité")
    # The few figures that matter, and they add up to the amount shown.
    table = page.get_by_role("table")
    rows = table.locator("tbody tr")
    lines = calculation_lines(household, "ppa", period)
    expect(rows).to_have_count(len(lines))
    shown = Decimal(0)
    for index, (label, _amount) in enumerate(lines):
        row = rows.nth(index)
        expect(row.get_by_role("rowheader")).to_have_text(label)
        cell = row.get_by_role("cell").inner_text().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
        sign = -1 if cell.startswith("−") else 1
        shown += sign * Decimal(cell.strip("+−€").replace(",", "."))
    assert shown == expected["ppa"].amount
    expect(table.locator("tfoot")).to_contain_text(f"{euros(expected['ppa'].amount)} par mois")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Détail technique")).click()
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
    expect(page.get_by_text("Étape 1 sur 4", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label(re.compile("^Commune de résidence")).select_option("69123")
    page.get_by_label("Locataire", exact=True).check()
    field(page, "Loyer mensuel hors charges (en euros)").fill("700")
    button(page, "Continuer").click()
    expect(page.get_by_text("Étape 2 sur 4", exact=True)).to_be_visible()
    assert_accessible(page)
    field(page, "Votre prénom").fill("Jo")
    field(page, "Votre date de naissance").fill("1985-02-01")
    field(page, "Votre situation").select_option("employed")
    button(page, "Continuer").click()
    expect(page.get_by_text("Étape 3 sur 4", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Salaires nets").fill("4 500")
    button(page, "Continuer").click()
    expect(page.get_by_text("Étape 4 sur 4", exact=True)).to_be_visible()
    assert_accessible(page)
    button(page, "Voir mes droits").click()
    expect(
        page.get_by_role("heading", level=2, name="Les aides auxquelles vous n'avez pas droit, et pourquoi")
    ).to_be_visible()
    aspa = re.compile("L'ASPA est versée à partir de 65 ans ; vous avez \\d+ ans.")
    expect(page.get_by_text(aspa).first).to_be_visible()
    expect(page.get_by_text(re.compile("Il faut au moins deux enfants à charge")).first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Comprendre le calcul : Revenu de solidarité active (RSA)").click()
    expect(page.get_by_text(re.compile("dépassent le plafond"))).to_be_visible()
    assert_accessible(page)
    assert_every_page_scanned(page)
