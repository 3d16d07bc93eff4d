"""A mediator books for a person under a mandate covering appointments, checked at that very moment."""

import pytest
from django.urls import reverse

from guichet.appointments import services
from guichet.appointments.enums import BookingChannel
from guichet.appointments.models import Booking
from guichet.audit.models import AuditEvent
from guichet.mediation import services as mediation_services
from guichet.mediation.enums import Family
from tests.appointments.factories import make_slot
from tests.factories import login_verified
from tests.mediation.factories import active_mandate

pytestmark = pytest.mark.django_db


def _act(client, mandate, family=Family.APPOINTMENTS):
    login_verified(client, mandate.created_by)
    client.post(reverse("mediation:acting_start", args=[mandate.public_id]), {"family": family})
    return client


def test_a_mediator_books_for_the_person_of_the_mandate(client, agenda):
    slot = make_slot(agenda)
    mandate = active_mandate()
    _act(client, mandate)
    response = client.post(f"/rendez-vous/agendas/{agenda.public_id}/reserver/", {"slot": str(slot.public_id)})
    booking = Booking.objects.get()
    assert response["Location"] == f"/rendez-vous/mes-rendez-vous/{booking.public_id}/"
    assert booking.person == mandate.person
    assert booking.channel == BookingChannel.MEDIATOR
    event = AuditEvent.objects.get(action="on_behalf_booked")
    assert event.subject == mandate.person.pseudonym
    assert event.actor == mandate.created_by.person.pseudonym
    assert str(mandate.public_id) in str(event.data)


def test_a_mediator_acting_for_another_family_cannot_book(client, agenda):
    slot = make_slot(agenda)
    mandate = active_mandate(families=(Family.SIMULATION, Family.APPOINTMENTS))
    _act(client, mandate, family=Family.SIMULATION)
    response = client.post(f"/rendez-vous/agendas/{agenda.public_id}/reserver/", {"slot": str(slot.public_id)})
    assert response.status_code == 403
    assert "hors du champ" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_revoked_appointments_authorisation_refuses_the_next_booking(client, agenda):
    slot = make_slot(agenda)
    mandate = active_mandate()
    _act(client, mandate)
    authorization = mandate.authorizations.get(family=Family.APPOINTMENTS)
    mediation_services.authorization_revoke(authorization=authorization, by=mandate.person.user or mandate.created_by)
    response = client.post(f"/rendez-vous/agendas/{agenda.public_id}/reserver/", {"slot": str(slot.public_id)})
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_the_mediator_channel_needs_an_active_mandate_in_the_service_itself(agenda):
    slot = make_slot(agenda)
    mandate = active_mandate(families=(Family.SIMULATION,))
    with pytest.raises(services.BookingRefused):
        services.booking_create(
            slot=slot, person=mandate.person, by=mandate.created_by, channel=BookingChannel.MEDIATOR
        )
    assert not Booking.objects.exists()
