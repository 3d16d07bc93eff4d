"""Mandates: preparing, consenting (in person, from the account, by code), revoking, reminding, printing."""

import datetime
import hashlib
import io
import re
import shutil
import subprocess

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from guichet.audit.models import AuditEvent
from guichet.mediation import services
from guichet.mediation.enums import ConsentMethod, Duration, Family, MandateState, duration_end
from guichet.mediation.models import ConsentCode, Mandate
from guichet.notifications.channels.sms import FakeSmsGateway
from guichet.notifications.models import Notification
from tests.factories import UserFactory, login_verified
from tests.mediation.factories import (
    active_mandate,
    mediator,
    organisation,
    pending_mandate,
    postal_person,
    sign_in_person,
)

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    FakeSmsGateway.outbox.clear()


# --- Durations and the consent text ---


@pytest.mark.parametrize(
    ("duration", "end"),
    [
        (Duration.ONE_DAY, datetime.datetime(2026, 2, 1, 10, 0, tzinfo=datetime.UTC)),
        (Duration.ONE_MONTH, datetime.datetime(2026, 2, 28, 10, 0, tzinfo=datetime.UTC)),
        (Duration.SIX_MONTHS, datetime.datetime(2026, 7, 31, 10, 0, tzinfo=datetime.UTC)),
        (Duration.TWELVE_MONTHS, datetime.datetime(2027, 1, 31, 10, 0, tzinfo=datetime.UTC)),
    ],
)
def test_durations_come_from_a_fixed_menu_and_end_on_the_same_day_of_month(duration, end):
    assert duration_end(datetime.datetime(2026, 1, 31, 10, 0, tzinfo=datetime.UTC), duration) == end


def test_a_prepared_mandate_holds_one_authorisation_per_family_and_the_hash_of_its_exact_text():
    mandate = pending_mandate(families=[Family.HOUSING, Family.SOCIAL_AIDS, Family.HOUSING])
    assert sorted(mandate.authorizations.values_list("family", flat=True)) == ["housing", "social_aids"]
    assert mandate.consent_text_sha256 == hashlib.sha256(mandate.consent_text.encode()).hexdigest()
    assert mandate.organisation.name in mandate.consent_text
    assert "Logement" in mandate.consent_text and "Aides sociales" in mandate.consent_text
    assert str(mandate.public_id) in mandate.consent_text
    assert mandate.state() == MandateState.PENDING
    assert not Mandate.objects.active().exists()


def test_a_mediator_cannot_prepare_a_mandate_for_an_organisation_they_do_not_belong_to():
    with pytest.raises(ValidationError):
        services.mandate_prepare(
            person=postal_person(),
            organisation=organisation(),
            families=["housing"],
            duration="1m",
            consent_method="in_person",
            by=mediator(),
        )


@pytest.mark.parametrize(
    ("families", "duration", "method"),
    [
        ([], "1m", "in_person"),
        (["nope"], "1m", "in_person"),
        (["housing"], "2y", "in_person"),
        (["housing"], "1m", "x"),
    ],
)
def test_a_mandate_with_bad_choices_is_refused(families, duration, method):
    user = mediator()
    with pytest.raises(ValidationError):
        pending_mandate(by=user, families=families, duration=duration, method=method)


def test_remote_consent_from_the_account_needs_an_account():
    with pytest.raises(ValidationError):
        pending_mandate(method=ConsentMethod.REMOTE_ACCOUNT)


# --- Consent ---


def test_signing_in_person_starts_the_mandate_for_its_duration():
    with time_machine.travel(T0, tick=False):
        mandate = active_mandate(duration=Duration.SIX_MONTHS)
    assert mandate.starts_at == T0
    assert mandate.expires_at == datetime.datetime(2026, 9, 2, 9, 0, tzinfo=datetime.UTC)
    assert AuditEvent.objects.filter(action="mandate_consented", subject=mandate.person.pseudonym).exists()
    with pytest.raises(ValidationError):
        sign_in_person(mandate)


def test_the_person_accepts_a_mandate_from_their_account(client):
    holder = UserFactory()
    mandate = pending_mandate(person=holder.person, method=ConsentMethod.REMOTE_ACCOUNT)
    client.force_login(holder)
    page = client.get(reverse("mediation:mine")).content.decode()
    assert "Ce mandat attend votre accord" in page
    url = reverse("mediation:my_mandate_accept", args=[mandate.public_id])
    client.post(url)  # the box not ticked: nothing happens
    mandate.refresh_from_db()
    assert mandate.starts_at is None
    client.post(url, {"consent": "yes"})
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.ACTIVE


