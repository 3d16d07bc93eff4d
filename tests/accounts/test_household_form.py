import datetime
from decimal import Decimal

import pytest

from guichet.accounts import services
from guichet.accounts.forms import last_twelve_months
from guichet.accounts.models import Household, HouseholdDraft, MonthlyResource
from guichet.audit.models import AuditEvent
from tests.factories import household_data

pytestmark = pytest.mark.django_db

HOUSING = {"commune_insee": "69266", "housing": "tenant", "monthly_rent": "612,50", "action": "next"}
MEMBERS = {
    "self-first_name": "Alex",
    "self-birth_date": "1988-05-17",
    "self-situation": "employed",
    "members-TOTAL_FORMS": "1",
    "members-INITIAL_FORMS": "0",
    "members-MIN_NUM_FORMS": "0",
    "members-MAX_NUM_FORMS": "11",
    "members-0-relationship": "child",
    "members-0-first_name": "Sam",
    "members-0-birth_date": "2015-03-02",
    "members-0-situation": "student",
    "members-0-school_level": "college",
    "action": "next",
}


@pytest.fixture
def filled(citizen_client, territory):
    """A citizen who went through the four steps and stands on the recap page."""
    client = citizen_client
    client.get("/compte/foyer/")
    assert client.post("/compte/foyer/etape/1/", HOUSING).status_code == 302
    assert client.post("/compte/foyer/etape/2/", MEMBERS).status_code == 302
    month = last_twelve_months()[-1]
    response = client.post("/compte/foyer/etape/3/", {f"r_0_{month:%Y-%m}_salary": "1 450,00", "action": "next"})
    assert response.status_code == 302
    assert (
        client.post("/compte/foyer/etape/4/", {"last_year_taxable_income": "16000", "action": "next"})["Location"]
        == "/compte/foyer/recapitulatif/"
    )
    return client


def test_each_step_shows_its_position(citizen_client, territory):
    response = citizen_client.get("/compte/foyer/etape/1/")
    assert "Étape 1 sur 4" in response.content.decode()


def test_the_four_steps_then_the_recap_save_the_household(filled, citizen):
    recap = filled.get("/compte/foyer/recapitulatif/").content.decode()
    assert "Villeurbanne" in recap
    assert "612,50" in recap
    assert not Household.objects.exists()  # nothing applied before confirmation
    response = filled.post("/compte/foyer/recapitulatif/")
    assert response.status_code == 302
    household = Household.objects.get(person=citizen.person)
    assert household.commune_insee == "69266"
    assert household.monthly_rent == Decimal("612.50")
    assert household.last_year_taxable_income == Decimal("16000")
    assert [(m.relationship, m.first_name) for m in household.members.all()] == [("self", "Alex"), ("child", "Sam")]
    resource = MonthlyResource.objects.get()
    assert resource.amount == Decimal("1450.00")
    assert resource.kind == "salary"
    assert not HouseholdDraft.objects.exists()
    assert AuditEvent.objects.filter(action="household_updated", subject=citizen.person.pseudonym).count() == 1


