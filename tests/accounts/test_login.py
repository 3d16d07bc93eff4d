import pytest
from django.core.cache import cache

from guichet.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _login(client, email, password, ip="10.0.0.1"):
    return client.post("/compte/connexion/", {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_a_verified_citizen_logs_in_and_it_is_audited(client, citizen, password):
    response = _login(client, citizen.email.upper(), password)
    assert response.status_code == 302
    assert response["Location"] == "/compte/"
    assert client.session["_auth_user_id"] == str(citizen.pk)
    assert AuditEvent.objects.filter(action="login", actor=citizen.person.pseudonym).exists()


def test_login_rotates_the_session_key(client, citizen, password):
    client.get("/")
    client.session.save()
    before = client.session.session_key
    _login(client, citizen.email, password)
    assert client.session.session_key != before


def test_a_wrong_password_is_refused_in_french_and_audited(client, citizen):
    response = _login(client, citizen.email, "mauvais mot de passe")
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="login_failed")
    assert event.subject == citizen.person.pseudonym


def test_an_unverified_account_cannot_log_in(client, password):
    user = UserFactory(unverified=True)
    response = _login(client, user.email, password)
    assert "pas encore vérifiée" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_inactive_account_cannot_log_in(client, password):
    user = UserFactory(is_active=False)
    response = _login(client, user.email, password)
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()


def test_repeated_failures_lock_the_account_from_that_address_only(client, citizen, password, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _login(client, citizen.email, "mauvais mot de passe", ip="10.0.0.1")
    locked = _login(client, citizen.email, password, ip="10.0.0.1")
    assert "Trop de tentatives" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_locked").exists()
    # Same account from another address: a France Services counter is not locked out by someone else.
    assert _login(client, citizen.email, password, ip="10.0.0.2").status_code == 302


def test_failures_on_one_account_do_not_lock_other_accounts_behind_the_same_address(
    client, citizen, password, settings
):
    other = UserFactory()
    for _ in range(settings.LOGIN_MAX_FAILURES + 2):
        _login(client, citizen.email, "mauvais mot de passe", ip="10.0.0.1")
    assert _login(client, other.email, password, ip="10.0.0.1").status_code == 302


def test_the_lock_expires(client, citizen, password, settings, time_machine):
    time_machine.move_to("2026-03-01 09:00", tick=False)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _login(client, citizen.email, "mauvais mot de passe")
    assert "Trop de tentatives" in _login(client, citizen.email, password).content.decode()
    time_machine.move_to("2026-03-01 09:16", tick=False)
    assert _login(client, citizen.email, password).status_code == 302


def test_logins_are_refused_when_the_rate_limit_store_is_down(client, citizen, password, ratelimit_store_down):
    response = _login(client, citizen.email, password)
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_honours_a_safe_next_and_ignores_an_external_one(client, citizen, password):
    response = client.post(
        "/compte/connexion/?next=/compte/consentements/", {"email": citizen.email, "password": password}
    )
    assert response["Location"] == "/compte/consentements/"
    client.logout()
    response = client.post(
        "/compte/connexion/?next=https://evil.example/", {"email": citizen.email, "password": password}
    )
    assert response["Location"] == "/compte/"


def test_logout_needs_a_post_and_is_audited(citizen_client, citizen):
    assert citizen_client.get("/compte/deconnexion/").status_code == 405
    response = citizen_client.post("/compte/deconnexion/")
    assert response.status_code == 302
    assert "_auth_user_id" not in citizen_client.session
    assert AuditEvent.objects.filter(action="logout", actor=citizen.person.pseudonym).exists()


def test_password_reset_sends_a_link_that_sets_a_new_password(client, citizen, mailoutbox):
    import re

    client.post("/compte/mot-de-passe/oublie/", {"email": citizen.email})
    assert len(mailoutbox) == 1
    path = re.search(r"https?://[^/]+(/compte/mot-de-passe/nouveau/\S+)", mailoutbox[0].body).group(1)
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    new = "une toute nouvelle phrase"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password(new)
    assert AuditEvent.objects.filter(action="password_reset").exists()


def test_password_reset_for_an_unknown_address_says_the_same(client, mailoutbox):
    response = client.post("/compte/mot-de-passe/oublie/", {"email": "personne@example.org"})
    assert response.status_code == 302
    assert mailoutbox == []