def test_a_one_time_code_sent_by_sms_gives_the_consent_and_is_never_stored(client, django_capture_on_commit_callbacks):
    mandate = pending_mandate(person=postal_person(phone="0612345678"), method=ConsentMethod.REMOTE_CODE)
    login_verified(client, mandate.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mediation:code_send", args=[mandate.public_id]), {"channel": "sms"})
    assert response.status_code == 302
    [sms] = FakeSmsGateway.outbox
    code = re.search(r"\b(\d{6})\b", sms.text).group(1)
    stored = ConsentCode.objects.get()
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    response = client.post(reverse("mediation:code_check", args=[mandate.public_id]), {"code": code})
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.ACTIVE


def test_a_code_is_refused_after_five_wrong_tries_even_when_the_sixth_is_right(django_capture_on_commit_callbacks):
    mandate = pending_mandate(person=postal_person(phone="0612345678"), method=ConsentMethod.REMOTE_CODE)
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_code_send(mandate=mandate, channel="sms", by=mandate.created_by)
    code = re.search(r"\b(\d{6})\b", FakeSmsGateway.outbox[0].text).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _try in range(5):
        with pytest.raises(services.CodeRefused):
            services.consent_code_check(mandate=mandate, code=wrong, by=mandate.created_by)
    assert ConsentCode.objects.get().attempts == 5
    with pytest.raises(services.CodeRefused, match="Trop d'essais"):
        services.consent_code_check(mandate=mandate, code=code, by=mandate.created_by)


def test_an_expired_code_is_refused(django_capture_on_commit_callbacks):
    mandate = pending_mandate(person=postal_person(phone="0612345678"), method=ConsentMethod.REMOTE_CODE)
    with time_machine.travel(T0, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            services.consent_code_send(mandate=mandate, channel="sms", by=mandate.created_by)
        code = re.search(r"\b(\d{6})\b", FakeSmsGateway.outbox[0].text).group(1)
        traveller.move_to(T0 + datetime.timedelta(minutes=services.CONSENT_CODE_MINUTES))
        with pytest.raises(services.CodeRefused, match="expiré"):
            services.consent_code_check(mandate=mandate, code=code, by=mandate.created_by)


def test_a_code_cannot_be_sent_by_email_to_a_person_without_an_address(client):
    mandate = pending_mandate(person=postal_person(phone="0612345678"), method=ConsentMethod.REMOTE_CODE)
    login_verified(client, mandate.created_by)
    response = client.post(reverse("mediation:code_send", args=[mandate.public_id]), {"channel": "email"})
    assert response.status_code == 400
    assert "adresse électronique" in response.content.decode()
    response = client.post(reverse("mediation:code_check", args=[mandate.public_id]), {"code": "<script>"})
    assert response.status_code == 400
    assert "&lt;script&gt;" in response.content.decode()  # what was typed stays, escaped


# --- Revocation ---


def test_the_person_revokes_one_authorisation_then_the_whole_mandate(client):
    holder = UserFactory()
    mandate = active_mandate(person=holder.person, families=[Family.SIMULATION, Family.HOUSING])
    client.force_login(holder)
    housing = mandate.authorizations.get(family=Family.HOUSING)
    client.post(reverse("mediation:my_authorization_revoke", args=[housing.public_id]))
    housing.refresh_from_db()
    assert housing.revoked_at is not None and housing.revoked_by_kind == "person"
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.ACTIVE
    client.post(reverse("mediation:my_mandate_revoke", args=[mandate.public_id]))
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.REVOKED and mandate.revoked_by == holder
    assert not mandate.authorizations.active().exists()
    assert AuditEvent.objects.filter(action="mandate_revoked", subject=holder.person.pseudonym).exists()


def test_revoking_the_last_authorisation_revokes_the_mandate():
    mandate = active_mandate(families=[Family.HOUSING])
    services.authorization_revoke(authorization=mandate.authorizations.get(), by=mandate.created_by)
    mandate.refresh_from_db()
    assert mandate.revoked_by_kind == "organisation"


def test_someone_else_cannot_revoke_a_mandate():
    mandate = active_mandate()
    with pytest.raises(ValidationError):
        services.mandate_revoke(mandate=mandate, by=UserFactory())
    with pytest.raises(ValidationError):
        services.mandate_revoke(mandate=mandate, by=mediator())


def test_the_organisation_revokes_a_mandate_from_its_page(client):
    mandate = active_mandate()
    login_verified(client, mandate.created_by)
    client.post(reverse("mediation:mandate_revoke", args=[mandate.public_id]))
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.REVOKED
    client.post(reverse("mediation:mandate_revoke", args=[mandate.public_id]))  # twice: a message, no error
    assert "déjà révoqué" in client.get(reverse("mediation:mandate", args=[mandate.public_id])).content.decode()


# --- Reminders ---


def test_a_reminder_goes_out_30_days_before_expiry_once():
    with time_machine.travel(T0, tick=False) as traveller:
        soon = active_mandate(duration=Duration.ONE_MONTH)
        later = active_mandate(duration=Duration.SIX_MONTHS)
        traveller.move_to(soon.expires_at - datetime.timedelta(days=20))
        out = io.StringIO()
        call_command("mandates_remind", stdout=out)
        call_command("mandates_remind", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 rappel(s) envoyé(s).",
        "0 demande(s) de mandat signalée(s).",
        "0 rappel(s) envoyé(s).",
        "0 demande(s) de mandat signalée(s).",
    ]
    reminders = Notification.objects.filter(kind="mandate_expiring")
    assert [n.person for n in reminders] == [soon.person]
    assert not reminders.filter(person=later.person).exists()
    assert AuditEvent.objects.filter(action="mandate_reminded").count() == 1


def test_no_reminder_for_a_revoked_mandate():
    with time_machine.travel(T0, tick=False) as traveller:
        mandate = active_mandate(duration=Duration.ONE_MONTH)
        services.mandate_revoke(mandate=mandate, by=mandate.created_by)
        traveller.move_to(mandate.expires_at - datetime.timedelta(days=10))
        assert services.mandates_remind() == 0


# --- The printed mandate ---


def test_the_printed_mandate_carries_the_exact_consent_text_and_its_hash(client, tmp_path):
    mandate = pending_mandate()
    login_verified(client, mandate.created_by)
    response = client.get(reverse("mediation:mandate_pdf", args=[mandate.public_id]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    path = tmp_path / "mandat.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert mandate.consent_text_sha256 in flat.replace(" ", "")
    assert mandate.person.full_name in flat
    assert "Simulation de droits" in flat and "Rendez-vous" in flat


# --- The organisation's and the person's pages ---


def test_a_mediator_creates_the_record_of_a_person_without_email(client):
    user = mediator()
    login_verified(client, user)
    org = user.mediation_memberships.get().organisation
    data = {
        "first_name": "Josette",
        "last_name": "Perrin",
        "birth_date": "1941-07-14",
        "address_line": "8 rue Jean Jaurès",
        "postal_code": "69120",
        "city": "Vaulx-en-Velin",
        "organisation": org.pk,
        "families": ["simulation", "social_aids"],
        "duration": "6m",
    }
    response = client.post(reverse("mediation:person_create"), data)
    assert response.status_code == 302
    mandate = Mandate.objects.get()
    assert mandate.person.user is None and mandate.person.contact_channel == "postal"
    assert mandate.consent_method == ConsentMethod.IN_PERSON
    identity = {"identity_document": "passport", "identity_document_end": "x7-2k"}
    response = client.post(reverse("mediation:mandate_sign", args=[mandate.public_id]), identity)
    assert response.status_code == 400  # the box not ticked
    client.post(reverse("mediation:mandate_sign", args=[mandate.public_id]), {**identity, "signed": "on"})
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.ACTIVE
    assert (mandate.identity_document, mandate.identity_document_end) == ("passport", "X72K")


@pytest.mark.parametrize(
    "bad",
    [
        {"address_line": "", "postal_code": "6912", "birth_date": "2099-01-01"},
        {"families": ["pirate"], "duration": "forever", "organisation": "abc"},
        {"birth_date": "14/07/41x", "first_name": "J" * 400},
    ],
)
def test_bad_input_on_the_record_form_keeps_what_was_typed(client, bad):
    user = mediator()
    login_verified(client, user)
    org = user.mediation_memberships.get().organisation
    data = {
        "first_name": "Josette",
        "last_name": "Perrin",
        "birth_date": "1941-07-14",
        "address_line": "8 rue Jean Jaurès",
        "postal_code": "69120",
        "city": "Vaulx-en-Velin",
        "organisation": org.pk,
        "families": ["simulation"],
        "duration": "6m",
        **bad,
    }
    response = client.post(reverse("mediation:person_create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Le formulaire contient des erreurs" in html
    assert 'value="Perrin"' in html
    assert not Mandate.objects.exists()


def test_a_mandate_for_an_account_holder_is_found_by_email(client):
    holder = UserFactory()
    user = mediator()
    login_verified(client, user)
    org = user.mediation_memberships.get().organisation
    data = {
        "email": holder.email.upper(),
        "organisation": org.pk,
        "families": ["housing"],
        "duration": "1d",
        "consent_method": "remote_account",
    }
    assert client.post(reverse("mediation:mandate_create"), data).status_code == 302
    assert Mandate.objects.get().person == holder.person
    response = client.post(reverse("mediation:mandate_create"), {**data, "email": "inconnu@example.org"})
    assert response.status_code == 200
    assert "Aucun compte usager" in response.content.decode()


def test_the_person_sees_every_mandate_and_every_action_done_under_it(client):
    holder = UserFactory()
    mandate = active_mandate(person=holder.person)
    other = active_mandate()
    client.force_login(holder)
    html = client.get(reverse("mediation:mine")).content.decode()
    assert mandate.organisation.name in html
    assert other.organisation.name not in html
    assert "Mandat donné à une organisation de médiation" in html  # the consent, from the journal
    assert mandate.created_by.person.full_name in html
    assert "Révoquer tout le mandat" in html
