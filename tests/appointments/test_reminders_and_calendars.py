"""Reminders the day before (email, SMS when chosen), the .ics file and the agenda's iCal feed."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from guichet.appointments import services
from guichet.notifications.channels.sms import FakeSmsGateway
from guichet.notifications.models import Notification
from tests.appointments.factories import make_slot
from tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db


def test_the_reminder_goes_out_once_the_day_before(slot, citizen, mailoutbox, django_capture_on_commit_callbacks):
    services.booking_create(slot=slot, person=citizen.person, by=citizen, channel="online")
    travel = time_machine.travel(timezone.localtime(slot.starts_at) - datetime.timedelta(days=1, hours=1))
    with travel, django_capture_on_commit_callbacks(execute=True):
        call_command("appointments_remind", verbosity=0)
        call_command("appointments_remind", verbosity=0)
    reminders = Notification.objects.filter(kind="appointment_reminder")
    assert reminders.count() == 1
    assert any("Rappel" in m.subject for m in mailoutbox)


def test_people_who_chose_sms_get_the_reminder_by_sms_too(slot, citizen, django_capture_on_commit_callbacks):
    person = citizen.person
    person.contact_channel, person.phone = "sms", "0601020304"
    person.save()
    FakeSmsGateway.outbox.clear()
    services.booking_create(slot=slot, person=person, by=citizen, channel="online")
    day_before_noon = timezone.make_aware(
        datetime.datetime.combine(slot.day - datetime.timedelta(days=1), datetime.time(12))
    )
    with time_machine.travel(day_before_noon), django_capture_on_commit_callbacks(execute=True):
        services.bookings_remind()
    channels = set(Notification.objects.filter(kind="appointment_reminder").values_list("channel", flat=True))
    assert channels == {"sms", "email"}
    assert any("Rappel" in sms.text for sms in FakeSmsGateway.outbox)


def test_no_reminder_for_a_cancelled_booking(slot, citizen):
    booking = services.booking_create(slot=slot, person=citizen.person, by=citizen, channel="online")
    services.booking_cancel(booking=booking, by=citizen)
    with time_machine.travel(timezone.localtime(slot.starts_at) - datetime.timedelta(days=1)):
        assert services.bookings_remind() == 0


def test_the_person_downloads_an_ics_file(client, slot, citizen):
    booking = services.booking_create(slot=slot, person=citizen.person, by=citizen, channel="online")
    login_verified(client, citizen)
    response = client.get(f"/rendez-vous/mes-rendez-vous/{booking.public_id}/rendez-vous.ics")
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body and f"UID:{booking.public_id}@guichet" in body
    assert slot.starts_at.astimezone(datetime.UTC).strftime("DTSTART:%Y%m%dT%H%M%SZ") in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_the_agenda_feed_needs_its_token_and_a_new_token_revokes_the_old(client, agenda):
    agent = UserFactory(agent=True)
    agenda.agents.add(agent)
    user = UserFactory()
    services.booking_create(slot=make_slot(agenda), person=user.person, by=user, channel="online")
    login_verified(client, agent)
    page = client.post(f"/rendez-vous/agent/agendas/{agenda.public_id}/flux/").content.decode()
    url = page.split('class="feed-url">')[1].split("<")[0].replace("http://testserver", "")
    client.logout()
    feed = client.get(url)
    assert feed.status_code == 200
    assert f"{user.person.first_name} {user.person.last_name[0]}." in feed.content.decode()
    assert user.person.last_name not in feed.content.decode()
    login_verified(client, agent)
    client.post(f"/rendez-vous/agent/agendas/{agenda.public_id}/flux/")
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get("/rendez-vous/flux/not-the-right-token-at-all-xx/agenda.ics").status_code == 404
