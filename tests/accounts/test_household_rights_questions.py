"""The household questions the rights simulator needs: housing, disability, schooling, unemployment, micro-enterprise,
detailed resources, the two revenus fiscaux de référence and the aids already received."""

import datetime
import importlib
import re
from decimal import Decimal
from html import unescape

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from guichet.accounts import household_form, services
from guichet.accounts.enums import ResourceKind
from guichet.accounts.forms import (
    MemberForm,
    ResourcesForm,
    SelfMemberForm,
    TaxesForm,
    last_twelve_months,
    member_formset,
)
from guichet.accounts.models import Household, HouseholdDraft, HouseholdMember, MonthlyResource
from tests.factories import household_data

pytestmark = pytest.mark.django_db

HOUSING = {
    "commune_insee": "69266",
    "housing": "furnished_tenant",
    "monthly_rent": "480",
    "shared_tenancy": "on",
    "action": "next",
}
MEMBERS = {
    "self-first_name": "Alex",
    "self-birth_date": "1980-05-17",
    "self-situation": "disabled",
    "self-disability_rate": "80 %",
    "self-employment_restriction": "on",
    "members-TOTAL_FORMS": "3",
    "members-INITIAL_FORMS": "0",
    "members-MIN_NUM_FORMS": "0",
    "members-MAX_NUM_FORMS": "11",
    "members-0-relationship": "partner",
    "members-0-first_name": "Kim",
    "members-0-birth_date": "1982-01-09",
    "members-0-situation": "self_employed",
    "members-0-self_employed_activity": "liberal",
    "members-1-relationship": "child",
    "members-1-first_name": "Sam",
    "members-1-birth_date": "2013-03-02",
    "members-1-situation": "student",
    "members-1-school_level": "college",
    "members-2-relationship": "other",
    "members-2-first_name": "Dominique",
    "members-2-birth_date": "1960-10-10",
    "members-2-situation": "unemployed",
    "members-2-unemployed_since": "2026-02-01",
    "action": "next",
}
TAXES = {"last_year_taxable_income": "21 000", "taxable_income_two_years_ago": "19500,50", "action": "next"}


def _html(response) -> str:
    """The page as read: entities decoded, no-break spaces as plain spaces."""
    return unescape(response.content.decode()).replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.UTC), tick=False)
    return datetime.date(2026, 12, 7)


@pytest.fixture
def filled(citizen_client, territory, today):
    """A citizen who answered every new question and stands on the recap page."""
    client = citizen_client
    client.get("/compte/foyer/")
    assert client.post("/compte/foyer/etape/1/", HOUSING)["Location"] == "/compte/foyer/etape/2/"
    assert client.post("/compte/foyer/etape/2/", MEMBERS)["Location"] == "/compte/foyer/etape/3/"
    month = f"{last_twelve_months()[-1]:%Y-%m}"
    resources = {
        f"r_0_{month}_disability_pension": "700",
        f"r_1_{month}_self_employed": "2 100",
        f"r_1_{month}_child_support_paid": "150",
        "action": "next",
    }
    assert client.post("/compte/foyer/etape/3/", resources)["Location"] == "/compte/foyer/etape/4/"
    assert client.post("/compte/foyer/etape/4/", TAXES)["Location"] == "/compte/foyer/recapitulatif/"
    return client


# --- The draft: exactly the shape the rights simulator reads ---


