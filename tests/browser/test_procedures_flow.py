"""A canteen enrolment from filing to review, in a real browser, every page scanned by axe-core.

The citizen files with a document → an agent asks for information → the citizen answers → the agent decides with the
tariff the rights engine computed → the decision letter PDF renders (first page converted to PNG) → the citizen asks
for a review → another agent of the team decides it. Staff log in through the real login and second-factor pages.
"""

import re
import subprocess

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from guichet.accounts.demo import DEMO_PASSWORD
from guichet.accounts.demo import load as load_accounts
from guichet.accounts.models import User
from guichet.accounts.services import household_save
from guichet.procedures.demo import load as load_procedures
from guichet.procedures.models import Application
from tests.browser.conftest import assert_accessible, assert_every_page_scanned
from tests.factories import PASSWORD, UserFactory, household_data
from tests.procedures.factories import PDF

pytestmark = pytest.mark.django_db(transaction=True)


def label(page, text: str):
    return page.get_by_label(re.compile(rf"^{re.escape(text)}( \(obligatoire\))?$"))


def click(page, name: str):
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)


def log_in(page, email: str, password: str, *, staff: bool = False) -> None:
    page.goto("/compte/connexion/")
    assert_accessible(page)
    label(page, "Adresse électronique").fill(email)
    label(page, "Mot de passe").fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    if staff:
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
        device = TOTPDevice.objects.get(user__email=email)
        label(page, "Code à usage unique").fill(f"{totp(device.bin_key):06d}")
        page.get_by_role("main").get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


def goto(page, path: str) -> None:
    page.goto(path)
    assert_accessible(page)


@pytest.fixture
def demo(territory):
    load_accounts()
    load_procedures()
    for email in ("agent@demo.guichet.fr", "agent.recours@demo.guichet.fr"):
        TOTPDevice.objects.create(user=User.objects.get(email=email), name="téléphone", confirmed=True)
    citizen = UserFactory(email="famille@example.org")
    citizen.person.address_line, citizen.person.postal_code, citizen.person.city = "3 rue Neuve", "69001", "Lyon"
    citizen.person.save()
    household_save(person=citizen.person, data=household_data(), by=citizen)
    return citizen


def test_canteen_enrolment_from_filing_to_review(new_page, demo, tmp_path, settings):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    citizen, agent, reviewer = new_page(), new_page(), new_page()

    # The citizen files a canteen enrolment with a proof of address.
    log_in(citizen, demo.email, PASSWORD)
    goto(citizen, "/demarches/")
    click(citizen, "Commencer : Inscription à la restauration scolaire")
    expect(citizen.get_by_text("Étape 1 sur 3", exact=True)).to_be_visible()
    label(citizen, "Enfant à inscrire").select_option(label="Sam")
    label(citizen, "École").fill("École Jean Macé")
    label(citizen, "Jours de cantine").select_option("Lundi, mardi, jeudi et vendredi")
    click(citizen, "Enregistrer et continuer")
    expect(citizen.get_by_role("heading", level=2)).to_have_text("Pièces justificatives")
    label(citizen, "Justificatif de domicile de moins de 3 mois").set_input_files(
        {"name": "facture.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    click(citizen, "Voir le récapitulatif")
    expect(citizen.get_by_text("École Jean Macé")).to_be_visible()
    click(citizen, "Déposer ma demande")
    application = Application.objects.get(applicant=demo.person)
    expect(citizen.get_by_role("status")).to_contain_text(application.receipt_number)
    case_url = citizen.url

    # The agent takes the next case and asks for information.
    log_in(agent, "agent@demo.guichet.fr", DEMO_PASSWORD, staff=True)
    goto(agent, "/demarches/instruction/")
    click(agent, "Dossier suivant")
    expect(agent.get_by_role("heading", level=1)).to_have_text(f"Dossier {application.receipt_number}")
    click(agent, "Commencer l'instruction")
    label(agent, "Informations ou pièces demandées à l'usager").fill("Merci d'indiquer la classe de Sam.")
    click(agent, "Demander des informations")

    # The citizen answers.
    goto(citizen, case_url)
    expect(citizen.get_by_text("Merci d'indiquer la classe de Sam.")).to_be_visible()
    label(citizen, "Votre réponse à la demande d'informations").fill("Sam est en CM2.")
    click(citizen, "Envoyer ma réponse")
    expect(citizen.get_by_role("status")).to_contain_text("l'instruction de votre dossier reprend")

    # The agent decides, with the tariff the engine computed from the family quotient.
    agent.reload()
    assert_accessible(agent)
    expect(agent.get_by_text("Sam est en CM2.")).to_be_visible()
    agent.get_by_role("link", name="Décider").click()
    assert_accessible(agent)
    expect(agent.get_by_role("heading", name="Calcul du moteur de droits")).to_be_visible()
    agent.get_by_label("Accord").check()
    label(agent, "Motivation").fill(
        "Enfant scolarisé dans une école de la commune ; tarif selon le quotient familial."
    )
    click(agent, "Enregistrer la décision")
    decision = application.decisions.get()
    assert decision.computed_value is not None and decision.engine_result

    # The decision letter renders: its first page converted to PNG.
    goto(citizen, case_url)
    link = citizen.get_by_role("link", name="Télécharger le courrier de décision (PDF)")
    response = citizen.request.get(link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    (tmp_path / "decision.pdf").write_bytes(response.body())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(tmp_path / "decision.pdf"), str(tmp_path / "page")],
        check=True,
    )
    [png] = list(tmp_path.glob("page*.png"))
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 1000

    # The citizen asks for a review; it goes to the other agent, who decides it.
    citizen.get_by_role("link", name="Demander un nouvel examen").click()
    assert_accessible(citizen)
    label(citizen, "Pourquoi demandez-vous un nouvel examen ?").fill("Mes revenus ont baissé depuis septembre.")
    click(citizen, "Envoyer ma demande de nouvel examen")
    expect(citizen.get_by_text("Votre demande de nouvel examen est en cours")).to_be_visible()

    log_in(reviewer, "agent.recours@demo.guichet.fr", DEMO_PASSWORD, staff=True)
    goto(reviewer, "/demarches/instruction/")
    reviewer.get_by_role("link", name=re.compile(re.escape(application.receipt_number))).click()
    assert_accessible(reviewer)
    reviewer.get_by_label("Refus").check()
    label(reviewer, "Motivation").fill("Les revenus déclarés au dossier restent ceux retenus par la délibération.")
    click(reviewer, "Enregistrer la décision sur recours")
    application.refresh_from_db()
    assert application.status == "rejected"
    assert application.decisions.last().decided_by.email == "agent.recours@demo.guichet.fr"

    for page in (citizen, agent, reviewer):
        assert_every_page_scanned(page)
