import re
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from guichet.accounts import services as account_services
from guichet.accounts.forms import last_twelve_months
from guichet.accounts.models import Household, User
from guichet.core.formats import euros
from guichet.rights import questionnaire
from guichet.rights.engine.benefits import BENEFITS_BY_ID
from guichet.rights.models import SavedSimulation, TakeUpRecord
from guichet.rights.simulation import calculation_lines, monthly_equivalent, simulate
from tests.factories import PASSWORD, UserFactory, household_data

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
    "members-0-school_level": "college",
    "members-1-relationship": "child",
    "members-1-first_name": "Fatou",
    "members-1-birth_date": "2019-02-20",
    "members-1-situation": "student",
    "members-1-school_level": "primaire",
    "action": "next",
}
RESOURCES = {"avg_0_salary": "950", "last_year_taxable_income": "10800", "action": "next"}
RECEIVED = {"action": "next"}


def _answer(client, received: dict | None = None):
    client.post("/droits/commencer/", {"source": "empty"})
    assert client.post("/droits/etape/1/", HOUSING)["Location"] == "/droits/etape/2/"
    assert client.post("/droits/etape/2/", MEMBERS)["Location"] == "/droits/etape/3/"
    assert client.post("/droits/etape/3/", RESOURCES)["Location"] == "/droits/etape/4/"
    assert client.post("/droits/etape/4/", {**RECEIVED, **(received or {})})["Location"] == "/droits/resultats/"


def _simulated(client):
    household = questionnaire.household_input(client.session[questionnaire.SESSION_KEY]["data"])
    return household, simulate(household, questionnaire.current_period())


