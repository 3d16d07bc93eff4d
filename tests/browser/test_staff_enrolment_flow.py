"""A staff member's second factor, in a real browser without JavaScript, every page scanned by axe-core.

Logged in with the password alone, the agent is told to ask an administrator; with the link an administrator sent,
they scan the QR code, confirm with a first code and receive their backup codes; the same link then serves no more.
"""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from guichet.accounts import otp
from tests.browser.conftest import assert_accessible, assert_every_page_scanned
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def label(page, text: str):
    return page.get_by_label(re.compile(rf"^{re.escape(text)}( \(obligatoire\))?$"))


def heading(page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)
    assert_accessible(page)


def log_in(page, email: str) -> None:
    page.goto("/compte/connexion/")
    assert_accessible(page)
    label(page, "Adresse électronique").fill(email)
    label(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()


def test_a_staff_member_enrols_only_with_the_link_an_administrator_sent(new_page, territory):
    agent = UserFactory(agent=True)
    page = new_page(java_script_enabled=False)

    # The password alone: no QR code, the page says whom to ask.
    log_in(page, agent.email)
    heading(page, "Activer la double authentification")
    expect(page.get_by_role("main")).to_contain_text("Demandez à un administrateur de Guichet")
    assert page.locator("svg").count() == 0 and page.locator(".otp-secret").count() == 0

    # The administrator's link: the QR code and the key, a first code, the backup codes.
    link = otp.enrolment_link_send(user=agent, by=None, deliver=False).removeprefix("http://127.0.0.1:8000")
    page.goto(link)
    heading(page, "Activer la double authentification")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    label(page, "Code à usage unique").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("main").get_by_role("button", name="Activer").click()
    heading(page, "Vos codes de secours")
    assert page.locator(".backup-codes li").count() == 10
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)

    # Opened again, the link serves no more, and says so.
    page.goto(link)
    expect(page.get_by_role("main")).to_contain_text("Ce lien d'activation a déjà servi")
    assert_accessible(page)
    assert_every_page_scanned(page)
