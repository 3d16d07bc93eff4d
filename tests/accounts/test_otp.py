"""Second factor for staff: TOTP enrolment at first login, a code at every login, backup codes, admin reset."""

import re

import pytest
from django.core.cache import cache
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.audit.models import AuditEvent
from tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db

STAFF = ["mediator", "agent", "supervisor", "admin"]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _code(device: TOTPDevice, *, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset
    return f"{totp.token():06d}"


def _password_login(client, user, password):
    return client.post("/compte/connexion/", {"email": user.email, "password": password})


def _enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="application", confirmed=True)


@pytest.mark.parametrize("role", STAFF)
def test_a_staff_member_enrols_a_totp_device_at_first_login(client, password, role):
    user = UserFactory(**{role: True})
    _password_login(client, user, password)
    response = client.get("/compte/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/securite/activation/")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert '<svg role="img"' in html  # QR code inline, no script or style needed
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'class="otp-secret">([A-Z2-7]+)<', html).group(1)
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    before = client.session.session_key
    response = client.post("/compte/securite/activation/?next=/compte/journal/", {"code": _code(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>(\d{10})</code></li>", response.content.decode())
    assert len(codes) == 10
    assert client.session.session_key != before
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/compte/").status_code == 200
    assert AuditEvent.objects.filter(action="otp_enrolled", subject=user.person.pseudonym).exists()


def test_a_wrong_enrolment_code_is_refused_and_keeps_the_page(client, password):
    user = UserFactory(agent=True)
    _password_login(client, user, password)
    client.get("/compte/securite/activation/")
    response = client.post("/compte/securite/activation/", {"code": "123456x"})
    html = response.content.decode()
    assert "Ce code n&#x27;est pas valide" in html or "Ce code n'est pas valide" in html
    assert 'value="123456x"' in html  # what was typed stays
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert client.get("/compte/").status_code == 302
    assert AuditEvent.objects.filter(action="login_otp_failed").count() == 1


@pytest.mark.parametrize("role", STAFF)
def test_an_enrolled_staff_member_gives_a_code_at_every_login(client, password, role):
    user = UserFactory(**{role: True})
    device = _enrolled(user)
    _password_login(client, user, password)
    response = client.get("/compte/journal/")
    assert response["Location"] == "/compte/securite/verification/?next=%2Fcompte%2Fjournal%2F"
    before = client.session.session_key
    response = client.post(response["Location"], {"code": _code(device)})
    assert response["Location"] == "/compte/journal/"
    assert client.session.session_key != before  # the verified session gets a new key
    assert client.get("/compte/journal/").status_code == 200
    client.post("/compte/deconnexion/")
    _password_login(client, user, password)
    assert client.get("/compte/journal/").status_code == 302  # asked again at the next login


def test_the_same_code_cannot_be_used_twice(client, password):
    user = UserFactory(agent=True)
    device = _enrolled(user)
    code = _code(device)
    _password_login(client, user, password)
    client.post("/compte/securite/verification/", {"code": code})
    client.post("/compte/deconnexion/")
    _password_login(client, user, password)
    response = client.post("/compte/securite/verification/", {"code": code})
    assert response.status_code == 200
    assert "pas valide" in response.content.decode()


def test_a_backup_code_works_once(client, password):
    user = UserFactory(supervisor=True)
    _enrolled(user)
    from guichet.accounts.otp import backup_codes_create

    codes = backup_codes_create(user=user)
    _password_login(client, user, password)
    assert client.post("/compte/securite/verification/", {"code": codes[0]}).status_code == 302
    assert client.get("/compte/").status_code == 200
    client.post("/compte/deconnexion/")
    _password_login(client, user, password)
    assert client.post("/compte/securite/verification/", {"code": codes[1]}).status_code == 302
    client.post("/compte/deconnexion/")
    _password_login(client, user, password)
    response = client.post("/compte/securite/verification/", {"code": codes[0]})
    assert "pas valide" in response.content.decode()
    assert StaticDevice.objects.get(user=user).token_set.count() == 8


def test_otp_attempts_are_rate_limited_per_account(client, password, settings):
    user = UserFactory(agent=True)
    device = _enrolled(user)
    _password_login(client, user, password)
    for _ in range(settings.OTP_MAX_FAILURES):
        client.post("/compte/securite/verification/", {"code": "000000"})
    response = client.post("/compte/securite/verification/", {"code": _code(device)})
    assert "Trop de codes incorrects" in response.content.decode()
    assert client.get("/compte/").status_code == 302


def test_otp_verification_fails_closed_when_the_cache_is_down(client, password, monkeypatch):
    user = UserFactory(agent=True)
    device = _enrolled(user)
    _password_login(client, user, password)

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", broken)
    response = client.post("/compte/securite/verification/", {"code": _code(device)})
    assert "Trop de codes incorrects" in response.content.decode()
    assert client.get("/compte/").status_code == 302


def test_the_admin_is_closed_to_an_admin_without_a_second_factor(client, password):
    admin = UserFactory(admin=True)
    _enrolled(admin)
    _password_login(client, admin, password)
    response = client.get("/admin/")
    assert response["Location"].startswith("/compte/securite/verification/")
    response = client.get("/admin/accounts/user/")
    assert response["Location"].startswith("/compte/securite/verification/")


def test_citizens_never_see_the_second_factor_pages(citizen_client):
    assert citizen_client.get("/compte/securite/verification/").status_code == 403
    assert citizen_client.get("/compte/securite/activation/").status_code == 403
    assert citizen_client.get("/compte/").status_code == 200


def test_an_unverified_staff_member_can_still_log_out_and_read_public_pages(client, password):
    user = UserFactory(mediator=True)
    _password_login(client, user, password)
    assert client.get("/").status_code == 200
    assert client.get("/accessibilite/").status_code == 200
    assert client.post("/compte/deconnexion/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_enrolled_device_cannot_be_replaced_without_passing_it(client, password):
    user = UserFactory(agent=True)
    _enrolled(user)
    _password_login(client, user, password)
    assert client.get("/compte/securite/activation/")["Location"] == "/compte/securite/verification/"


def test_an_admin_resets_a_lost_device_and_it_is_audited(client):
    admin = UserFactory(admin=True)
    agent = UserFactory(agent=True)
    _enrolled(agent)
    from guichet.accounts.otp import backup_codes_create

    backup_codes_create(user=agent)
    login_verified(client, admin)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [agent.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Second facteur réinitialisé" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not StaticDevice.objects.filter(user=agent).exists()
    event = AuditEvent.objects.get(action="otp_device_reset")
    assert event.actor == admin.person.pseudonym
    assert event.subject == agent.person.pseudonym
