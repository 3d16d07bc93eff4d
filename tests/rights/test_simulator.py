import subprocess

import pytest
from django.utils import timezone

from guichet.accounts import services as account_services
from guichet.accounts.forms import last_twelve_months
from guichet.accounts.models import Household
from guichet.rights import questionnaire, results
from guichet.rights.models import SavedSimulation, TakeUpRecord
from tests.factories import UserFactory, household_data

pytestmark = pytest.mark.django_db

HOUSING = {"commune_insee": "69256", "housing": "social_tenant", "monthly_rent": "520", "action": "next"}
MEMBERS = {
    "self-first_name": "Amina",
    "self-birth_date": "1990-04-12",
    "self-situation": "employed",
    "members-TOTAL_FORMS": "2",
    "members-INITIAL_FORMS": "0",
    "members-MIN_NUM_FORMS": "0",
    "members-MAX_NUM_FORMS": "11",
    "members-0-relationship": "child",
    "members-0-first_name": "Moussa",
    "members-0-birth_date": "2014-09-03",
    "members-0-situation": "student",
    "members-1-relationship": "child",
    "members-1-first_name": "Fatou",
    "members-1-birth_date": "2019-02-20",
    "members-1-situation": "student",
    "action": "next",
}
RESOURCES = {"avg_0_salary": "950", "last_year_taxable_income": "10800", "action": "next"}


def _answer(client):
    client.post("/droits/commencer/", {"source": "empty"})
    assert client.post("/droits/etape/1/", HOUSING)["Location"] == "/droits/etape/2/"
    assert client.post("/droits/etape/2/", MEMBERS)["Location"] == "/droits/etape/3/"
    assert client.post("/droits/etape/3/", RESOURCES)["Location"] == "/droits/resultats/"


def test_an_anonymous_visitor_simulates_without_an_account(client, territory):
    _answer(client)
    page = client.get("/droits/resultats/").content.decode()
    assert "Prime d&#x27;activité" in page or "Prime d'activité" in page
    assert "Allocations familiales" in page
    assert "Tarification solidaire des transports en commun" in page
    assert "Les aides auxquelles vous n'avez pas droit" in page
    # Amounts shown are the engine's, for the answers given.
    household = questionnaire.household_input(client.session[questionnaire.SESSION_KEY]["data"])
    computed = results.compute(household, questionnaire.current_period())
    ppa = f"{computed.benefits['ppa'].amount:.2f}".replace(".", ",")
    assert computed.benefits["ppa"].eligible
    assert ppa in page
    # Nothing personal is kept: only which aids were found, under a random pseudonym.
    assert not Household.objects.exists()
    records = TakeUpRecord.objects.all()
    assert {r.benefit for r in records} >= {"ppa", "af"}
    assert len({r.pseudonym for r in records}) == 1
    client.get("/droits/resultats/")
    assert TakeUpRecord.objects.count() == len(records)  # recorded once per simulation


def test_questionnaire_steps_show_progress_and_keep_bad_input(client, territory):
    client.post("/droits/commencer/", {"source": "empty"})
    page = client.get("/droits/etape/1/").content.decode()
    assert "Étape 1 sur 3" in page
    response = client.post("/droits/etape/1/", {**HOUSING, "monthly_rent": "", "housing": "tenant"})
    html = response.content.decode()
    assert "Indiquez le montant de votre loyer." in html
    assert 'value="69256" selected' in html
    assert client.get("/droits/etape/3/")["Location"] == "/droits/etape/1/"


def test_results_without_answers_send_back_to_the_start(client):
    response = client.get("/droits/resultats/")
    assert response["Location"] == "/droits/"


