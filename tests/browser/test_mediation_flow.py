"""A counter session in a real browser, then the person taking over their account and revoking the mandate.

The mediator passes the real TOTP page, creates the record of a person with no email address, prints the mandate
(the PDF is read back with pdftotext), records the signature with the identity document checked, simulates the
person's rights from their household and saves the result to their account, then prints a takeover code. The
person opens their account with it, sees what was done for them, and revokes the mandate; the mediator's next
action is refused. A person who has an account reads a mandate request and confirms it. Every page passes axe-core.
"""

import re
import shutil
import subprocess

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from guichet.accounts.models import Person
from guichet.accounts.services import household_save
from guichet.catalog.models import Service
from guichet.mediation.enums import Family
from guichet.mediation.models import Mandate
from guichet.procedures.models import Application
from guichet.rights.engine.system import warm_up
from tests.browser.conftest import assert_accessible, assert_every_page_scanned
from tests.browser.test_citizen_flow import button, field, log_in, verification_link
from tests.factories import PASSWORD, UserFactory, household_data
from tests.mediation.factories import mediator, pending_mandate
from tests.procedures import factories as procedure_factories

PERSON_EMAIL = "josette.perrin@example.org"


def _pdf_text(download, tmp_path, name: str) -> str:
    path = tmp_path / name
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def _mediator_logs_in(page, user, device) -> None:
    page.goto("/compte/connexion/")
    assert_accessible(page)
    field(page, "Adresse électronique").fill(user.email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de sécurité")
    assert_accessible(page)
    field(page, "Code à usage unique").fill(f"{totp(device.bin_key):06d}")
    button(page, "Valider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    assert_accessible(page)


def test_a_counter_session_then_the_person_takes_over_and_revokes(
    new_page, territory, tmp_path, mailoutbox, live_server
):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    warm_up()  # OpenFisca loads once per process: not while the browser waits for the results page
    user = mediator()
    procedure_factories.procedure(
        slug="carte-transport",
        name="Carte de transport solidaire",
        service=Service.objects.get(slug="transports"),
    )
    organisation = user.mediation_memberships.get().organisation
    device = TOTPDevice.objects.create(user=user, name="application", confirmed=True)
    counter = new_page()
    _mediator_logs_in(counter, user, device)

    # The record of a person with no email address, and the mandate to sign.
    counter.get_by_role("link", name="Espace médiation").click()
    expect(counter.get_by_role("heading", level=1)).to_have_text("Espace médiation")
    assert_accessible(counter)
    counter.get_by_role("link", name="Créer le dossier d'une personne sans adresse électronique").click()
    assert_accessible(counter)
    field(counter, "Prénom").fill("Josette")
    field(counter, "Nom").fill("Perrin")
    field(counter, "Date de naissance").fill("1948-03-09")
    field(counter, "Adresse").fill("8 rue Jean Jaurès")
    field(counter, "Code postal").fill("6912")  # a typo: refused, and what was typed stays
    field(counter, "Ville").fill("Vaulx-en-Velin")
    counter.get_by_label("Simulation de droits").check()
    counter.get_by_label("Aides sociales").check()
    counter.get_by_label("Transports").check()
    counter.get_by_label("6 mois").check()
    button(counter, "Créer le dossier et préparer le mandat").click()
    expect(counter.get_by_text("Le code postal compte 5 chiffres.")).to_be_visible()
    expect(field(counter, "Nom")).to_have_value("Perrin")
    assert_accessible(counter)
    field(counter, "Code postal").fill("69120")
    button(counter, "Créer le dossier et préparer le mandat").click()
    expect(counter.get_by_role("heading", level=1)).to_have_text("Mandat de Josette Perrin")
    assert_accessible(counter)
    mandate = Mandate.objects.get()

    with counter.expect_download() as printed:
        counter.get_by_role("link", name="Imprimer le mandat (PDF)").click()
    text = _pdf_text(printed.value, tmp_path, "mandat.pdf")
    assert "Josette Perrin" in text and organisation.name in text
    assert "Simulation de droits" in text and "Aides sociales" in text
    assert mandate.consent_text_sha256 in text.replace(" ", "")

    # Her identity card, checked: a whole number typed by mistake is refused and not shown back.
    counter.get_by_label("Carte nationale d'identité").check()
    field(counter, "4 derniers caractères du numéro de la pièce").fill("180769300412")
    counter.get_by_label("La personne a lu et signé le mandat imprimé ; je le conserve.").check()
    button(counter, "Enregistrer le mandat signé").click()
    expect(counter.get_by_text("jamais le numéro entier")).to_be_visible()
    expect(field(counter, "4 derniers caractères du numéro de la pièce")).to_have_value("")
    assert_accessible(counter)
    counter.get_by_label("Carte nationale d'identité").check()
    field(counter, "4 derniers caractères du numéro de la pièce").fill("0412")
    counter.get_by_label("La personne a lu et signé le mandat imprimé ; je le conserve.").check()
    button(counter, "Enregistrer le mandat signé").click()
    expect(counter.get_by_role("status")).to_contain_text("il est actif")
    expect(counter.get_by_text("numéro se terminant par 0412")).to_be_visible()
    assert_accessible(counter)

    # Acting for her: the simulator starts from her household; the result goes to her account.
    household_save(person=mandate.person, data=household_data(), by=user)
    counter.get_by_label("Simulation de droits").check()
    button(counter, "Commencer").click()
    banner = counter.get_by_role("region", name="Mode médiation")
    expect(banner).to_contain_text("Vous agissez pour Josette Perrin")
    assert_accessible(counter)
    counter.get_by_role("link", name="Simuler ses droits").click()
    expect(counter.get_by_role("heading", level=2, name="Nous utilisons votre foyer")).to_be_visible()
    assert_accessible(counter)
    button(counter, "C'est exact : voir mes droits").click()
    expect(counter.get_by_role("heading", level=1)).to_have_text("Les aides auxquelles vous avez peut-être droit")
    assert_accessible(counter)
    button(counter, "Enregistrer dans le compte de Josette Perrin").click()
    expect(counter.get_by_role("status")).to_contain_text("enregistré dans le compte de Josette Perrin")
    assert_accessible(counter)

    # In another family of the mandate: she asks for a solidarity transport pass, filed with her.
    banner.get_by_role("link", name="Voir le mandat").click()
    assert_accessible(counter)
    counter.get_by_label("Transports", exact=True).check()
    button(counter, "Commencer").click()
    expect(banner).to_contain_text("Transports")
    counter.goto("/demarches/")
    assert_accessible(counter)
    button(counter, "Commencer : Carte de transport solidaire").click()
    assert_accessible(counter)
    field(counter, "Motif de la demande").fill("Trajets vers l'hôpital")
    button(counter, "Voir le récapitulatif").click()
    assert_accessible(counter)
    button(counter, "Déposer ma demande").click()
    expect(counter.get_by_role("status")).to_contain_text("Votre demande est déposée")
    assert_accessible(counter)
    assert Application.objects.get().applicant == mandate.person

    # A takeover code, printed for her.
    banner.get_by_role("link", name="Voir le mandat").click()
    assert_accessible(counter)
    with counter.expect_download() as letter:
        button(counter, "Imprimer un code de reprise (PDF)").click()
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", _pdf_text(letter.value, tmp_path, "code.pdf")).group(0)

    # At home, she opens her account with the code, sees what was done for her, and revokes the mandate.
    home = new_page()
    home.goto("/mediation/reprendre-mon-compte/")
    assert_accessible(home)
    field(home, "Code de reprise").fill(code)
    field(home, "Votre date de naissance").fill("1948-03-09")
    field(home, "Adresse électronique").fill(PERSON_EMAIL)
    field(home, "Mot de passe").fill(PASSWORD)
    field(home, "Confirmez le mot de passe").fill(PASSWORD)
    button(home, "Ouvrir mon compte").click()
    expect(home.get_by_role("heading", level=1)).to_have_text("Vérifiez votre adresse électronique")
    assert_accessible(home)
    assert Person.objects.get(pk=mandate.person.pk).user.email == PERSON_EMAIL
    home.goto(verification_link(mailoutbox, live_server, PERSON_EMAIL))
    assert_accessible(home)
    log_in(home, email=PERSON_EMAIL, password=PASSWORD)
    home.goto("/mediation/mes-mandats/")
    expect(home.get_by_role("heading", level=1)).to_have_text("Mes mandats et ce qui a été fait pour moi")
    card = home.get_by_role("region", name=f"Mandat donné à {organisation.name}")
    expect(card).to_contain_text("Simulation enregistrée pour vous par un médiateur")
    expect(card).to_contain_text("Démarche déposée pour vous par un médiateur")
    expect(card).to_contain_text(user.person.full_name)
    assert_accessible(home)
    button(card, f"Révoquer tout le mandat donné à {organisation.name}").click()
    expect(home.get_by_role("status")).to_contain_text("ses médiateurs ne peuvent plus agir pour vous")
    assert_accessible(home)

    # The mediator's very next action is refused, and the acting mode ends.
    counter.goto("/droits/")
    expect(counter.get_by_role("heading", level=1)).to_have_text("Action refusée")
    expect(counter.get_by_role("alert")).to_contain_text("Le mandat de Josette Perrin a été révoqué")
    assert_accessible(counter)
    counter.goto("/droits/")
    expect(counter.get_by_role("region", name="Mode médiation")).to_have_count(0)
    assert_accessible(counter)
    assert_every_page_scanned(counter)
    assert_every_page_scanned(home)


def test_a_person_with_an_account_reads_a_mandate_request_and_confirms_it(new_page, live_server):
    holder = UserFactory()
    mandate = pending_mandate(person=holder.person, families=[Family.SOCIAL_AIDS, Family.HOUSING])
    name = mandate.organisation.name
    page = new_page()
    log_in(page, email=holder.email, password=PASSWORD)
    page.goto("/mediation/mes-mandats/")
    request = page.get_by_role("region", name=f"Mandat demandé par {name}")
    expect(request).to_contain_text("Ce mandat attend votre accord.")
    expect(request).to_contain_text(mandate.created_by.person.full_name)
    expect(request).to_contain_text("Logement, Aides sociales")
    expect(request).to_contain_text(mandate.consent_text_sha256)
    assert_accessible(page)
    button(request, "Donner mon accord").click()  # the box not ticked: nothing is given
    expect(page.get_by_role("status")).to_contain_text("Cochez la case pour donner votre accord.")
    assert_accessible(page)
    request.get_by_label("J'ai lu ce texte et je donne ce mandat.").check()
    button(request, "Donner mon accord").click()
    expect(page.get_by_role("status")).to_contain_text("Votre mandat est donné.")
    expect(page.get_by_role("region", name=f"Mandat donné à {name}")).to_contain_text("Actif")
    assert_accessible(page)
    assert_every_page_scanned(page)
