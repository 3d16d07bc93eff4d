import pytest
from django.test import Client

from guichet.accounts.models import Consent, Person
from guichet.audit.models import AuditEvent
from tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db


def test_a_consent_is_given_then_withdrawn_with_dates(citizen_client, citizen):
    citizen_client.post("/compte/consentements/", {"purpose": "data_reuse"})
    consent = Consent.objects.get()
    assert consent.withdrawn_at is None
    citizen_client.post(f"/compte/consentements/{consent.public_id}/retirer/")
    consent.refresh_from_db()
    assert consent.withdrawn_at >= consent.given_at
    actions = list(AuditEvent.objects.filter(subject=citizen.person.pseudonym).values_list("action", flat=True))
    assert actions == ["consent_given", "consent_withdrawn"]
    # Giving it again is a new record: the history stays.
    citizen_client.post("/compte/consentements/", {"purpose": "data_reuse"})
    assert Consent.objects.count() == 2
    assert Consent.objects.active().count() == 1


def test_giving_the_same_consent_twice_keeps_one_active(citizen_client):
    citizen_client.post("/compte/consentements/", {"purpose": "proactive_rights"})
    citizen_client.post("/compte/consentements/", {"purpose": "proactive_rights"})
    assert Consent.objects.count() == 1


def test_an_unknown_purpose_is_refused_clearly(citizen_client):
    response = citizen_client.post("/compte/consentements/", {"purpose": "sell_my_data"}, follow=True)
    assert "Cette finalité n&#x27;existe pas." in response.content.decode()
    assert not Consent.objects.exists()


def test_withdrawing_twice_says_it_is_already_withdrawn(citizen_client):
    citizen_client.post("/compte/consentements/", {"purpose": "data_reuse"})
    consent = Consent.objects.get()
    citizen_client.post(f"/compte/consentements/{consent.public_id}/retirer/")
    response = citizen_client.post(f"/compte/consentements/{consent.public_id}/retirer/", follow=True)
    assert "déjà été retiré" in response.content.decode()


def test_another_persons_consent_answers_404(citizen_client):
    other = UserFactory()
    client = Client()
    client.force_login(other)
    client.post("/compte/consentements/", {"purpose": "data_reuse"})
    consent = Consent.objects.get(person=other.person)
    response = citizen_client.post(f"/compte/consentements/{consent.public_id}/retirer/")
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_the_profile_is_updated_and_the_audit_names_fields_not_values(citizen_client, citizen):
    data = {
        "first_name": "Camille",
        "last_name": "Durand",
        "birth_date": "1980-02-29",
        "phone": "0601020304",
        "address_line": "3 rue de la Paix",
        "postal_code": "69003",
        "city": "Lyon",
        "preferred_language": "fr",
        "contact_channel": "postal",
    }
    response = citizen_client.post("/compte/profil/", data)
    assert response.status_code == 302
    person = Person.objects.get(user=citizen)
    assert (person.first_name, person.contact_channel) == ("Camille", "postal")
    event = AuditEvent.objects.get(action="profile_updated")
    assert "first_name" in event.data["fields"]
    assert "Camille" not in str(event.data)


def test_postal_contact_needs_a_full_address_and_keeps_the_input(citizen_client):
    data = {"first_name": "Camille", "last_name": "Durand", "preferred_language": "fr", "contact_channel": "postal"}
    response = citizen_client.post("/compte/profil/", data)
    html = response.content.decode()
    assert "indiquez votre adresse complète" in html
    assert 'value="Camille"' in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postal_code", "6900", "5 chiffres."),
        ("birth_date", "2999-01-01", "Cette date est dans le futur."),
        ("birth_date", "pas une date", "Saisissez une date valide."),
        ("contact_channel", "pigeon", "Sélectionnez un choix valide."),
    ],
)
def test_bad_profile_input_is_explained(citizen_client, field, value, message):
    data = {"first_name": "Camille", "last_name": "Durand", "preferred_language": "fr", "contact_channel": "email"}
    response = citizen_client.post("/compte/profil/", {**data, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_journal_lists_only_my_events(citizen_client):
    other = UserFactory()
    client = Client()
    client.force_login(other)
    client.post("/compte/consentements/", {"purpose": "data_reuse"})
    citizen_client.post("/compte/consentements/", {"purpose": "proactive_rights"})
    page = citizen_client.get("/compte/journal/").content.decode()
    assert page.count("Consentement donné") == 1


def test_a_role_change_in_the_admin_is_audited(client):
    admin = UserFactory(admin=True)
    target = UserFactory()
    login_verified(client, admin)
    response = client.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "email": target.email,
            "role": "agent",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "person-TOTAL_FORMS": "1",
            "person-INITIAL_FORMS": "1",
            "person-MIN_NUM_FORMS": "0",
            "person-MAX_NUM_FORMS": "1",
            "person-0-id": target.person.pk,
            "person-0-user": target.pk,
            "person-0-first_name": target.person.first_name,
            "person-0-last_name": target.person.last_name,
            "person-0-contact_channel": "email",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    target.refresh_from_db()
    assert target.role == "agent"
    event = AuditEvent.objects.get(action="role_changed")
    assert event.data == {"from": "citizen", "to": "agent"}
    assert event.actor == admin.person.pseudonym
