"""Counts and rates on the appointments' pages, with their plurals and the French spacing."""

import datetime

import pytest
from django.utils import timezone

from guichet.appointments import services
from guichet.appointments.models import Booking
from tests.appointments.factories import make_booking, make_slot
from tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def _page(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_the_no_show_rates_are_written_with_a_no_break_space_before_the_percent_sign(client, agenda):
    start = timezone.now() - datetime.timedelta(days=2)
    for index, status in enumerate(["no_show", "checked_in", "checked_in", "checked_in"]):
        slot = make_slot(agenda, starts_at=start + datetime.timedelta(hours=index))
        make_booking(UserFactory().person, slot=slot, status=status)
    login_verified(client, UserFactory(supervisor=True))
    page = _page(client.get("/rendez-vous/agent/absences/"))
    assert f"<td>25{NBSP}%</td>" in page


def test_the_no_show_rates_in_english_have_no_space(client, agenda):
    slot = make_slot(agenda, starts_at=timezone.now() - datetime.timedelta(days=1))
    make_booking(UserFactory().person, slot=slot, status="no_show")
    login_verified(client, UserFactory(supervisor=True))
    page = _page(client.get("/rendez-vous/agent/absences/", headers={"accept-language": "en"}))
    assert "<td>100%</td>" in page


def test_the_report_counts_days_and_bookings_in_the_plural(client, agenda):
    login_verified(client, UserFactory(supervisor=True))
    page = _page(client.get("/rendez-vous/agent/signalements/"))
    assert "Sur les 30 derniers jours." in page
    assert "Au moins 5 réservations en ligne" in page


def test_the_limit_of_one_appointment_is_said_in_the_singular_in_english(client, citizen, agenda):
    agenda.max_active_per_person = 1
    agenda.save()
    first, second = make_slot(agenda), make_slot(agenda)
    services.booking_create(slot=first, person=citizen.person, by=citizen, channel="online")
    login_verified(client, citizen)
    url = f"/rendez-vous/agendas/{agenda.public_id}/reserver/"
    response = client.post(url, {"slot": str(second.public_id)}, headers={"accept-language": "en"})
    assert "You already have 1 upcoming appointment for this service: that is the maximum." in _page(response)
    assert Booking.objects.filter(person=citizen.person).count() == 1
