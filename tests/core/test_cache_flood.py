"""No lock or limit can be flushed by filling the cache: Django's database cache keeps 300 entries and culls a third
of them past that, so anyone who writes enough keys (1,000 password-reset requests with random addresses, each from
an address of its own) used to push locks out and try again. Counters live in a table of their own now."""

import uuid

import pytest
from django.core.cache import cache
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.appointments.models import Booking
from tests.appointments.factories import make_agenda, make_slot
from tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db

FLOOD = 1_000


@pytest.fixture(autouse=True)
def database_cache():
    """The cache Guichet runs on without REDIS_URL, with Django's default of 300 entries."""
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "guichet_cache"}}
    ):
        cache.clear()
        yield
        cache.clear()


def _flood_the_cache() -> None:
    """Write 1,000 keys to the cache, as anything storing a key there for an anonymous client would.

    The database cache culls the third of its keys that sorts first: these keys sort after any counter's.
    """
    for index in range(FLOOD):
        cache.set(f"zz-flood:{index}", index, timeout=3600)
    assert sum(cache.get(f"zz-flood:{index}") is not None for index in range(FLOOD)) < FLOOD  # the cache did cull


@pytest.fixture
def agenda(territory):
    return make_agenda()


def _flood_with_password_resets(client) -> None:
    """1,000 password-reset requests with random addresses, each from an address of its own."""
    for index in range(FLOOD):
        client.post(
            "/compte/mot-de-passe/oublie/",
            {"email": f"{uuid.uuid4().hex}@example.org"},
            REMOTE_ADDR=f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
        )


def _login(client, email, password):
    return client.post("/compte/connexion/", {"email": email, "password": password}, REMOTE_ADDR="192.0.2.7")


def test_a_login_lock_holds_after_a_thousand_password_reset_requests_fill_the_cache(
    client, citizen, password, settings
):
    for _ in range(settings.LOGIN_MAX_FAILURES + 1):
        _login(client, citizen.email, "pas le bon mot de passe")
    assert "Trop de tentatives pour ce compte" in _login(client, citizen.email, password).content.decode()
    _flood_with_password_resets(client)
    _flood_the_cache()
    response = _login(client, citizen.email, password)
    assert "Trop de tentatives pour ce compte" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_second_factor_lock_holds_after_the_cache_is_flooded(client, password, settings):
    user = UserFactory(agent=True)
    device = TOTPDevice.objects.create(user=user, name="application", confirmed=True)
    client.post("/compte/connexion/", {"email": user.email, "password": password})
    for _ in range(settings.OTP_MAX_FAILURES):
        client.post("/compte/securite/verification/", {"code": "000000"})
    _flood_the_cache()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post("/compte/securite/verification/", {"code": f"{totp.token():06d}"})
    assert response.status_code == 200
    assert "Trop de codes incorrects" in response.content.decode()


def test_the_rights_api_limit_holds_after_the_cache_is_flooded(client, settings):
    settings.RIGHTS_API_RATE_LIMIT = 2
    for _ in range(2):
        client.post("/api/v1/calculate", data=b"[]", content_type="application/json")
    _flood_the_cache()
    assert client.post("/api/v1/calculate", data=b"[]", content_type="application/json").status_code == 429


@override_settings(APPOINTMENTS_BOOKINGS_PER_ACCOUNT=2)
def test_the_booking_limit_holds_after_the_cache_is_flooded(client, citizen, agenda):
    login_verified(client, citizen)
    url = f"/rendez-vous/agendas/{agenda.public_id}/reserver/"
    for _ in range(2):
        client.post(url, {"slot": "x"})
    _flood_the_cache()
    assert client.post(url, {"slot": str(make_slot(agenda).public_id)}).status_code == 429
    assert not Booking.objects.exists()


@override_settings(APPOINTMENTS_SEARCHES_PER_ACCOUNT=2)
def test_the_search_limit_holds_after_the_cache_is_flooded(client, citizen, agenda):
    login_verified(client, citizen)
    url = f"/rendez-vous/agendas/{agenda.public_id}/"
    for _ in range(2):
        client.get(url)
    _flood_the_cache()
    assert client.get(url).status_code == 429
