"""The citizen foundation flow in a real browser: account, email check, login, household, profile.

Every page is scanned with axe-core (zero violations), the flow is run with and without JavaScript, the
login form is used with the keyboard only, bad input keeps what was typed, and pages hold at 200% zoom.
"""

import datetime
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from guichet.accounts import services
from tests.browser.conftest import assert_accessible, assert_every_page_scanned
from tests.factories import PASSWORD, UserFactory, household_data

NEW_PASSWORD = "Une phrase de passe bien longue"


def field(scope, label: str):
    """The form control labelled exactly `label` (the "(obligatoire)" mark of required fields aside)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}( \(obligatoire\))?$"))


def button(scope, name: str):
    return scope.get_by_role("button", name=name, exact=True)


def expect_step(page, number: int, title: str) -> None:
    expect(page.get_by_text(f"Étape {number} sur 4", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=title)).to_be_visible()
    expect(page).to_have_title(re.compile(rf"^{re.escape(title)} — étape {number} sur 4"))


def verification_link(mailoutbox, live_server, email: str) -> str:
    [message] = [m for m in mailoutbox if email in m.to]
    match = re.search(re.escape(settings.SITE_URL) + r"(/\S+)", message.body)
    assert match, message.body
    return live_server.url + match.group(1)


# --- The steps of the flow, shared by the tests ---


def register(page, *, first_name: str, last_name: str, email: str, password: str = NEW_PASSWORD) -> None:
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    assert_accessible(page)
    field(page, "Prénom").fill(first_name)
    field(page, "Nom").fill(last_name)
    field(page, "Adresse électronique").fill(email)
    field(page, "Mot de passe").fill(password)
    field(page, "Confirmez le mot de passe").fill(password)
    button(page, "Créer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre adresse électronique")
    assert_accessible(page)


def verify_email(page, link: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    expect(page.get_by_role("status")).to_contain_text("Votre adresse est vérifiée")
    assert_accessible(page)


def log_in(page, *, email: str, password: str) -> None:
    if page.get_by_role("heading", level=1, name="Se connecter").count() == 0:
        page.goto("/compte/connexion/")
        assert_accessible(page)
    field(page, "Adresse électronique").fill(email)
    field(page, "Mot de passe").fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    assert_accessible(page)


def fill_household(page, *, self_name: str, child_name: str) -> None:
    page.get_by_role("link", name="Décrire mon foyer").click()

    expect_step(page, 1, "Votre logement")
    assert_accessible(page)
    field(page, "Commune de résidence").select_option("69123")
    page.get_by_role("radio", name="Locataire", exact=True).check()
    field(page, "Loyer mensuel hors charges (en euros)").fill("650,50")
    button(page, "Enregistrer et continuer").click()

    expect_step(page, 2, "Les personnes de votre foyer")
    assert_accessible(page)
    me = page.get_by_role("group", name="Vous", exact=True)
    expect(field(me, "Votre prénom")).to_have_value(self_name)
    field(me, "Votre date de naissance").fill("1985-04-12")
    field(me, "Votre situation").select_option(label="Salarié")
    others_before = page.get_by_role("group", name=re.compile(r"^Autre personne n° \d+$")).count()
    button(page, "Ajouter une personne").click()
    # A new empty frame for one more person; what was typed is kept.
    expect(page.get_by_role("group", name=re.compile(r"^Autre personne n° \d+$"))).to_have_count(others_before + 1)
    expect(field(me, "Votre date de naissance")).to_have_value("1985-04-12")
    expect(field(me, "Votre situation").locator("option:checked")).to_have_text("Salarié")
    assert_accessible(page)
    child = page.get_by_role("group", name="Autre personne n° 1", exact=True)
    field(child, "Lien avec vous").select_option(label="Enfant")
    field(child, "Prénom").fill(child_name)
    field(child, "Date de naissance").fill("2016-09-01")
    field(child, "Situation").select_option(label="Étudiant ou élève")
    button(page, "Enregistrer et continuer").click()

    # A child of school age gives their class: the error names it, and nothing typed is lost.
    expect_step(page, 2, "Les personnes de votre foyer")
    school = field(child, "Classe ou études suivies cette année")
    expect(school).to_have_attribute("aria-invalid", "true")
    expect(school).to_have_accessible_description(re.compile(r"Indiquez la classe de l'enfant"))
    expect(field(child, "Prénom")).to_have_value(child_name)
    assert_accessible(page)
    school.select_option(label="École élémentaire")
    button(page, "Enregistrer et continuer").click()

    expect_step(page, 3, "Les ressources des douze derniers mois")
    assert_accessible(page)
    table = page.get_by_role("table", name=re.compile(rf"^Ressources mensuelles nettes de {re.escape(self_name)},"))
    salaries = table.get_by_label(re.compile(rf"^Salaires nets de {re.escape(self_name)} en "))
    expect(salaries).to_have_count(12)
    salaries.nth(10).fill("1500")
    salaries.nth(11).fill("1500,50")
    button(page, "Enregistrer et continuer").click()

    expect_step(page, 4, "Vos impôts")
    assert_accessible(page)
    year = datetime.date.today().year
    field(page, f"Revenu fiscal de référence de votre avis d'impôt {year} (revenus {year - 1}), en euros").fill(
        "18000"
    )
    button(page, "Voir le récapitulatif").click()


def check_recap_and_save(page, *, self_name: str, child_name: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Récapitulatif de mon foyer")
    assert_accessible(page)
    main = page.get_by_role("main")
    expect(main).to_contain_text("Lyon")
    expect(main).to_contain_text("Locataire — loyer hors charges de 650,50 € par mois")
    expect(main).to_contain_text("18 000 €")
    expect(main).to_contain_text("Classe : École élémentaire")
    expect(page.get_by_role("heading", level=3, name=self_name)).to_be_visible()
    expect(page.get_by_role("heading", level=3, name=child_name)).to_be_visible()
    expect(main).to_contain_text("Salaires nets : 3 000,50 €")
    button(page, "Enregistrer mon foyer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_role("status")).to_contain_text("Votre foyer a été enregistré.")
    assert_accessible(page)
    household = page.get_by_role("region", name="Mon foyer")
    expect(household).to_contain_text("Lyon")
    expect(household).to_contain_text("Locataire — loyer hors charges de 650,50 € par mois")
    expect(household.get_by_role("listitem")).to_have_text(
        [f"{self_name} (Moi-même, Salarié)", f"{child_name} (Enfant, Étudiant ou élève)"]
    )
    expect(page.get_by_role("link", name="Modifier mon foyer")).to_be_visible()


def give_sams_class(page) -> None:
    """The household saved before the school question gives no class for Sam: the form asks for it."""
    sam = page.get_by_role("group", name="Autre personne n° 1", exact=True)
    field(sam, "Classe ou études suivies cette année").select_option(label="Collège")


def citizen_with_household():
    """A citizen whose household (Alex, and a child Sam) is already saved."""
    user = UserFactory()
    services.household_save(person=user.person, data=household_data(), by=user)
    return user


# --- Tests ---


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_registration_to_saved_household(new_page, live_server, territory, mailoutbox, javascript):
    page = new_page(java_script_enabled=javascript)
    email = f"camille.{'js' if javascript else 'nojs'}@example.org"

    register(page, first_name="Camille", last_name="Martin", email=email)
    verify_email(page, verification_link(mailoutbox, live_server, email))
    log_in(page, email=email, password=NEW_PASSWORD)
    fill_household(page, self_name="Camille", child_name="Léo")
    check_recap_and_save(page, self_name="Camille", child_name="Léo")

    assert_every_page_scanned(page)


def test_skip_link_then_login_with_the_keyboard_only(page, citizen):
    page.goto("/compte/connexion/")
    assert_accessible(page)

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()

    email = field(page, "Adresse électronique")
    for _ in range(5):
        page.keyboard.press("Tab")
        if email.evaluate("element => element === document.activeElement"):
            break
    expect(email).to_be_focused()
    assert email.evaluate("element => getComputedStyle(element).outlineStyle") != "none", "focus is not visible"
    page.keyboard.type(citizen.email)
    page.keyboard.press("Tab")
    expect(field(page, "Mot de passe")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    assert_accessible(page)
    assert_every_page_scanned(page)


def test_registration_error_is_explained_and_keeps_what_was_typed(page, live_server, mailoutbox):
    page.goto("/compte/inscription/")
    assert_accessible(page)
    field(page, "Prénom").fill("Aïcha")
    field(page, "Nom").fill("Benali")
    field(page, "Adresse électronique").fill("aicha@example.org")
    field(page, "Mot de passe").fill("abcde")
    field(page, "Confirmez le mot de passe").fill("abcde")
    button(page, "Créer mon compte").click()

    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    password = field(page, "Mot de passe")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile("trop court.*12 caractères"))
    expect(field(page, "Prénom")).to_have_value("Aïcha")
    expect(field(page, "Nom")).to_have_value("Benali")
    expect(field(page, "Adresse électronique")).to_have_value("aicha@example.org")
    assert not mailoutbox
    assert_accessible(page)
    assert_every_page_scanned(page)


def test_household_error_is_explained_and_keeps_what_was_typed(page, territory, citizen):
    log_in(page, email=citizen.email, password=PASSWORD)
    page.goto("/compte/foyer/")
    expect_step(page, 1, "Votre logement")
    assert_accessible(page)
    field(page, "Commune de résidence").select_option("69123")
    page.get_by_role("radio", name="Locataire", exact=True).check()
    button(page, "Enregistrer et continuer").click()

    expect_step(page, 1, "Votre logement")
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    rent = field(page, "Loyer mensuel hors charges (en euros)")
    expect(rent).to_have_attribute("aria-invalid", "true")
    expect(rent).to_have_accessible_description(
        re.compile(r"quittance de loyer\. Indiquez le montant de votre loyer\.$")
    )
    expect(field(page, "Commune de résidence")).to_have_value("69123")
    expect(page.get_by_role("radio", name="Locataire", exact=True)).to_be_checked()
    assert_accessible(page)

    rent.fill("quatre cents")
    button(page, "Enregistrer et continuer").click()
    expect(rent).to_have_accessible_description(re.compile("nombre"))
    expect(rent).to_have_value("quatre cents")
    assert_accessible(page)
    assert_every_page_scanned(page)


def test_resources_error_is_shown_in_its_table_and_keeps_what_was_typed(page, territory):
    user = citizen_with_household()
    log_in(page, email=user.email, password=PASSWORD)
    page.get_by_role("link", name="Modifier mon foyer").click()
    for number, title in [(1, "Votre logement"), (2, "Les personnes de votre foyer")]:
        expect_step(page, number, title)
        assert_accessible(page)
        if number == 2:
            give_sams_class(page)
        button(page, "Enregistrer et continuer").click()
    expect_step(page, 3, "Les ressources des douze derniers mois")
    assert_accessible(page)

    alex_salary = page.get_by_label(re.compile(r"^Salaires nets de Alex en ")).last
    alex_salary.fill("1234,56")
    # Sam's table starts folded; the error typed there must not stay hidden once the page comes back.
    page.get_by_text("Ressources de Sam", exact=True).click()
    sam_pension = page.get_by_label(re.compile(r"^Retraites de Sam en ")).first
    sam_pension.fill("12 euros")
    page.get_by_text("Ressources de Sam", exact=True).click()
    expect(sam_pension).to_be_hidden()
    button(page, "Enregistrer et continuer").click()

    expect_step(page, 3, "Les ressources des douze derniers mois")
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    expect(sam_pension).to_be_visible()
    expect(sam_pension).to_have_value("12 euros")
    expect(sam_pension).to_have_attribute("aria-invalid", "true")
    expect(sam_pension).to_have_accessible_description("Saisissez un nombre.")
    expect(alex_salary).to_have_value("1234,56")
    assert_accessible(page)
    assert_every_page_scanned(page)


def _assert_no_horizontal_scroll(page) -> None:
    widths = page.evaluate("({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"] + 1, f"{page.url} scrolls sideways at 200% zoom: {widths}"


def test_pages_reflow_at_200_percent_zoom(new_page, territory):
    # 200% zoom of a 1280×800 window: the CSS viewport is halved, the pixels are doubled.
    page = new_page(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    user = citizen_with_household()

    page.goto("/compte/connexion/")
    assert_accessible(page)
    _assert_no_horizontal_scroll(page)
    log_in(page, email=user.email, password=PASSWORD)
    _assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Modifier mon foyer").click()
    for number, title in enumerate(
        ["Votre logement", "Les personnes de votre foyer", "Les ressources des douze derniers mois", "Vos impôts"],
        start=1,
    ):
        expect_step(page, number, title)
        assert_accessible(page)
        _assert_no_horizontal_scroll(page)
        if number == 2:
            give_sams_class(page)
        if title.startswith("Les ressources"):
            # The table is wider than the screen: it scrolls inside its own frame, not the page.
            frame = page.locator("details.resources").first
            assert frame.evaluate("element => element.scrollWidth > element.clientWidth")
            assert frame.evaluate("element => getComputedStyle(element).overflowX") == "auto"
        button(page, "Voir le récapitulatif" if number == 4 else "Enregistrer et continuer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Récapitulatif de mon foyer")
    assert_accessible(page)
    _assert_no_horizontal_scroll(page)
    assert_every_page_scanned(page)
