"""A citizen books, reschedules and cancels an appointment in a real browser; every page passes axe-core."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guichet.appointments.models import Booking
from guichet.catalog.demo import load as load_territory
from tests.appointments.factories import make_agenda, make_slot
from tests.browser.conftest import assert_accessible, assert_every_page_scanned
from tests.browser.test_citizen_flow import button, log_in
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_citizen_books_reschedules_and_cancels_an_appointment(page):
    load_territory()
    agenda = make_agenda()
    first, second = make_slot(agenda), make_slot(agenda)
    user = UserFactory(email="rdv@example.org")
    log_in(page, email=user.email, password=PASSWORD)

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes rendez-vous").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes rendez-vous")
    assert_accessible(page)
    page.get_by_role("link", name="Prendre un rendez-vous").click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^État civil — Mairie de Villeurbanne")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir un créneau")
    assert_accessible(page)
    page.get_by_label(f"{timezone.localtime(first.starts_at).strftime('%H:%M')}", exact=True).check()
    button(page, "Réserver ce créneau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon rendez-vous")
    expect(page.get_by_role("status")).to_contain_text("Votre rendez-vous est réservé")
    assert_accessible(page)

    page.get_by_role("link", name="Déplacer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déplacer mon rendez-vous")
    assert_accessible(page)
    page.keyboard.press("Tab")  # the slot list is reachable and usable by keyboard
    page.get_by_label(f"{timezone.localtime(second.starts_at).strftime('%H:%M')}", exact=True).check()
    button(page, "Déplacer mon rendez-vous").click()
    expect(page.get_by_role("status")).to_contain_text("Votre rendez-vous est déplacé")
    assert_accessible(page)
    assert Booking.objects.get(status="booked").slot == second

    page.get_by_role("link", name="Annuler").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuler mon rendez-vous")
    assert_accessible(page)
    button(page, "Oui, annuler le rendez-vous").click()
    expect(page.get_by_role("status")).to_contain_text("Votre rendez-vous est annulé")
    assert_accessible(page)
    assert not Booking.objects.filter(status="booked").exists()
    assert_every_page_scanned(page)