def test_a_citizen_uses_the_saved_household_and_saves_the_result(citizen_client, citizen, territory):
    account_services.household_save(person=citizen.person, data=_demo_household(), by=citizen)
    assert "Nous utilisons votre foyer" in citizen_client.get("/droits/").content.decode()
    response = citizen_client.post("/droits/commencer/", {"source": "household"})
    assert response["Location"] == "/droits/resultats/"
    page = citizen_client.get("/droits/resultats/").content.decode()
    assert "Enregistrer dans mon compte" in page
    assert "Mettre à jour mon foyer" not in page
    response = citizen_client.post("/droits/resultats/enregistrer/")
    saved = SavedSimulation.objects.get(person=citizen.person)
    assert response["Location"] == f"/droits/mes-simulations/{saved.public_id}/"
    assert saved.versions["model_version"] == "176.1.8"
    assert saved.inputs["commune_insee"] == "69256"
    assert saved.monthly_total > 0
    assert citizen_client.get(response["Location"]).status_code == 200
    assert {r.pseudonym for r in TakeUpRecord.objects.all()} == {citizen.person.pseudonym}


def test_corrections_update_the_household_only_with_consent(citizen_client, citizen, territory):
    account_services.household_save(person=citizen.person, data=_demo_household(), by=citizen)
    citizen_client.post("/droits/commencer/", {"source": "correct"})
    page = citizen_client.get("/droits/etape/1/").content.decode()
    assert 'value="69256" selected' in page  # prefilled from the household
    citizen_client.post("/droits/etape/1/", {**HOUSING, "commune_insee": "69123"})
    citizen_client.post("/droits/etape/2/", MEMBERS)
    citizen_client.post("/droits/etape/3/", RESOURCES)
    citizen_client.post("/droits/resultats/mettre-a-jour-mon-foyer/", {})
    assert Household.objects.get().commune_insee == "69256"
    citizen_client.post("/droits/resultats/mettre-a-jour-mon-foyer/", {"consent": "yes"})
    assert Household.objects.get().commune_insee == "69123"


def test_another_persons_saved_simulation_answers_404(citizen_client, territory):
    other = UserFactory()
    account_services.household_save(person=other.person, data=_demo_household(), by=other)
    from guichet.rights.engine.from_models import household_input_from_model
    from guichet.rights.services import simulation_save

    result = results.compute(household_input_from_model(other.person.household), questionnaire.current_period())
    saved = simulation_save(person=other.person, result=result, by=other)
    assert citizen_client.get(f"/droits/mes-simulations/{saved.public_id}/").status_code == 404


def test_the_results_pdf_renders(client, territory, tmp_path):
    _answer(client)
    response = client.get("/droits/resultats/pdf/")
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "droits.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True
    )
    assert (tmp_path / "page-1.png").stat().st_size > 1000
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Allocations familiales" in text


def test_an_explanation_is_shown_for_each_aid(client, territory):
    _answer(client)
    response = client.get("/droits/explication/ppa/")
    assert response.status_code == 200
    assert client.get("/droits/explication/inconnue/").status_code == 404


def _demo_household() -> dict:
    months = {f"{m:%Y-%m}": {"salary": "950.00"} for m in last_twelve_months()}
    return household_data(
        housing={"commune_insee": "69256", "housing": "social_tenant", "monthly_rent": "520.00"},
        members=[
            {"relationship": "self", "first_name": "Amina", "birth_date": "1990-04-12", "situation": "employed"},
            {"relationship": "child", "first_name": "Moussa", "birth_date": "2014-09-03", "situation": "student"},
            {"relationship": "child", "first_name": "Fatou", "birth_date": "2019-02-20", "situation": "student"},
        ],
        resources={"0": months},
    )


def test_current_period_is_this_month():
    assert questionnaire.current_period() == f"{timezone.localdate():%Y-%m}"


def test_yearly_amounts_count_a_twelfth_per_month_and_say_per_year():
    from decimal import Decimal

    from guichet.rights.engine.benefits import BENEFITS_BY_ID

    # The model computes school grants on a month but labels them "Montant annuel": shown per year.
    assert BENEFITS_BY_ID["bourse_college"].amount_period == "year"
    assert results.monthly_equivalent("bourse_college", 336.0) == Decimal("28.00")
    assert results.monthly_equivalent("ars", 881.68) == Decimal("73.47")
    assert results.monthly_equivalent("ppa", 623.934) == Decimal("623.93")
