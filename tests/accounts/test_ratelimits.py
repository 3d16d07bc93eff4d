"""Every rate limit fails closed: when the counter store (its table) is down, the action is refused with a clear
French message, again and again, and nothing is done."""

import pytest

from guichet.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(ratelimit_store_down):
    """The name these tests have had since counters lived in the cache."""


def _page(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_login_keeps_refusing_while_the_cache_is_down(client, citizen, password, cache_down):
    for _ in range(2):
        response = client.post("/compte/connexion/", {"email": citizen.email, "password": password})
        assert response.status_code == 200
        assert "Trop de tentatives pour ce compte" in _page(response)
        assert 'value="' + citizen.email + '"' in _page(response)
    assert "_auth_user_id" not in client.session


def test_password_reset_keeps_refusing_while_the_cache_is_down(client, citizen, cache_down, mailoutbox):
    for _ in range(2):
        response = client.post("/compte/mot-de-passe/oublie/", {"email": citizen.email})
        assert response.status_code == 200
        assert "Trop de demandes depuis cet appareil. Réessayez dans une heure." in _page(response)
    assert mailoutbox == []


def test_registration_keeps_refusing_while_the_cache_is_down(client, cache_down, mailoutbox):
    data = {
        "first_name": "Nora",
        "last_name": "Benali",
        "email": "nora@example.org",
        "password": "une phrase de passe solide",
        "password_confirm": "une phrase de passe solide",
    }
    for _ in range(2):
        response = client.post("/compte/inscription/", data)
        assert response.status_code == 200
        assert "Trop d'inscriptions depuis cette adresse. Réessayez dans une heure." in _page(response)
        assert 'value="Nora"' in _page(response)
    assert not User.objects.filter(email="nora@example.org").exists()
    assert mailoutbox == []


def test_verification_resend_keeps_refusing_while_the_cache_is_down(client, cache_down, mailoutbox):
    user = UserFactory(unverified=True)
    for _ in range(2):
        response = client.post("/compte/verification/renvoyer/", {"email": user.email})
        assert response.status_code == 200
        assert "Trop de demandes pour cette adresse. Réessayez dans une heure." in _page(response)
    assert mailoutbox == []
