"""Second factor for staff: TOTP enrolment through an administrator's link, a code at every login, backup codes,
admin reset."""

import base64
import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.accounts import otp
from guichet.accounts.models import StaffEnrolmentLink
from guichet.audit.models import AuditEvent
from tests import ratelimit_store
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


def _link_path(user, by=None) -> str:
    """A new enrolment link for ``user``, as the path it opens on this site."""
    return otp.enrolment_link_send(user=user, by=by, deliver=False).removeprefix("http://127.0.0.1:8000")


def _text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


# --- A password alone never enrols (the attack) ---


@pytest.mark.parametrize("role", STAFF)
def test_a_staff_password_alone_cannot_enrol_a_second_factor(client, password, role):
    user = UserFactory(**{role: True})
    _password_login(client, user, password)
    response = client.get("/compte/")
    assert response["Location"].startswith("/compte/securite/activation/")
    page = client.get(response["Location"])
    html = _text(page)
    assert page.status_code == 200
    assert "Demandez à un administrateur de Guichet de vous envoyer un lien d'activation" in html
    assert user.email in html
    assert "<svg" not in html and "otp-secret" not in html  # no QR code, no key
    assert not TOTPDevice.objects.filter(user=user).exists()
    page = client.post("/compte/securite/activation/", {"code": "123456"})
    assert "otp-secret" not in _text(page)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get("/compte/").status_code == 302  # still nothing but public pages


def test_a_device_left_unconfirmed_cannot_be_confirmed_with_a_password_alone(client, password):
    user = UserFactory(admin=True)
    device = TOTPDevice.objects.create(user=user, name="application", confirmed=False)  # its secret leaked earlier
    _password_login(client, user, password)
    client.post("/compte/securite/activation/", {"code": _code(device)})
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/admin/").status_code == 302
    with pytest.raises(otp.OtpRefused):
        otp.totp_enrolment_confirm(request=client.get("/").wsgi_request, user=user, token=_code(device))


# --- Enrolment through an administrator's link ---