def test_the_steps_write_the_draft_in_the_agreed_shape(filled, citizen):
    data = HouseholdDraft.objects.get(person=citizen.person).data
    assert data["housing"] == {
        "commune_insee": "69266",
        "housing": "furnished_tenant",
        "monthly_rent": "480",
        "shared_tenancy": True,
    }
    assert data["members"] == [
        {
            "relationship": "self",
            "first_name": "Alex",
            "birth_date": "1980-05-17",
            "situation": "disabled",
            "disability_rate": 80,
            "employment_restriction": True,
            "school_level": "",
            "unemployed_since": None,
            "self_employed_activity": "",
        },
        {
            "relationship": "partner",
            "first_name": "Kim",
            "birth_date": "1982-01-09",
            "situation": "self_employed",
            "disability_rate": None,
            "employment_restriction": False,
            "school_level": "",
            "unemployed_since": None,
            "self_employed_activity": "liberal",
        },
        {
            "relationship": "child",
            "first_name": "Sam",
            "birth_date": "2013-03-02",
            "situation": "student",
            "disability_rate": None,
            "employment_restriction": False,
            "school_level": "college",
            "unemployed_since": None,
            "self_employed_activity": "",
        },
        {
            "relationship": "other",
            "first_name": "Dominique",
            "birth_date": "1960-10-10",
            "situation": "unemployed",
            "disability_rate": None,
            "employment_restriction": False,
            "school_level": "",
            "unemployed_since": "2026-02-01",
            "self_employed_activity": "",
        },
    ]
    assert data["resources"] == {
        "0": {"2026-11": {"disability_pension": "700"}},
        "1": {"2026-11": {"self_employed": "2100", "child_support_paid": "150"}},
    }
    assert data["taxes"] == {"last_year_taxable_income": "21000", "taxable_income_two_years_ago": "19500.50"}


