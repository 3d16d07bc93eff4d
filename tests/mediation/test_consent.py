"""Who gives the consent: a person who has an account, by their own action only; at the counter, only without one.

The attack these tests reproduce: a mediator who knows an account's email address prepared a mandate "signed in
person", ticked "signed" and acted, and the person's applications were listed.
"""

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from guichet.audit.models import AuditEvent
from guichet.catalog.models import Service
from guichet.mediation import services
from guichet.mediation.acting import SESSION_KEY
from guichet.mediation.enums import ConsentMethod, Family, MandateState
from guichet.mediation.models import CONFIRM_WITHIN_DAYS, Mandate
from guichet.notifications.channels.sms import FakeSmsGateway
from guichet.notifications.models import Notification
from guichet.procedures import services as procedure_services
from tests.factories import PASSWORD, UserFactory, login_verified
from tests.mediation.factories import active_mandate, mediator, pending_mandate, postal_person, sign_in_person
from tests.procedures import factories as procedure_factories

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    FakeSmsGateway.outbox.clear()


@pytest.fixture
def transport(territory):
    return procedure_factories.procedure(
        slug="pass-transport", name="Pass transport solidaire", service=Service.objects.get(slug="transports")
    )


def _html(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def _form_data(user, holder, **overrides) -> dict:
    return {
        "email": holder.email,
        "organisation": user.mediation_memberships.get().organisation.pk,
        "families": ["transport"],
        "duration": "1m",
        "consent_method": "remote_account",
        **overrides,
    }


def _act(client, mandate, family=Family.TRANSPORT):
    login_verified(client, mandate.created_by)
    return client.post(reverse("mediation:acting_start", args=[mandate.public_id]), {"family": family})


def _signed_by_the_mediator_alone(mandate: Mandate) -> Mandate:
    """What the screens allowed before: an account holder's mandate recorded as signed at the counter."""
    now = timezone.now()
    Mandate.objects.filter(pk=mandate.pk).update(
        consent_method=ConsentMethod.IN_PERSON,
        consented_at=now,
        consented_by=mandate.created_by,
        starts_at=now,
        expires_at=now + datetime.timedelta(days=30),
        identity_document="id_card",
        identity_document_end="1234",
    )
    mandate.refresh_from_db()
    return mandate


# --- The attack ---


def test_the_reported_attack_no_longer_lists_the_persons_applications(client, transport):
    holder = UserFactory()
    application = procedure_factories.submitted(citizen=holder, of=transport)
    user = mediator()
    login_verified(client, user)
    client.post(reverse("mediation:mandate_create"), _form_data(user, holder, consent_method="in_person"))
    for mandate in Mandate.objects.filter(person=holder.person):  # whatever the screens still let through
        signed = {"signed": "on", "identity_document": "id_card", "identity_document_end": "1234"}
        client.post(reverse("mediation:mandate_sign", args=[mandate.public_id]), signed)
        client.post(reverse("mediation:acting_start", args=[mandate.public_id]), {"family": "transport"})
    html = _html(client.get(reverse("procedures:mine")))
    assert application.receipt_number not in html and transport.name not in html


def test_a_mediator_cannot_prepare_an_in_person_mandate_for_someone_who_has_an_account(client):
    holder = UserFactory()
    user = mediator()
    login_verified(client, user)
    response = client.post(reverse("mediation:mandate_create"), _form_data(user, holder, consent_method="in_person"))
    assert response.status_code == 200
    assert "Une personne qui a un compte donne son accord depuis son compte" in _html(response)
    assert not Mandate.objects.exists()
    with pytest.raises(ValidationError, match="Cette personne a un compte"):
        pending_mandate(person=holder.person, by=user, method=ConsentMethod.IN_PERSON)


def test_an_account_holders_mandate_signed_by_the_mediator_alone_never_allows_acting(client, transport):
    holder = UserFactory()
    procedure_factories.submitted(citizen=holder, of=transport)
    mandate = _signed_by_the_mediator_alone(pending_mandate(person=holder.person, families=[Family.TRANSPORT]))
    assert not Mandate.objects.active().filter(pk=mandate.pk).exists()

    response = _act(client, mandate)
    assert response.status_code == 400
    assert "n'a pas été confirmé par la personne elle-même" in _html(response)
    assert SESSION_KEY not in client.session
    response = client.get(reverse("procedures:mine"))
    assert response.status_code == 403
    assert "Pass transport solidaire" not in _html(response)
    with pytest.raises(PermissionDenied):
        procedure_services.application_start(procedure=transport, applicant=holder.person, by=mandate.created_by)


def test_a_session_already_acting_under_such_a_mandate_is_ended_at_the_next_request(client, transport):
    holder = UserFactory()
    procedure_factories.submitted(citizen=holder, of=transport)
    mandate = active_mandate(person=holder.person, families=[Family.TRANSPORT])
    assert _act(client, mandate).status_code == 302
    _signed_by_the_mediator_alone(mandate)
    response = client.get(reverse("procedures:mine"))
    assert response.status_code == 403
    assert "n'a pas été confirmé" in _html(response)
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.get(action="acting_refused").data["reason"] == "unconfirmed"


# --- Confirmation from the person's account ---


def test_the_person_is_told_sees_the_whole_request_and_confirms_it_from_their_account(client, transport):
    holder = UserFactory()
    user = mediator()
    login_verified(client, user)
    assert client.post(reverse("mediation:mandate_create"), _form_data(user, holder)).status_code == 302
    mandate = Mandate.objects.get()
    assert mandate.state() == MandateState.PENDING

    [told] = Notification.objects.filter(person=holder.person, kind="mandate_requested")
    assert mandate.organisation.name in told.subject
    assert user.person.full_name in told.body and "Transports" in told.body and "1 mois" in told.body
    assert _act(client, mandate).status_code == 400  # nothing is possible before the answer

    client.force_login(holder)
    html = _html(client.get(reverse("mediation:mine")))
    assert "Ce mandat attend votre accord." in html
    for shown in (user.person.full_name, mandate.organisation.name, "Transports", "1 mois à compter de votre accord"):
        assert shown in html
    assert mandate.consent_text.splitlines()[0] in html and mandate.consent_text_sha256 in html
    assert date_format(timezone.localtime(mandate.confirm_before), "j F Y à H:i") in html
    client.post(reverse("mediation:my_mandate_accept", args=[mandate.public_id]), {"consent": "yes"})

    mandate.refresh_from_db()
    assert mandate.state() == MandateState.ACTIVE
    assert mandate.consent_method == ConsentMethod.REMOTE_ACCOUNT and mandate.consented_by == holder
    consented = AuditEvent.objects.get(action="mandate_consented")
    assert consented.actor == holder.person.pseudonym
    assert consented.data["sha256"] == mandate.consent_text_sha256
    assert Notification.objects.filter(person=holder.person, kind="mandate_consented").exists()
    assert _act(client, mandate).status_code == 302


def test_the_person_refuses_a_request_and_it_can_never_be_used(client):
    holder = UserFactory()
    mandate = pending_mandate(person=holder.person, method=ConsentMethod.REMOTE_CODE)
    client.force_login(holder)
    response = client.post(reverse("mediation:my_mandate_refuse", args=[mandate.public_id]))
    assert response.status_code == 302
    assert "vous avez refusé le mandat" in _html(client.get(reverse("mediation:mine"))).lower()
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.REFUSED
    refused = AuditEvent.objects.get(action="mandate_refused")
    assert refused.actor == holder.person.pseudonym and refused.data["sha256"] == mandate.consent_text_sha256
    with pytest.raises(ValidationError, match="a refusé"):
        services.mandate_accept(mandate=mandate, by=holder)
    with pytest.raises(ValidationError, match="a refusé"):
        services.consent_code_send(mandate=mandate, channel="email", by=mandate.created_by)
    assert _act(client, mandate, Family.SIMULATION).status_code == 400


def test_only_the_person_can_confirm_or_refuse_their_mandate():
    holder = UserFactory()
    mandate = pending_mandate(person=holder.person)
    for someone in (UserFactory(), mandate.created_by):
        with pytest.raises(ValidationError, match="ne vous concerne pas"):
            services.mandate_accept(mandate=mandate, by=someone)
        with pytest.raises(ValidationError, match="ne vous concerne pas"):
            services.mandate_refuse(mandate=mandate, by=someone)


def test_a_request_not_confirmed_in_time_lapses():
    holder = UserFactory()
    with time_machine.travel(T0, tick=False) as traveller:
        mandate = pending_mandate(person=holder.person)
        assert mandate.confirm_before == T0 + datetime.timedelta(days=CONFIRM_WITHIN_DAYS)
        traveller.move_to(mandate.confirm_before)
        assert mandate.state() == MandateState.LAPSED
        assert not Mandate.objects.pending().exists()
        with pytest.raises(ValidationError, match="Le délai pour confirmer ce mandat est passé"):
            services.mandate_accept(mandate=mandate, by=holder)


# --- A one-time code sent to the person ---


def test_a_code_sent_to_the_verified_address_confirms_the_mandate(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    holder = UserFactory()
    mandate = pending_mandate(person=holder.person, method=ConsentMethod.REMOTE_CODE, families=[Family.TRANSPORT])
    login_verified(client, mandate.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mediation:code_send", args=[mandate.public_id]), {"channel": "email"})
    [mail] = [m for m in mailoutbox if "code" in m.subject]
    assert mail.to == [holder.email]
    assert mandate.created_by.person.full_name in mail.body and mandate.organisation.name in mail.body
    code = re.search(r"\b(\d{6})\b", mail.body).group(1)
    response = client.post(reverse("mediation:code_check", args=[mandate.public_id]), {"code": code})
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.ACTIVE and mandate.consent_method == ConsentMethod.REMOTE_CODE
    assert Notification.objects.filter(person=holder.person, kind="mandate_consented").exists()
    assert _act(client, mandate).status_code == 302


def test_no_code_goes_to_an_address_that_was_never_verified(client):
    holder = UserFactory(unverified=True)
    with pytest.raises(ValidationError, match="ni adresse électronique vérifiée ni téléphone"):
        pending_mandate(person=holder.person, method=ConsentMethod.REMOTE_CODE)
    holder.person.phone = "0612345678"
    holder.person.save()
    mandate = pending_mandate(person=holder.person, method=ConsentMethod.REMOTE_CODE)
    login_verified(client, mandate.created_by)
    response = client.post(reverse("mediation:code_send", args=[mandate.public_id]), {"channel": "email"})
    assert response.status_code == 400
    assert "L'adresse électronique de cette personne n'est pas vérifiée" in _html(response)


def _code_by_sms(client, mandate, django_capture_on_commit_callbacks) -> str:
    login_verified(client, mandate.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mediation:code_send", args=[mandate.public_id]), {"channel": "sms"})
    return re.search(r"\b(\d{6})\b", FakeSmsGateway.outbox[-1].text).group(1)


def _check(client, mandate, code):
    return client.post(reverse("mediation:code_check", args=[mandate.public_id]), {"code": code})


def test_a_wrong_code_is_refused_with_a_clear_message(client, django_capture_on_commit_callbacks):
    mandate = pending_mandate(person=postal_person(phone="0612345678"), method=ConsentMethod.REMOTE_CODE)
    code = _code_by_sms(client, mandate, django_capture_on_commit_callbacks)
    response = _check(client, mandate, "000000" if code != "000000" else "111111")
    assert response.status_code == 400
    assert "Ce code n'est pas le bon." in _html(response)
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.PENDING


def test_an_expired_code_is_refused_with_a_clear_message(client, django_capture_on_commit_callbacks):
    mandate = pending_mandate(person=postal_person(phone="0612345678"), method=ConsentMethod.REMOTE_CODE)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        code = _code_by_sms(client, mandate, django_capture_on_commit_callbacks)
        traveller.shift(datetime.timedelta(minutes=services.CONSENT_CODE_MINUTES, seconds=1))
        response = _check(client, mandate, code)
    assert response.status_code == 400
    assert "Ce code a expiré. Envoyez-en un nouveau." in _html(response)


def test_a_code_serves_once(client, django_capture_on_commit_callbacks):
    mandate = pending_mandate(person=postal_person(phone="0612345678"), method=ConsentMethod.REMOTE_CODE)
    code = _code_by_sms(client, mandate, django_capture_on_commit_callbacks)
    assert _check(client, mandate, code).status_code == 302
    response = _check(client, mandate, code)
    assert response.status_code == 400
    assert "Ce code a déjà servi" in _html(response)
    assert AuditEvent.objects.filter(action="mandate_consented").count() == 1


def test_an_earlier_code_stops_working_when_a_new_one_is_sent(client, django_capture_on_commit_callbacks):
    mandate = pending_mandate(person=postal_person(phone="0612345678"), method=ConsentMethod.REMOTE_CODE)
    first = _code_by_sms(client, mandate, django_capture_on_commit_callbacks)
    second = _code_by_sms(client, mandate, django_capture_on_commit_callbacks)
    if first != second:
        assert "Ce code n'est pas le bon." in _html(_check(client, mandate, first))
    assert _check(client, mandate, second).status_code == 302


# --- At the counter, for a person without an account ---


def test_the_mediator_records_the_identity_document_and_only_the_end_of_its_number(client):
    mandate = pending_mandate()
    login_verified(client, mandate.created_by)
    whole = "180769300412"
    response = client.post(
        reverse("mediation:mandate_sign", args=[mandate.public_id]),
        {"identity_document": "id_card", "identity_document_end": whole, "signed": "on"},
    )
    assert response.status_code == 400
    html = _html(response)
    assert "jamais le numéro entier" in html
    assert whole not in html  # a whole number typed by mistake is not shown back
    mandate.refresh_from_db()
    assert mandate.state() == MandateState.PENDING
    response = client.post(
        reverse("mediation:mandate_sign", args=[mandate.public_id]),
        {"identity_document": "id_card", "identity_document_end": "0412", "signed": "on"},
    )
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert (mandate.identity_document, mandate.identity_document_end) == ("id_card", "0412")
    consented = AuditEvent.objects.get(action="mandate_consented")
    assert consented.data["identity_document"] == "id_card" and "0412" not in str(consented.data)
    assert "Carte nationale d'identité — numéro se terminant par 0412" in _html(
        client.get(reverse("mediation:mandate", args=[mandate.public_id]))
    )


@pytest.mark.parametrize(
    ("document", "end", "message"),
    [("", "0412", "Choisissez la pièce d'identité"), ("not_recorded", "0412", "Choisissez la pièce d'identité")],
)
def test_signing_at_the_counter_needs_an_identity_check(document, end, message):
    mandate = pending_mandate()
    with pytest.raises(ValidationError, match=message):
        services.mandate_sign_in_person(
            mandate=mandate, by=mandate.created_by, identity_document=document, identity_document_end=end
        )


def test_the_database_never_keeps_more_than_the_last_4_characters():
    mandate = sign_in_person(pending_mandate())
    with pytest.raises(DatabaseError), transaction.atomic():  # a check on SQLite, the column's length on PostgreSQL
        Mandate.objects.filter(pk=mandate.pk).update(identity_document_end="180769300412"[-5:])
    with pytest.raises(IntegrityError), transaction.atomic():
        Mandate.objects.filter(pk=mandate.pk).update(identity_document="")


def test_a_record_taken_over_before_the_signature_is_confirmed_by_the_person_themself(client):
    mandate = pending_mandate(families=[Family.SIMULATION])
    code = services.takeover_code_issue(person=mandate.person, by=mandate.created_by)
    user = services.account_takeover(
        code=code, birth_date=mandate.person.birth_date, email="josette@example.org", password=PASSWORD
    )
    with pytest.raises(ValidationError, match="a maintenant un compte"):
        sign_in_person(mandate)
    services.mandate_accept(mandate=mandate, by=user)
    assert Mandate.objects.active().filter(pk=mandate.pk).exists()


def test_a_mandate_signed_at_the_counter_stays_valid_once_the_person_opens_their_account(client):
    mandate = active_mandate(families=[Family.SIMULATION])
    code = services.takeover_code_issue(person=mandate.person, by=mandate.created_by)
    services.account_takeover(
        code=code, birth_date=mandate.person.birth_date, email="josette@example.org", password=PASSWORD
    )
    assert Mandate.objects.active().filter(pk=mandate.pk).exists()
    assert _act(client, mandate, Family.SIMULATION).status_code == 302


# --- Reminders of requests waiting for an answer ---


def test_each_waiting_request_is_told_once():
    holder = UserFactory()
    mandate = pending_mandate(person=holder.person)
    Notification.objects.all().delete()
    assert services.mandate_requests_remind() == 1
    assert services.mandate_requests_remind() == 0
    assert Notification.objects.get(kind="mandate_requested").person == holder.person
    sign_in_person(pending_mandate())  # a person without an account is never sent such a message
    assert mandate.state() == MandateState.PENDING
    assert services.mandate_requests_remind() == 0