@pytest.mark.parametrize("role", STAFF)
def test_a_staff_member_enrols_through_the_link_an_admin_emailed(client, password, role):
    admin = UserFactory(admin=True)
    user = UserFactory(**{role: True})
    otp.enrolment_link_send(user=user, by=admin)
    assert mail.outbox[-1].to == [user.email]
    link = re.search(r"http://127\.0\.0\.1:8000(/compte/securite/activation/[\w-]+/)", mail.outbox[-1].body).group(1)
    assert client.get(link)["Location"].startswith("/compte/connexion/?next=")  # the link needs the password
    response = client.post(f"/compte/connexion/?next={link}", {"email": user.email, "password": password})
    assert response["Location"] == link
    response = client.get(link)
    assert response["Location"] == "/compte/securite/activation/"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert '<svg role="img"' in html  # QR code inline, no script or style needed
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'class="otp-secret">([A-Z2-7]+)<', html).group(1)
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
    actions = list(
        AuditEvent.objects.filter(subject=user.person.pseudonym).order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["otp_enrolment_link_sent", "login", "otp_enrolment_link_opened", "otp_enrolled"]


def test_the_enrolment_link_is_stored_only_as_a_hash_and_journaled_with_its_sender(client):
    admin = UserFactory(admin=True)
    agent = UserFactory(agent=True)
    url = otp.enrolment_link_send(user=agent, by=admin)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40
    link = StaffEnrolmentLink.objects.get(user=agent)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(StaffEnrolmentLink.objects.values().get())
    assert link.created_by == admin
    expected = timezone.now() + datetime.timedelta(hours=24)
    assert abs((link.expires_at - expected).total_seconds()) < 60
    event = AuditEvent.objects.get(action="otp_enrolment_link_sent")
    assert (event.actor, event.subject) == (admin.person.pseudonym, agent.person.pseudonym)
    assert event.data == {"delivery": "email", "seconds": 24 * 3600}
    assert token not in str(event.data) and token not in event.target_id


def test_an_enrolment_link_serves_only_once(client, password):
    user = UserFactory(agent=True)
    link = _link_path(user)
    _password_login(client, user, password)
    client.get(link, follow=True)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post("/compte/securite/activation/", {"code": _code(device)})
    client.post("/compte/deconnexion/")
    TOTPDevice.objects.filter(user=user).delete()  # even with no device left, the link does not serve again
    _password_login(client, user, password)
    response = client.get(link, follow=True)
    assert "Ce lien d'activation a déjà servi" in _messages(response)
    assert "otp-secret" not in _text(response)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.get(action="otp_enrolment_link_refused").data == {"reason": "used"}


def test_an_enrolment_link_opened_in_one_session_does_not_open_another(client, password):
    from django.test import Client

    user = UserFactory(supervisor=True)
    link = _link_path(user)
    first, second = client, Client()
    _password_login(first, user, password)
    _password_login(second, user, password)
    first.get(link)
    response = second.get(link, follow=True)
    assert "déjà servi" in _messages(response)
    assert "otp-secret" not in _text(second.get("/compte/securite/activation/"))
    assert "otp-secret" in _text(first.get("/compte/securite/activation/"))


def test_an_expired_enrolment_link_is_refused(client, password, settings):
    settings.STAFF_ENROLMENT_LINK_SECONDS = 600
    user = UserFactory(mediator=True)
    link = _link_path(user)
    StaffEnrolmentLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    _password_login(client, user, password)
    response = client.get(link, follow=True)
    assert "Ce lien d'activation a expiré" in _messages(response)
    assert "otp-secret" not in _text(response)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert StaffEnrolmentLink.objects.get().used_at is None
    assert AuditEvent.objects.get(action="otp_enrolment_link_refused").data == {"reason": "expired"}


def test_a_new_enrolment_link_replaces_the_one_not_yet_opened(client, password):
    user = UserFactory(agent=True)
    old, new = _link_path(user), _link_path(user)
    _password_login(client, user, password)
    assert "a expiré, ou un lien plus récent l'a remplacé" in _messages(client.get(old, follow=True))
    assert client.get(new)["Location"] == "/compte/securite/activation/"
    assert "otp-secret" in _text(client.get("/compte/securite/activation/"))


def test_another_accounts_enrolment_link_is_refused_and_stays_usable_by_its_owner(client, password):
    owner, other = UserFactory(agent=True), UserFactory(agent=True)
    link = _link_path(owner)
    _password_login(client, other, password)
    response = client.get(link, follow=True)
    assert "Ce lien d'activation a été envoyé pour un autre compte" in _messages(response)
    assert "otp-secret" not in _text(response)
    assert not TOTPDevice.objects.exists()
    event = AuditEvent.objects.get(action="otp_enrolment_link_refused")
    assert (event.actor, event.subject, event.data) == (
        other.person.pseudonym,
        owner.person.pseudonym,
        {"reason": "other_account"},
    )
    client.post("/compte/deconnexion/")
    _password_login(client, owner, password)
    assert client.get(link)["Location"] == "/compte/securite/activation/"
    assert "otp-secret" in _text(client.get("/compte/securite/activation/"))


def test_an_unknown_enrolment_link_is_refused(client, password):
    user = UserFactory(agent=True)
    _password_login(client, user, password)
    response = client.get("/compte/securite/activation/" + "x" * 43 + "/", follow=True)
    assert "Ce lien d'activation n'est pas valide" in _messages(response)
    assert "otp-secret" not in _text(response)


def test_a_bad_link_sends_an_enrolled_staff_member_to_their_code(client, password):
    user = UserFactory(agent=True)
    _enrolled(user)
    _password_login(client, user, password)
    assert client.get("/compte/securite/activation/nope/")["Location"] == "/compte/securite/verification/"


def test_a_link_lets_an_enrolled_staff_member_replace_their_device(client, password):
    user = UserFactory(agent=True)
    old = _enrolled(user)
    link = _link_path(user)
    _password_login(client, user, password)
    client.get(link, follow=True)
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post("/compte/securite/activation/", {"code": _code(new)})
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_citizens_get_no_enrolment_link(client, citizen):
    with pytest.raises(otp.OtpRefused):
        otp.enrolment_link_send(user=citizen, by=None)
    assert not StaffEnrolmentLink.objects.exists()
    assert mail.outbox == []


def test_a_link_that_cannot_be_emailed_leaves_nothing_behind(monkeypatch):
    user = UserFactory(agent=True)

    def refused(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(otp, "send_mail", refused)
    with pytest.raises(OSError):
        otp.enrolment_link_send(user=user, by=None)
    assert not StaffEnrolmentLink.objects.exists()
    assert not AuditEvent.objects.filter(action="otp_enrolment_link_sent").exists()


def test_the_enrolment_page_says_how_long_a_link_lasts(client, password, settings):
    settings.STAFF_ENROLMENT_LINK_SECONDS = 2 * 3600
    user = UserFactory(agent=True)
    _password_login(client, user, password)
    assert "valable 2 heures" in _text(client.get("/compte/securite/activation/"))
    settings.STAFF_ENROLMENT_LINK_SECONDS = 1800
    assert "valable 30 minutes" in _text(client.get("/compte/securite/activation/"))


def test_the_command_prints_a_link_for_the_first_admin(client, password, capsys):
    first = UserFactory(admin=True)
    call_command("staff_enrol_link", first.email.upper(), "--print")
    out = capsys.readouterr().out
    link = re.search(r"http://127\.0\.0\.1:8000(/compte/securite/activation/[\w-]+/)", out).group(1)
    assert mail.outbox == []
    event = AuditEvent.objects.get(action="otp_enrolment_link_sent")
    assert (event.actor, event.data["delivery"]) == (None, "printed")
    _password_login(client, first, password)
    assert client.get(link)["Location"] == "/compte/securite/activation/"
    assert "otp-secret" in _text(client.get("/compte/securite/activation/"))


def test_the_command_emails_the_link_by_default_and_refuses_unknown_or_citizen_accounts(capsys, citizen):
    agent = UserFactory(agent=True)
    call_command("staff_enrol_link", agent.email)
    assert mail.outbox[-1].to == [agent.email]
    assert "/compte/securite/activation/" not in capsys.readouterr().out
    with pytest.raises(CommandError, match="No account"):
        call_command("staff_enrol_link", "personne@nulle-part.fr")
    with pytest.raises(CommandError, match="seul le personnel"):
        call_command("staff_enrol_link", citizen.email)


def test_a_wrong_enrolment_code_is_refused_and_keeps_the_page(client, password):
    user = UserFactory(agent=True)
    link = _link_path(user)
    _password_login(client, user, password)
    client.get(link)
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


def test_otp_verification_fails_closed_when_the_rate_limit_store_is_down(client, password):
    user = UserFactory(agent=True)
    device = _enrolled(user)
    _password_login(client, user, password)
    with ratelimit_store.unreachable():
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
    assert citizen_client.get("/compte/securite/activation/abc/").status_code == 403
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


def test_an_admin_resets_a_lost_device_which_emails_a_new_link_and_it_is_audited(client, password):
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
    assert "Second facteur réinitialisé pour 1 compte : un lien d" in _text(response)
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not StaticDevice.objects.filter(user=agent).exists()
    event = AuditEvent.objects.get(action="otp_device_reset")
    assert event.actor == admin.person.pseudonym
    assert event.subject == agent.person.pseudonym
    sent = AuditEvent.objects.get(action="otp_enrolment_link_sent")
    assert (sent.actor, sent.subject) == (admin.person.pseudonym, agent.person.pseudonym)
    assert mail.outbox[-1].to == [agent.email]
    link = re.search(r"http://127\.0\.0\.1:8000(/compte/securite/activation/[\w-]+/)", mail.outbox[-1].body).group(1)
    agent_client = client.__class__()
    _password_login(agent_client, agent, password)
    assert agent_client.get(link)["Location"] == "/compte/securite/activation/"
    assert "otp-secret" in _text(agent_client.get("/compte/securite/activation/"))


def test_an_admin_sends_enrolment_links_to_staff_only(client):
    admin = UserFactory(admin=True)
    agent, mediator, citizen = UserFactory(agent=True), UserFactory(mediator=True), UserFactory()
    login_verified(client, admin)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "send_enrolment_link", "_selected_action": [agent.pk, mediator.pk, citizen.pk]},
        follow=True,
    )
    html = _text(response)
    assert "Liens d'activation du second facteur envoyés par courriel à 2 comptes." in html
    assert "1 compte laissé de côté : seul le personnel a un second facteur." in html
    assert sorted(message.to[0] for message in mail.outbox) == sorted([agent.email, mediator.email])
    assert StaffEnrolmentLink.objects.filter(created_by=admin).count() == 2
    assert AuditEvent.objects.filter(action="otp_enrolment_link_sent", actor=admin.person.pseudonym).count() == 2


def test_an_admin_is_told_when_a_link_could_not_be_emailed(client, monkeypatch):
    admin = UserFactory(admin=True)
    agent = UserFactory(agent=True)
    login_verified(client, admin)

    def refused(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(otp, "send_mail", refused)
    response = client.post(
        "/admin/accounts/user/", {"action": "send_enrolment_link", "_selected_action": [agent.pk]}, follow=True
    )
    assert response.status_code == 200
    assert f"Le courriel n'a pas pu être envoyé à {agent.email}" in _text(response)
    assert not StaffEnrolmentLink.objects.exists()
