import datetime
import subprocess

import pytest
from django.conf import settings

from guichet.notifications.channels.sms import FakeSmsGateway
from guichet.notifications.enums import Channel, Status
from guichet.notifications.models import Notification
from guichet.notifications.services import channels_for, notification_send, notifications_deliver_due
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    FakeSmsGateway.outbox.clear()


def _send(person, key=None):
    return notification_send(
        person=person,
        kind="test",
        subject="Votre dossier a avancé",
        body="Votre demande de carte de transport a été acceptée.",
        link="/compte/",
        key=key,
    )


def test_an_email_is_sent_to_a_person_who_prefers_email(mailoutbox, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = _send(citizen.person)
    notification.refresh_from_db()
    assert notification.channel == Channel.EMAIL
    assert notification.status == Status.SENT
    assert mailoutbox[0].to == [citizen.email]
    assert "acceptée" in mailoutbox[0].body
    assert f"{settings.SITE_URL}/compte/" in mailoutbox[0].body


def test_postal_only_means_a_letter_and_no_email(mailoutbox, tmp_path, django_capture_on_commit_callbacks):
    user = UserFactory(person__contact_channel="postal")
    person = user.person
    person.address_line, person.postal_code, person.city = "4 rue Garibaldi", "69003", "Lyon"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = _send(person)
    notification.refresh_from_db()
    assert notification.channel == Channel.POSTAL
    assert notification.status == Status.TO_PRINT
    assert mailoutbox == []
    pdf = tmp_path / notification.letter
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "4 rue Garibaldi" in text
    assert "Votre dossier a avancé" in text
    subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    assert (tmp_path / "p-1.png").exists()


def test_a_person_without_an_account_gets_letters():
    person = PersonFactory(user=None)
    assert channels_for(person) == [Channel.POSTAL]


def test_a_letter_without_an_address_fails_clearly(django_capture_on_commit_callbacks):
    person = PersonFactory(user=None)
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = _send(person)
    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    assert notification.error == "no postal address"


def test_sms_wait_for_the_end_of_quiet_hours(time_machine, django_capture_on_commit_callbacks):
    user = UserFactory(person__contact_channel="sms", person__phone="0601020304")
    time_machine.move_to(datetime.datetime(2026, 3, 2, 22, 30, tzinfo=datetime.UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        notifications = _send(user.person)
    sms = next(n for n in notifications if n.channel == Channel.SMS)
    sms.refresh_from_db()
    assert sms.status == Status.PENDING
    assert FakeSmsGateway.outbox == []
    assert notifications_deliver_due() == 0
    time_machine.move_to(datetime.datetime(2026, 3, 3, 7, 5, tzinfo=datetime.UTC), tick=False)  # 8:05 in Paris
    assert notifications_deliver_due() == 1
    assert FakeSmsGateway.outbox[0].to == "0601020304"


def test_the_same_key_never_sends_twice(mailoutbox, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _send(citizen.person, key="dossier-42-accepte")
        _send(citizen.person, key="dossier-42-accepte")
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1


def test_a_person_reads_their_notifications_and_their_letters_only(
    client, tmp_path, django_capture_on_commit_callbacks
):
    user = UserFactory(person__contact_channel="postal")
    person = user.person
    person.address_line, person.postal_code, person.city = "4 rue Garibaldi", "69003", "Lyon"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        [letter] = _send(person)
    client.force_login(user)
    assert "Votre dossier a avancé" in client.get("/notifications/").content.decode()
    response = client.get(f"/notifications/{letter.public_id}/courrier.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.force_login(UserFactory())
    assert client.get(f"/notifications/{letter.public_id}/courrier.pdf").status_code == 404
