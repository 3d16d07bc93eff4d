import re

import pytest
from django.conf import settings

from guichet.accounts.models import User
from guichet.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

VALID = {
    "first_name": "Aïcha",
    "last_name": "Benoît",
    "email": "Aicha.Benoit@Example.org",
    "password": "une phrase de passe solide",
    "password_confirm": "une phrase de passe solide",
}


def _link(mail) -> str:
    match = re.search(re.escape(settings.SITE_URL) + r"(/\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_registration_creates_an_unverified_citizen_and_sends_a_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/compte/inscription/", VALID)
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "aicha.benoit@example.org"
    assert user.role == "citizen"
    assert user.email_verified_at is None
    assert user.person.first_name == "Aïcha"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["aicha.benoit@example.org"]
    assert AuditEvent.objects.filter(action="registered").count() == 1


def test_the_verification_link_verifies_the_address_once(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/compte/inscription/", VALID)
    link = _link(mailoutbox[0])
    response = client.get(link)
    assert response.status_code == 302
    assert User.objects.get().email_verified_at is not None
    client.get(link)  # a second click changes nothing and is not audited twice
    assert AuditEvent.objects.filter(action="email_verified").count() == 1


def test_a_tampered_verification_link_is_refused_in_french(client):
    response = client.get("/compte/verification/pas-un-jeton/")
    assert response.status_code == 200
    assert "Ce lien n&#x27;est pas valide." in response.content.decode()


def test_an_expired_verification_link_is_refused(
    client, mailoutbox, settings, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to("2026-01-01 10:00", tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/compte/inscription/", VALID)
    time_machine.move_to("2026-01-05 10:00", tick=False)
    response = client.get(_link(mailoutbox[0]))
    assert "Ce lien a expiré" in response.content.decode()
    assert User.objects.get().email_verified_at is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("court1!", "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères."),
        ("password1234", "Ce mot de passe est trop courant."),
        ("123456789012345", "Ce mot de passe est entièrement numérique."),
    ],
)
def test_weak_passwords_are_refused_and_the_form_keeps_what_was_typed(client, password, message):
    response = client.post("/compte/inscription/", {**VALID, "password": password, "password_confirm": password})
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html.replace("&#x27;", "'")
    assert 'value="Aïcha"' in html
    assert 'value="Aicha.Benoit@Example.org"' in html
    assert not User.objects.exists()


def test_mismatched_passwords_are_refused(client):
    response = client.post("/compte/inscription/", {**VALID, "password_confirm": "autre chose encore"})
    assert "Les deux mots de passe ne sont pas identiques." in response.content.decode()
    assert not User.objects.exists()


def test_an_address_already_registered_is_refused(client, citizen):
    response = client.post("/compte/inscription/", {**VALID, "email": citizen.email.upper()})
    assert "Un compte existe déjà avec cette adresse." in response.content.decode()
    assert User.objects.count() == 1


def test_empty_registration_explains_each_missing_field(client):
    response = client.post("/compte/inscription/", {})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Ce champ est obligatoire.") == 5


def test_resending_the_link_answers_the_same_whether_or_not_the_account_exists(client, citizen, mailoutbox):
    unverified = type(citizen).objects.create_user("nouveau@example.org", "une phrase de passe solide")
    first = client.post("/compte/verification/renvoyer/", {"email": "inconnu@example.org"})
    second = client.post("/compte/verification/renvoyer/", {"email": unverified.email})
    assert first.status_code == second.status_code == 200
    assert _without_csrf(first.content) == _without_csrf(second.content)
    assert [m.to for m in mailoutbox] == [["nouveau@example.org"]]


def _without_csrf(content: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())