def test_a_non_tenant_has_no_rent_and_no_shared_tenancy(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", {**HOUSING, "housing": "owner"})
    assert HouseholdDraft.objects.get().data["housing"] == {
        "commune_insee": "69266",
        "housing": "owner",
        "monthly_rent": None,
        "shared_tenancy": False,
    }


def test_a_furnished_tenant_must_give_the_rent(citizen_client, territory):
    response = citizen_client.post("/compte/foyer/etape/1/", {**HOUSING, "monthly_rent": ""})
    html = _html(response)
    assert "Indiquez le montant de votre loyer." in html
    assert re.search(r'value="furnished_tenant"[^>]*checked', html)
    assert re.search(r'name="shared_tenancy"[^>]*checked', html)
    assert 'value="69266" selected' in html


def test_the_forms_produce_the_agreed_shape_directly(today):
    self_form = SelfMemberForm(
        {"self-first_name": "Alex", "self-birth_date": "1990-01-01", "self-situation": "employed"}, prefix="self"
    )
    assert self_form.is_valid(), self_form.errors
    assert self_form.to_data() == {
        "relationship": "self",
        "first_name": "Alex",
        "birth_date": "1990-01-01",
        "situation": "employed",
        "disability_rate": None,
        "employment_restriction": False,
        "school_level": "",
        "unemployed_since": None,
        "self_employed_activity": "",
    }
    form = TaxesForm({"last_year_taxable_income": "", "taxable_income_two_years_ago": ""})
    assert form.is_valid()
    assert form.to_data() == {"last_year_taxable_income": None, "taxable_income_two_years_ago": None}


# --- The pages show the questions clearly ---


def test_the_housing_step_asks_the_rent_without_charges_and_the_shared_tenancy(citizen_client, territory):
    html = _html(citizen_client.get("/compte/foyer/etape/1/"))
    assert "Loyer mensuel hors charges (en euros)" in html
    assert "quittance de loyer" in html
    assert "Locataire d'un logement meublé" in html
    assert "Vous vivez en colocation" in html


def test_the_members_step_groups_the_details_under_their_legend(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    html = _html(citizen_client.get("/compte/foyer/etape/2/"))
    assert "<legend>Si cela vous concerne</legend>" in html
    assert "<legend>Si cela concerne cette personne</legend>" in html
    for label in (
        "Taux d'incapacité reconnu par la MDPH (en %)",
        "La MDPH a reconnu une restriction substantielle et durable d'accès à l'emploi",
        "École élémentaire",
        "Lycée, CAP ou apprentissage",
        "Pas scolarisé",
        "Sans emploi depuis le",
        "Prestations de services (artisan, commerçant)",
    ):
        assert label in html, label
    # The hints are tied to their inputs.
    assert 'aria-describedby="id_self-disability_rate_helptext"' in html


def test_the_taxes_step_names_the_years_of_the_tax_notices(citizen_client, territory, today):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    citizen_client.post("/compte/foyer/etape/2/", MEMBERS)
    citizen_client.post("/compte/foyer/etape/3/", {"action": "next"})
    html = _html(citizen_client.get("/compte/foyer/etape/4/"))
    assert "Revenu fiscal de référence de votre avis d'impôt 2026 (revenus 2025), en euros" in html
    assert "Revenu fiscal de référence de votre avis d'impôt 2025 (revenus 2024), en euros" in html


def test_the_taxes_step_follows_the_calendar(time_machine):
    time_machine.move_to(datetime.datetime(2027, 1, 15, 10, 0, tzinfo=datetime.UTC), tick=False)
    form = TaxesForm()
    assert "avis d'impôt 2027 (revenus 2026)" in str(form.fields["last_year_taxable_income"].label)
    assert "avis d'impôt 2026 (revenus 2025)" in str(form.fields["taxable_income_two_years_ago"].label)


def test_the_resources_table_has_a_column_per_kind_with_headers(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    citizen_client.post("/compte/foyer/etape/2/", MEMBERS)
    html = _html(citizen_client.get("/compte/foyer/etape/3/"))
    assert len(ResourceKind.choices) == 7
    for _kind, label in ResourceKind.choices:
        assert f'<th scope="col">{label}</th>' in html
    assert "Autres revenus" not in html
    assert '<th scope="row">' in html
    assert "<caption" in html
    month = last_twelve_months()[0]
    assert f'name="r_3_{month:%Y-%m}_child_support_paid"' in html


def test_a_household_of_twelve_can_send_its_resources(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    data = {**MEMBERS, "members-TOTAL_FORMS": "11"}
    for index in range(3, 11):
        data.update(
            {
                f"members-{index}-relationship": "other",
                f"members-{index}-first_name": f"Personne {index}",
                f"members-{index}-birth_date": "1970-01-01",
                f"members-{index}-situation": "inactive",
            }
        )
    assert citizen_client.post("/compte/foyer/etape/2/", data)["Location"] == "/compte/foyer/etape/3/"
    # Every cell of the twelve tables is sent, empty or not, as a browser does.
    form = ResourcesForm(members=HouseholdDraft.objects.get().data["members"], months=last_twelve_months())
    posted = {name: "" for name in form.fields} | {"action": "next"}
    assert len(posted) > 1000
    assert citizen_client.post("/compte/foyer/etape/3/", posted)["Location"] == "/compte/foyer/etape/4/"


# --- Validation: a clear French error, and what was typed stays ---


def _members_step(client, **changes):
    client.post("/compte/foyer/etape/1/", HOUSING)
    response = client.post("/compte/foyer/etape/2/", {**MEMBERS, **changes})
    assert response.status_code == 200
    assert HouseholdDraft.objects.get().step == 2
    return _html(response)


def test_a_disabled_member_must_give_the_disability_rate(citizen_client, territory):
    html = _members_step(citizen_client, **{"self-disability_rate": ""})
    assert "Indiquez le taux d'incapacité reconnu par la MDPH." in html
    assert 'value="Alex"' in html and 'value="Dominique"' in html and 'value="2026-02-01"' in html


@pytest.mark.parametrize("rate", ["150", "-5"])
def test_a_disability_rate_is_between_0_and_100(citizen_client, territory, rate):
    html = _members_step(citizen_client, **{"self-disability_rate": rate})
    assert "Le taux d'incapacité est un pourcentage compris entre 0 et 100." in html
    assert f'value="{rate}"' in html


def test_a_disability_rate_is_a_number(citizen_client, territory):
    html = _members_step(citizen_client, **{"self-disability_rate": "beaucoup"})
    assert "Indiquez le taux en chiffres, par exemple 80." in html
    assert 'value="beaucoup"' in html


def test_a_child_of_school_age_must_give_a_school_level(citizen_client, territory):
    html = _members_step(citizen_client, **{"members-1-school_level": ""})
    assert "Indiquez la classe de l'enfant, ou « Pas scolarisé » s'il ne l'est pas." in html
    assert 'value="Sam"' in html


def test_a_child_under_three_needs_no_school_level_and_none_is_an_answer(today):
    baby = {"relationship": "child", "first_name": "Lou", "birth_date": "2025-01-01", "situation": "child"}
    assert MemberForm(baby).is_valid()
    child = {**baby, "birth_date": "2022-01-01"}
    assert not MemberForm(child).is_valid()
    form = MemberForm({**child, "school_level": "none"})
    assert form.is_valid()
    assert form.to_data()["school_level"] == "none"


def test_a_self_employed_member_must_give_the_activity(citizen_client, territory):
    html = _members_step(citizen_client, **{"members-0-self_employed_activity": ""})
    assert "Indiquez l'activité de la micro-entreprise." in html
    assert 'value="Kim"' in html


def test_unemployed_since_cannot_be_in_the_future(citizen_client, territory):
    future = (datetime.date.today() + datetime.timedelta(days=40)).isoformat()
    html = _members_step(citizen_client, **{"members-2-unemployed_since": future})
    assert "Cette date est dans le futur." in html
    assert f'value="{future}"' in html


def test_unemployed_since_cannot_be_before_the_birth_date(citizen_client, territory):
    html = _members_step(citizen_client, **{"members-2-unemployed_since": "1950-01-01"})
    assert "Cette date est avant la date de naissance." in html
    assert 'value="1950-01-01"' in html


def test_errors_are_in_english_on_english_pages(citizen_client, territory):
    citizen_client.post("/compte/foyer/etape/1/", HOUSING)
    citizen_client.cookies["django_language"] = "en"
    response = citizen_client.post("/compte/foyer/etape/2/", {**MEMBERS, "self-disability_rate": ""})
    html = _html(response)
    assert "Give the incapacity rate recognised by the MDPH." in html
    assert "If this applies to you" in html


# --- Drafts and households from before these questions ---

OLD_DRAFT = {
    "housing": {"commune_insee": "69266", "housing": "tenant", "monthly_rent": "612.50"},
    "members": [
        {"relationship": "self", "first_name": "Alex", "birth_date": "1988-05-17", "situation": "employed"},
        {"relationship": "partner", "first_name": "Kim", "birth_date": "1989-01-01", "situation": "employed"},
    ],
    "resources": {"0": {"2026-11": {"salary": "1450.00", "other": "120.00"}}},
    "taxes": {"last_year_taxable_income": "16000.00"},
}


def test_a_draft_from_before_the_new_questions_still_loads(citizen_client, citizen, territory, today):
    HouseholdDraft.objects.create(person=citizen.person, data=OLD_DRAFT, step=5)
    for step in (1, 2, 3, 4):
        assert citizen_client.get(f"/compte/foyer/etape/{step}/").status_code == 200
    html = _html(citizen_client.get("/compte/foyer/etape/2/"))
    assert 'value="Kim"' in html
    # The old "other" amount shows as alimony received, as the engine read it.
    html = _html(citizen_client.get("/compte/foyer/etape/3/"))
    assert 'name="r_0_2026-11_child_support" value="120.00"' in html
    recap = _html(citizen_client.get("/compte/foyer/recapitulatif/"))
    assert "Pension alimentaire reçue : 120 €" in recap
    assert citizen_client.post("/compte/foyer/recapitulatif/").status_code == 302
    household = Household.objects.get()
    assert household.shared_tenancy is False
    assert household.taxable_income_two_years_ago is None
    assert household.already_received == {}
    member = household.members.get(relationship="partner")
    assert (member.disability_rate, member.employment_restriction, member.school_level) == (None, False, "")
    kinds = set(MonthlyResource.objects.values_list("kind", flat=True))
    assert kinds == {"salary", "child_support"}


def test_old_draft_members_fill_the_forms_with_nothing_given(today):
    formset = member_formset(None, OLD_DRAFT["members"])
    assert formset.forms[0].initial["first_name"] == "Kim"
    assert "disability_rate" not in formset.forms[0].initial


# --- Saving, showing and reading back ---


def test_the_recap_shows_the_new_answers_in_plain_french(filled, citizen):
    draft = HouseholdDraft.objects.get(person=citizen.person)
    draft.data = {**draft.data, "received": {"af": "148.52", "ppa": 90}}
    draft.save()
    html = _html(filled.get("/compte/foyer/recapitulatif/"))
    assert "Locataire d'un logement meublé — loyer hors charges de 480 € par mois — en colocation" in html
    assert "Taux d'incapacité : 80 %" in html
    assert "Restriction substantielle et durable d'accès à l'emploi reconnue par la MDPH" in html
    assert "Classe : Collège" in html
    assert "Sans emploi depuis le 1 février 2026" in html
    assert "Micro-entreprise : Profession libérale" in html
    assert "Chiffre d'affaires de micro-entreprise : 2 100 €" in html
    assert "Pension alimentaire versée : 150 €" in html
    assert "Revenu fiscal de référence de l'avis d'impôt 2026 (revenus 2025)" in html
    assert "21 000 €" in html and "19 500,50 €" in html
    assert "Aides déjà perçues" in html
    # The rights app gives the aids' names (it owns their catalogue).
    assert "Allocations familiales : 148,52 € par mois" in html
    assert "Prime d'activité : 90 € par mois" in html


def test_the_recap_names_the_aids_the_simulator_registers(filled, citizen):
    draft = HouseholdDraft.objects.get(person=citizen.person)
    draft.data = {**draft.data, "received": {"af": "148.52"}}
    draft.save()

    def labels():
        return {"af": "Allocations familiales"}

    household_form.aid_labels_register(labels)
    try:
        html = _html(filled.get("/compte/foyer/recapitulatif/"))
    finally:
        household_form._aid_label_providers.remove(labels)
    assert "Allocations familiales : 148,52 € par mois" in html


def test_confirming_saves_every_new_answer(filled, citizen):
    draft = HouseholdDraft.objects.get(person=citizen.person)
    draft.data = {**draft.data, "received": {"af": "148.52"}}
    draft.save()
    assert filled.post("/compte/foyer/recapitulatif/").status_code == 302
    household = Household.objects.get(person=citizen.person)
    assert household.housing == "furnished_tenant"
    assert household.monthly_rent == Decimal("480")
    assert household.shared_tenancy is True
    assert household.last_year_taxable_income == Decimal("21000")
    assert household.taxable_income_two_years_ago == Decimal("19500.50")
    assert household.already_received == {"af": "148.52"}
    me, partner, child, other = household.members.all()
    assert (me.disability_rate, me.employment_restriction) == (80, True)
    assert partner.self_employed_activity == "liberal"
    assert child.school_level == "college"
    assert other.unemployed_since == datetime.date(2026, 2, 1)
    assert set(MonthlyResource.objects.values_list("kind", flat=True)) == {
        "disability_pension",
        "self_employed",
        "child_support_paid",
    }
    # Editing again starts from every saved answer.
    data = household_form.initial_data(citizen.person)
    assert data["housing"]["shared_tenancy"] is True
    assert data["members"][0]["disability_rate"] == 80
    assert data["members"][0]["employment_restriction"] is True
    assert data["members"][2]["school_level"] == "college"
    assert data["members"][3]["unemployed_since"] == "2026-02-01"
    assert data["members"][1]["self_employed_activity"] == "liberal"
    assert data["taxes"] == {"last_year_taxable_income": "21000.00", "taxable_income_two_years_ago": "19500.50"}
    assert data["received"] == {"af": "148.52"}
    members = member_formset(None, data["members"])
    assert 'value="80"' in str(SelfMemberForm(initial=data["members"][0], prefix="self")["disability_rate"])
    assert '<option value="college" selected>' in str(members.forms[1]["school_level"])


def test_household_save_stores_the_aids_already_received(citizen):
    data = household_data(received={"af": "148.52", "ppa": 90, "css": None, "aah": ""})
    household = services.household_save(person=citizen.person, data=data, by=citizen)
    assert household.already_received == {"af": "148.52", "ppa": "90"}
    household.refresh_from_db()
    assert household.already_received == {"af": "148.52", "ppa": "90"}
    assert household_form.initial_data(citizen.person)["received"] == {"af": "148.52", "ppa": "90"}


@pytest.mark.parametrize("received", [{"af": "-3"}, {"af": "beaucoup"}, ["af"], {"": "10"}])
def test_household_save_refuses_bad_amounts_received(citizen, received):
    with pytest.raises(ValidationError):
        services.household_save(person=citizen.person, data=household_data(received=received), by=citizen)
    assert not Household.objects.exists()


def test_a_bad_amount_received_in_the_draft_is_explained_not_a_crash(filled, citizen):
    draft = HouseholdDraft.objects.get(person=citizen.person)
    draft.data = {**draft.data, "received": {"af": "beaucoup"}}
    draft.save()
    response = filled.post("/compte/foyer/recapitulatif/", follow=True)
    assert response.status_code == 200
    assert "Montant d'aide déjà perçue invalide : af." in _html(response)
    assert not Household.objects.exists()
    assert HouseholdDraft.objects.filter(person=citizen.person).exists()


def test_household_save_reads_an_old_other_resource_as_child_support(citizen):
    data = household_data(resources={"0": {"2026-01": {"other": "50", "child_support": "100"}}})
    services.household_save(person=citizen.person, data=data, by=citizen)
    resource = MonthlyResource.objects.get()
    assert (resource.kind, resource.amount) == ("child_support", Decimal("150"))


def test_a_disability_rate_over_100_never_reaches_the_database(citizen):
    members = [{**household_data()["members"][0], "disability_rate": 120}]
    with pytest.raises(ValidationError):
        services.household_save(person=citizen.person, data=household_data(members=members), by=citizen)
    assert not HouseholdMember.objects.exists()


def test_the_profile_shows_the_rent_without_charges(citizen_client, citizen, territory):
    data = household_data(housing={"commune_insee": "69123", "housing": "tenant", "monthly_rent": "600.00"})
    services.household_save(person=citizen.person, data=data, by=citizen)
    assert "loyer hors charges de 600 € par mois" in _html(citizen_client.get("/compte/"))


# --- The data migration ---

MIGRATION = importlib.import_module("guichet.accounts.migrations.0004_resource_other_becomes_child_support")


def test_the_migration_turns_other_into_child_support(citizen):
    household = services.household_save(person=citizen.person, data=household_data(resources={}), by=citizen)
    me, child = household.members.all()
    january, february = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)
    MonthlyResource.objects.create(member=me, month=january, kind="other", amount=Decimal("80"))
    MonthlyResource.objects.create(member=me, month=january, kind="salary", amount=Decimal("1500"))
    # Same member and month already has alimony: the two amounts are added (one row per member, month and kind).
    MonthlyResource.objects.create(member=me, month=february, kind="other", amount=Decimal("30"))
    MonthlyResource.objects.create(member=me, month=february, kind="child_support", amount=Decimal("100"))
    MonthlyResource.objects.create(member=child, month=january, kind="other", amount=Decimal("5"))
    draft = HouseholdDraft.objects.create(
        person=citizen.person, data={"resources": {"0": {"2026-01": {"other": "20", "child_support": "1.5"}}}}
    )

    MIGRATION.other_to_child_support(apps, None)

    rows = {(r.member_id, r.month, r.kind): r.amount for r in MonthlyResource.objects.all()}
    assert rows == {
        (me.pk, january, "child_support"): Decimal("80"),
        (me.pk, january, "salary"): Decimal("1500"),
        (me.pk, february, "child_support"): Decimal("130"),
        (child.pk, january, "child_support"): Decimal("5"),
    }
    draft.refresh_from_db()
    assert draft.data == {"resources": {"0": {"2026-01": {"child_support": "21.5"}}}}
    assert "always read it as alimony received" in MIGRATION.__doc__


# --- Admin ---


def test_the_admin_shows_the_new_fields(client, citizen):
    from tests.factories import UserFactory, login_verified

    household = services.household_save(
        person=citizen.person, data=household_data(received={"af": "148.52"}), by=citizen
    )
    login_verified(client, UserFactory(admin=True))
    html = client.get(f"/admin/accounts/household/{household.pk}/change/").content.decode()
    for name in (
        "shared_tenancy",
        "taxable_income_two_years_ago",
        "already_received",
        "members-0-disability_rate",
        "members-0-employment_restriction",
        "members-0-school_level",
        "members-0-unemployed_since",
        "members-0-self_employed_activity",
    ):
        assert f'name="{name}"' in html, name
