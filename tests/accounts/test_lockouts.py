"""Locks that hold against an attacker without locking the person out: a ceiling per account across every address,
browsers the account knows, the link emailed to the account, limits per client address on password resets and
registrations, an unverified address that says nothing about the password, and locks an administrator can list and
lift."""

import re

import pytest
from django.core import signing
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.accounts import services
from guichet.audit.models import AuditEvent
from guichet.core.models import RateCounter
from tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db

CEILING = "Trop d'essais ont échoué sur ce compte"


def _page(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def _login(client, email, password, ip):
    return client.post("/compte/connexion/", {"email": email, "password": password}, REMOTE_ADDR=ip)


def _guess_from_many_addresses(client, email, count):
    """One wrong password from each of ``count`` addresses: no (account, address) pair ever reaches its lock."""
    for index in range(count):
        _login(client, email, f"essai {index}", ip=f"198.51.100.{index + 1}")


@pytest.fixture
def other_client():
    """A second browser: the attacker's, or the administrator's."""
    return Client()


@pytest.fixture
def ceiling(settings):
    settings.LOGIN_ACCOUNT_MAX_FAILURES = 10
    return 10


def test_an_unverified_account_gets_the_same_answer_whatever_the_password(client, password):
    user = UserFactory(unverified=True)
    right, wrong = (
        re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", _page(_login(client, user.email, typed, ip="10.0.0.1")))
        for typed in (password, "pas le bon mot de passe")
    )
    assert "pas encore vérifiée" in right
    assert right == wrong


def test_an_attacker_rotating_addresses_is_stopped_at_the_account_ceiling(client, citizen, password, ceiling):
    _guess_from_many_addresses(client, citizen.email, ceiling)
    response = _login(client, citizen.email, password, ip="203.0.113.9")
    assert CEILING in _page(response)
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_locked", data__across_addresses=True).exists()


def test_the_person_still_logs_in_from_a_browser_they_used_before(client, other_client, citizen, password, ceiling):
    assert _login(client, citizen.email, password, ip="10.0.0.1").status_code == 302
    client.post("/compte/deconnexion/")
    _guess_from_many_addresses(other_client, citizen.email, ceiling + 5)
    assert CEILING in _page(_login(other_client, citizen.email, password, ip="10.0.0.1"))
    response = _login(client, citizen.email, password, ip="10.0.0.2")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_a_new_browser_is_allowed_by_the_link_emailed_to_the_account(client, citizen, password, ceiling, mailoutbox):
    _guess_from_many_addresses(client, citizen.email, ceiling)
    response = _login(client, citizen.email, password, ip="10.0.0.1")
    assert CEILING in _page(response)
    assert "_auth_user_id" not in client.session
    assert [mail.to for mail in mailoutbox] == [[citizen.email]]
    link = re.search(r"https?://[^/]+(/compte/connexion/autoriser/\S+/)", mailoutbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert "Cet appareil est autorisé" in _page(response)
    response = _login(client, citizen.email, password, ip="10.0.0.1")
    assert response.status_code == 302
    actions = set(AuditEvent.objects.filter(subject=citizen.person.pseudonym).values_list("action", flat=True))
    assert {"login_unlock_link_sent", "login_device_allowed", "login"} <= actions


def test_the_known_browser_still_meets_its_own_lock(client, citizen, password, ceiling, settings):
    _login(client, citizen.email, password, ip="10.0.0.1")
    client.post("/compte/deconnexion/")
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _login(client, citizen.email, "pas le bon mot de passe", ip="10.0.0.1")
    assert "Trop de tentatives pour ce compte" in _page(_login(client, citizen.email, password, ip="10.0.0.1"))


def test_the_link_is_emailed_at_most_three_times_a_window(client, citizen, password, ceiling, mailoutbox):
    _guess_from_many_addresses(client, citizen.email, ceiling + 20)
    assert len(mailoutbox) == services.UNLOCK_MAILS_PER_WINDOW == 3


def test_the_ceiling_says_the_same_for_an_address_without_an_account(client, password, ceiling, mailoutbox):
    _guess_from_many_addresses(client, "personne@example.org", ceiling)
    assert CEILING in _page(_login(client, "personne@example.org", password, ip="10.0.0.1"))
    assert mailoutbox == []


def test_the_persons_own_successful_logins_do_not_count_towards_the_ceiling(client, citizen, password, ceiling):
    for index in range(ceiling + 2):
        client.cookies.clear()  # a new browser each time
        assert _login(client, citizen.email, password, ip=f"10.0.1.{index}").status_code == 302
        client.post("/compte/deconnexion/")


@pytest.mark.parametrize("token", ["pas-un-jeton", "forged"])
def test_a_bad_unlock_link_is_refused_in_french(client, citizen, token):
    if token == "forged":
        token = signing.dumps({"u": str(citizen.public_id)}, salt="un autre sel")
    response = client.get(f"/compte/connexion/autoriser/{token}/", follow=True)
    assert "Ce lien n'est pas valide." in _page(response)
    assert "guichet_navigateur" not in client.cookies


def test_an_expired_unlock_link_is_refused(client, citizen, settings, time_machine):
    time_machine.move_to("2026-03-01 09:00", tick=False)
    token = services.login_unlock_token(citizen)
    time_machine.move_to("2026-03-02 09:01", tick=False)
    response = client.get(f"/compte/connexion/autoriser/{token}/", follow=True)
    assert "Ce lien a expiré." in _page(response)


def test_password_reset_requests_are_limited_per_client_address(client, citizen, settings, mailoutbox):
    settings.PASSWORD_RESETS_PER_IP = 3
    for index in range(3):
        client.post("/compte/mot-de-passe/oublie/", {"email": f"inconnu{index}@example.org"}, REMOTE_ADDR="10.0.0.1")
    response = client.post("/compte/mot-de-passe/oublie/", {"email": citizen.email}, REMOTE_ADDR="10.0.0.1")
    assert "Trop de demandes depuis cet appareil. Réessayez dans une heure." in _page(response)
    assert f'value="{citizen.email}"' in _page(response)
    assert mailoutbox == []
    # Refused requests write no counter: random addresses cannot grow the table past the limit.
    assert RateCounter.objects.filter(scope="password-reset").count() == 3
    client.post("/compte/mot-de-passe/oublie/", {"email": citizen.email}, REMOTE_ADDR="10.0.0.2")
    assert len(mailoutbox) == 1


def test_registrations_are_limited_per_client_address(client, settings):
    settings.REGISTRATIONS_PER_IP = 2
    statuses = []
    for index in range(3):
        data = {
            "first_name": "Nora",
            "last_name": "Benali",
            "email": f"nora{index}@example.org",
            "password": "une phrase de passe solide",
            "password_confirm": "une phrase de passe solide",
        }
        response = client.post("/compte/inscription/", data, REMOTE_ADDR="10.0.0.1")
        statuses.append(response.status_code)
    assert statuses == [302, 302, 200]
    assert "Trop d'inscriptions depuis cette adresse." in _page(response)


def test_a_lock_is_listed_in_the_admin_and_lifting_it_is_journaled(client, other_client, citizen, password, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _login(client, citizen.email, "pas le bon mot de passe", ip="10.0.0.1")
    _login(client, citizen.email, "pas le bon mot de passe", ip="10.0.0.9")  # counted, not locked
    admin = UserFactory(admin=True)
    login_verified(other_client, admin)
    listing = _page(other_client.get("/admin/core/ratecounter/?bloque=oui"))
    assert f"{citizen.email} 10.0.0.1" in listing
    assert "10.0.0.9" not in listing
    assert "delete_selected" not in listing
    lock = RateCounter.objects.locked().get()
    response = other_client.post(
        "/admin/core/ratecounter/", {"action": "lift", "_selected_action": [lock.pk]}, follow=True
    )
    assert "1 compteur remis à zéro." in _page(response)
    assert not RateCounter.objects.filter(pk=lock.pk).exists()
    event = AuditEvent.objects.get(action="lock_lifted")
    assert event.actor == admin.person.pseudonym
    assert event.data == {"scope": "login", "count": settings.LOGIN_MAX_FAILURES, "locked": True}
    assert _login(client, citizen.email, password, ip="10.0.0.1").status_code == 302


def test_the_second_factor_lock_is_listed_with_the_account(client, password, settings):
    user = UserFactory(agent=True)
    TOTPDevice.objects.create(user=user, name="application", confirmed=True)
    client.post("/compte/connexion/", {"email": user.email, "password": password})
    for _ in range(settings.OTP_MAX_FAILURES):
        client.post("/compte/securite/verification/", {"code": "000000"})
    lock = RateCounter.objects.locked().get(scope="otp")
    assert (lock.label, lock.count, lock.limit) == (user.email, settings.OTP_MAX_FAILURES, settings.OTP_MAX_FAILURES)