def _text(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def test_an_anonymous_visitor_simulates_without_an_account(client, territory):
    _answer(client)
    page = _text(client.get("/droits/resultats/").content.decode())
    assert "Prime d'activité" in page
    assert "Allocations familiales" in page
    assert "Tarification solidaire des transports en commun" in page
    assert "Les aides auxquelles vous n'avez pas droit" in page
    # Amounts shown are the engine's for the answers given, in the French way, and the total says its convention.
    _household, simulated = _simulated(client)
    ppa = next(outcome for outcome in simulated.national if outcome.id == "ppa")
    assert ppa.eligible
    assert f"{euros(ppa.amount)} par mois" in page
    assert f"Total estimé : {euros(simulated.monthly_total)} par mois" in page
    assert "une fois toutes les aides indiquées obtenues" in page
    # Nothing personal is kept: only which aids were found, under a random pseudonym.
    assert not Household.objects.exists()
    records = TakeUpRecord.objects.all()
    assert {r.benefit for r in records} >= {"ppa", "af"}
    assert len({r.pseudonym for r in records}) == 1
    client.get("/droits/resultats/")
    assert TakeUpRecord.objects.count() == len(records)  # recorded once per simulation


def test_each_aid_not_due_says_why_with_its_own_figure(client, territory):
    _answer(client)
    page = _text(client.get("/droits/resultats/").content.decode())
    _household, simulated = _simulated(client)
    sentences = [outcome.reason_text for outcome in simulated.not_due]
    assert sentences and all(sentence in page for sentence in sentences)
    by_code = {outcome.reason.code: outcome.reason_text for outcome in simulated.not_due}
    assert len(set(by_code.values())) == len(by_code)  # different conditions, different sentences
    assert "L'ASPA est versée à partir de 65 ans ; vous avez 36 ans." in page or "aspa.age" not in by_code
    assert "les conditions de cette aide ne sont pas remplies" not in page


def test_aids_received_are_asked_and_marked(client, territory):
    _answer(client)
    page = client.post("/droits/etape/4/", {**RECEIVED, "af": "148,52", "aide_logement": "abc"}).content.decode()
    assert "Saisissez un nombre." in page or "Enter a number." in page
    assert 'value="148,52"' in page  # what was typed is kept
    client.post("/droits/etape/4/", {**RECEIVED, "af": "148,52"})
    assert client.session[questionnaire.SESSION_KEY]["data"]["received"] == {"af": "148.52"}
    page = _text(client.get("/droits/resultats/").content.decode())
    assert f"Vous la recevez déjà ({euros(Decimal('148.52'))} par mois d'après vos réponses)." in page
    assert "dont" in page and "que vous ne recevez pas encore" in page


def test_questionnaire_steps_show_progress_and_keep_bad_input(client, territory):
    client.post("/droits/commencer/", {"source": "empty"})
    page = client.get("/droits/etape/1/").content.decode()
    assert "Étape 1 sur 4" in page
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
    detail = citizen_client.get(response["Location"]).content.decode()
    assert f"{euros(saved.monthly_total)} par mois" in _text(detail)
    assert {r.pseudonym for r in TakeUpRecord.objects.all()} == {citizen.person.pseudonym}


def test_a_result_computed_anonymously_is_kept_when_the_visitor_creates_an_account(client, territory):
    _answer(client)
    assert "Créer un compte pour garder ce résultat" in client.get("/droits/resultats/").content.decode()
    response = client.post("/droits/resultats/garder/")
    assert response["Location"] == "/compte/inscription/"
    anonymous = {record.pseudonym for record in TakeUpRecord.objects.all()}
    client.post(
        response["Location"],
        {
            "first_name": "Amina",
            "last_name": "Diallo",
            "email": "amina@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    user = User.objects.get(email="amina@example.org")
    account_services.email_verify(token=account_services.email_verification_token(user))
    client.post("/compte/connexion/", {"email": "amina@example.org", "password": PASSWORD})
    saved = SavedSimulation.objects.get(person=user.person)
    assert saved.monthly_total > 0
    # The simulation made before counts as this person's from now on (non-take-up is measured per person).
    assert {record.pseudonym for record in TakeUpRecord.objects.all()} == {user.person.pseudonym}
    assert len(anonymous) == 1
    # Kept once: logging in again saves nothing more.
    client.logout()
    client.post("/compte/connexion/", {"email": "amina@example.org", "password": PASSWORD})
    assert SavedSimulation.objects.count() == 1


def test_corrections_update_the_household_only_with_consent(citizen_client, citizen, territory):
    account_services.household_save(person=citizen.person, data=_demo_household(), by=citizen)
    citizen_client.post("/droits/commencer/", {"source": "correct"})
    page = citizen_client.get("/droits/etape/1/").content.decode()
    assert 'value="69256" selected' in page  # prefilled from the household
    citizen_client.post("/droits/etape/1/", {**HOUSING, "commune_insee": "69123"})
    citizen_client.post("/droits/etape/2/", MEMBERS)
    citizen_client.post("/droits/etape/3/", RESOURCES)
    citizen_client.post("/droits/etape/4/", {**RECEIVED, "aide_logement": "210"})
    citizen_client.post("/droits/resultats/mettre-a-jour-mon-foyer/", {})
    assert Household.objects.get().commune_insee == "69256"
    citizen_client.post("/droits/resultats/mettre-a-jour-mon-foyer/", {"consent": "yes"})
    household = Household.objects.get()
    assert household.commune_insee == "69123"
    assert household.already_received == {"aide_logement": "210"}
    assert household.members.get(first_name="Moussa").school_level == "college"


def test_another_persons_saved_simulation_answers_404(citizen_client, territory):
    other = UserFactory()
    account_services.household_save(person=other.person, data=_demo_household(), by=other)
    from guichet.rights.engine.from_models import household_input_from_model
    from guichet.rights.services import simulation_save

    simulated = simulate(household_input_from_model(other.person.household), questionnaire.current_period())
    saved = simulation_save(person=other.person, simulated=simulated, by=other)
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
    assert "une fois toutes les aides" in text


def test_understanding_the_calculation_shows_lines_that_add_up_to_the_amount(client, territory):
    _answer(client)
    household, simulated = _simulated(client)
    for outcome in simulated.due:
        lines = calculation_lines(household, outcome.id, simulated.period)
        total = sum((amount for _label, amount in lines), Decimal(0))
        expected = Decimal(0) if outcome.definition["kind"] == "boolean" else outcome.amount
        assert total == expected, outcome.id
        page = _text(client.get(f"/droits/explication/{outcome.id}/").content.decode())
        for label, amount in lines:
            assert label in page and euros(abs(amount), cents=True) in page, (outcome.id, label)
    not_due = simulated.not_due[0]
    page = _text(client.get(f"/droits/explication/{not_due.id}/").content.decode())
    assert not_due.reason_text in page
    assert client.get(f"/droits/explication/{not_due.id}/detail-technique/").status_code == 200
    assert client.get("/droits/explication/inconnue/").status_code == 404
    assert client.get("/droits/explication/metropole_demo_cantine/detail-technique/").status_code == 404


def test_a_local_aid_explanation_gives_each_members_tariff_or_reason(client, territory):
    _answer(client)
    page = _text(client.get("/droits/explication/metropole_demo_cantine/").content.decode())
    assert "Pour Fatou" in page and "Pour Amina" in page
    assert f"au lieu de {euros(4.8)}" in page  # Fatou, 7, eats at the canteen at a reduced price
    assert "de 3 à 11 ans ; vous avez 12 ans" in page  # Moussa is too old for the school canteen: his age is said
    assert "24 juin 2024" in page  # the deliberation's date, in French


def _demo_household() -> dict:
    months = {f"{m:%Y-%m}": {"salary": "950.00"} for m in last_twelve_months()}
    return household_data(
        housing={"commune_insee": "69256", "housing": "social_tenant", "monthly_rent": "520.00"},
        members=[
            {"relationship": "self", "first_name": "Amina", "birth_date": "1990-04-12", "situation": "employed"},
            {
                "relationship": "child",
                "first_name": "Moussa",
                "birth_date": "2014-09-03",
                "situation": "student",
                "school_level": "college",
            },
            {
                "relationship": "child",
                "first_name": "Fatou",
                "birth_date": "2019-02-20",
                "situation": "student",
                "school_level": "primaire",
            },
        ],
        resources={"0": months},
    )


def test_current_period_is_this_month():
    assert questionnaire.current_period() == f"{timezone.localdate():%Y-%m}"


def test_yearly_amounts_count_a_twelfth_per_month_and_say_per_year():
    # The school grants hold a year's amount on a monthly variable: shown per year, a twelfth per month.
    assert BENEFITS_BY_ID["bourse_college"].amount_period == "year"
    assert monthly_equivalent(BENEFITS_BY_ID["bourse_college"], 336.0) == Decimal("28.00")
    assert monthly_equivalent(BENEFITS_BY_ID["ars"], 881.68) == Decimal("73.47")
    assert monthly_equivalent(BENEFITS_BY_ID["ppa"], 623.934) == Decimal("623.93")
    # The CSS participation is a monthly amount (the model's label says yearly), and no money paid to the household.
    assert BENEFITS_BY_ID["css_participation"].amount_period == "month"
    assert monthly_equivalent(BENEFITS_BY_ID["css_participation"], 30.0) == Decimal(0)