def test_the_draft_is_saved_at_each_step_and_resumed(citizen_client, citizen, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    draft = HouseholdDraft.objects.get(person=citizen.person)
    assert draft.step == 2
    assert draft.data["housing"]["commune_insee"] == "69266"
    # Coming back later resumes where the person stopped, with what they typed.
    assert citizen_client.get("/compte/foyer/")["Location"] == "/compte/foyer/etape/2/"
    page = citizen_client.get("/compte/foyer/etape/1/").content.decode()
    assert 'value="69266" selected' in page


def test_steps_cannot_be_skipped(citizen_client, territory):
    citizen_client.get("/compte/foyer/")
    assert citizen_client.get("/compte/foyer/etape/3/")["Location"] == "/compte/foyer/etape/1/"
    assert citizen_client.get("/compte/foyer/etape/9/")["Location"] == "/compte/foyer/etape/1/"


def test_going_back_keeps_the_step(citizen_client, citizen, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    response = citizen_client.post("/compte/foyer/etape/2/", {**MEMBERS, "action": "previous"})
    assert response["Location"] == "/compte/foyer/etape/1/"
    assert HouseholdDraft.objects.get().data["members"][1]["first_name"] == "Sam"


def test_a_tenant_must_give_the_rent_and_the_rest_is_kept(citizen_client, territory):
    response = citizen_client.post("/compte/foyer/etape/1/", {**HOUSING, "monthly_rent": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Indiquez le montant de votre loyer." in html
    assert 'value="69266" selected' in html
    assert 'value="tenant"' in html and "checked" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("commune_insee", "99999", "Sélectionnez un choix valide."),
        ("housing", "castle", "Sélectionnez un choix valide."),
        ("monthly_rent", "-5", "supérieure ou égale à 0"),
        ("monthly_rent", "beaucoup", "Saisissez un nombre."),
        ("monthly_rent", "99999999999", "inférieure ou égale à 1"),
    ],
)
def test_bad_housing_input_is_explained(citizen_client, territory, field, value, message):
    response = citizen_client.post("/compte/foyer/etape/1/", {**HOUSING, field: value})
    assert response.status_code == 200
    assert message in response.content.decode().replace("\u202f", " ").replace("\xa0", " ")
    assert not HouseholdDraft.objects.filter(step__gt=1).exists()


def test_a_birth_date_in_the_future_is_refused(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    response = citizen_client.post("/compte/foyer/etape/2/", {**MEMBERS, "members-0-birth_date": future})
    html = response.content.decode()
    assert "Cette date est dans le futur." in html
    assert 'value="Sam"' in html


def test_two_partners_are_refused(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    data = {
        **MEMBERS,
        "members-TOTAL_FORMS": "2",
        "members-0-relationship": "partner",
        "members-1-relationship": "partner",
        "members-1-first_name": "Kim",
        "members-1-birth_date": "1990-01-01",
        "members-1-situation": "employed",
    }
    response = citizen_client.post("/compte/foyer/etape/2/", data)
    assert "Un foyer ne peut compter qu&#x27;un seul conjoint" in response.content.decode()


def test_adding_a_person_keeps_what_was_typed(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    response = citizen_client.post("/compte/foyer/etape/2/", {**MEMBERS, "action": "add_member"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Sam"' in html
    assert 'name="members-1-first_name"' in html
    assert 'name="members-TOTAL_FORMS" value="2"' in html


def test_a_tampered_management_form_is_an_error_not_a_crash(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    response = citizen_client.post("/compte/foyer/etape/2/", {**MEMBERS, "members-TOTAL_FORMS": "abc"})
    assert response.status_code == 200
    response = citizen_client.post(
        "/compte/foyer/etape/2/", {**MEMBERS, "members-TOTAL_FORMS": "abc", "action": "add_member"}
    )
    assert response.status_code == 200


def test_negative_resources_are_refused(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    citizen_client.post("/compte/foyer/etape/2/", MEMBERS)
    month = last_twelve_months()[0]
    response = citizen_client.post("/compte/foyer/etape/3/", {f"r_0_{month:%Y-%m}_salary": "-10"})
    assert response.status_code == 200
    assert "supérieure ou égale à 0" in response.content.decode()


def test_removing_a_member_drops_their_resources(citizen_client, citizen, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    citizen_client.post("/compte/foyer/etape/2/", MEMBERS)
    month = last_twelve_months()[0]
    citizen_client.post("/compte/foyer/etape/3/", {f"r_1_{month:%Y-%m}_salary": "100", "action": "next"})
    assert "1" in HouseholdDraft.objects.get().data["resources"]
    citizen_client.post("/compte/foyer/etape/2/", {**MEMBERS, "members-0-DELETE": "on"})
    assert HouseholdDraft.objects.get().data["resources"] == {}


def test_the_recap_of_an_incomplete_draft_sends_back_to_the_steps(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    assert citizen_client.get("/compte/foyer/recapitulatif/")["Location"] == "/compte/foyer/etape/2/"


def test_editing_starts_from_the_saved_household(citizen_client, citizen, territory):
    services.household_save(person=citizen.person, data=household_data(), by=citizen)
    page = citizen_client.get("/compte/foyer/etape/1/").content.decode()
    assert 'value="69123" selected' in page
    page = citizen_client.post("/compte/foyer/etape/1/", {**HOUSING, "action": "next"}, follow=True).content.decode()
    assert 'value="Sam"' in page


def test_the_draft_can_be_discarded(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    citizen_client.post("/compte/foyer/abandonner/")
    assert not HouseholdDraft.objects.exists()


def test_staff_cannot_use_the_citizen_household_form(client, territory):
    from tests.factories import UserFactory, login_verified

    login_verified(client, UserFactory(agent=True))
    assert client.get("/compte/foyer/etape/1/").status_code == 403


def test_saving_a_household_again_replaces_members_and_resources(citizen):
    services.household_save(person=citizen.person, data=household_data(), by=citizen)
    data = household_data(members=household_data()["members"][:1], resources={})
    household = services.household_save(person=citizen.person, data=data, by=citizen)
    assert household.members.count() == 1
    assert not MonthlyResource.objects.exists()
