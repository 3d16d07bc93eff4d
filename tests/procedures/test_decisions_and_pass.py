"""Explained decisions (engine figures stored to be recomputed), letters, honest delays, and the Pass'urbain."""

import datetime
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.core import formats
from guichet.procedures import computation, delays, pdf, services
from guichet.procedures.enums import ApplicationStatus, DecisionStatus
from guichet.procedures.models import Application, Subscription
from tests.factories import UserFactory, login_verified
from tests.procedures import factories

pytestmark = pytest.mark.django_db

CANTEEN = {
    "questions": [{"name": "enfant", "label": "Enfant à inscrire", "kind": "member", "required": True}],
    "engine_aid": "metropole_demo_cantine",
    "engine_member_question": "enfant",
}


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


@pytest.fixture
def canteen_decision(family):
    of = factories.procedure(**CANTEEN)
    return factories.decided(citizen=family, of=of, answers={"enfant": "Sam|2015-03-02"})


def test_a_decision_with_the_engine_stores_what_is_needed_to_recompute_it(canteen_decision):
    decision = canteen_decision
    assert decision.engine_aid == "metropole_demo_cantine"
    assert decision.computed_value is not None
    assert decision.engine_result["inputs"]["members"][1]["birth_date"] == "2015-03-02"
    assert {"engine_version", "model_version", "rules_version"} <= set(decision.engine_versions)
    assert decision.engine_explanation["member"]["inputs"]["age"] == 11
    assert computation.recompute(decision) == decision.computed_value


def test_the_decision_letter_states_the_motivation_the_figure_and_how_to_contest(canteen_decision, tmp_path):
    text = " ".join(pdf_text(pdf.decision_letter(canteen_decision), tmp_path).split())
    assert "Les conditions de la demande sont remplies." in text
    assert " ".join(formats.euros(canteen_decision.computed_value).split()) in text
    assert "recours gracieux" in text
    assert "tribunal administratif" in text
    assert "deux mois" in text
    assert "R421-1" in text
    assert "L311-3-1" in text


def test_the_person_downloads_their_signed_decision_letter(client, canteen_decision):
    login_verified(client, canteen_decision.application.applicant.user)
    response = client.get(reverse("procedures:decision_letter", args=[canteen_decision.public_id]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_decision_awaiting_signature_is_not_shown_to_the_person(client):
    decision = factories.awaiting_signature()
    login_verified(client, decision.application.applicant.user)
    assert client.get(reverse("procedures:decision_letter", args=[decision.public_id])).status_code == 404


def test_the_receipt_gives_the_number_and_the_target_delay(tmp_path):
    application = factories.submitted()
    text = pdf_text(pdf.receipt(application), tmp_path)
    assert application.receipt_number in text
    assert "10 jours" in text


def test_the_expected_delay_needs_enough_decisions(settings):
    settings.PROCEDURE_DELAY_MIN_DECISIONS = 3
    of = factories.procedure()
    assert not delays.expected_delay(of).enough
    now = timezone.now()
    for days in (2, 4, 6, 8, 30):
        application = factories.submitted(of=of)
        Application.objects.filter(pk=application.pk).update(
            submitted_at=now - datetime.timedelta(days=days), decided_at=now
        )
    delay = delays.expected_delay(of)
    assert (delay.count, delay.median_days, delay.p90_days) == (5, 6.0, 21.2)


def test_the_tariff_grid_last_voted_applies_after_its_end(monkeypatch):
    import dataclasses

    from guichet.rights.engine import local

    aids = dict(local.local_aids())
    aids["metropole_demo_cantine"] = dataclasses.replace(
        aids["metropole_demo_cantine"], end=datetime.date(2026, 8, 31)
    )
    monkeypatch.setattr(local, "local_aids", lambda: aids)
    assert computation.period_for("metropole_demo_cantine", datetime.date(2026, 11, 22)) == "2026-08"
    assert computation.period_for("metropole_demo_transport_solidaire", datetime.date(2026, 11, 22)) == "2026-11"


# --- Pass'urbain ---


@pytest.fixture
def pass_urbain(territory):
    return factories.procedure(slug="pass-urbain", kind="pass_urbain", questions=[])


def test_the_pass_urbain_enrols_members_with_prices_from_the_family_quotient(client, family, pass_urbain):
    login_verified(client, family)
    client.post(reverse("procedures:start", args=["pass-urbain"]))
    application = Application.objects.get(applicant=family.person)
    response = client.post(
        reverse("procedures:step", args=[application.public_id, 1]),
        {
            "action": "next",
            "canteen": ["Sam|2015-03-02"],
            "transport": ["Alex|1988-05-17", "Sam|2015-03-02"],
            "library": ["Sam|2015-03-02"],
        },
    )
    assert response.status_code == 302
    client.post(reverse("procedures:recap", args=[application.public_id]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    decision = application.decisions.get()
    assert decision.is_automated and decision.status == DecisionStatus.SIGNED
    subscriptions = Subscription.objects.filter(application=application)
    assert subscriptions.count() == 4
    library = subscriptions.get(service__kind="library")
    assert library.price == 0
    canteen = subscriptions.get(service__kind="canteen")
    assert canteen.price < 4.80 and canteen.band
    page = client.get(reverse("procedures:subscriptions")).content.decode()
    assert "Restauration scolaire" in page and "Sam" in page


def test_a_pass_urbain_without_any_service_chosen_is_refused(client, family, pass_urbain):
    login_verified(client, family)
    client.post(reverse("procedures:start", args=["pass-urbain"]))
    application = Application.objects.get(applicant=family.person)
    response = client.post(reverse("procedures:step", args=[application.public_id, 1]), {"action": "next"})
    assert "Choisissez au moins un service" in response.content.decode()


def test_renewing_the_pass_urbain_reuses_the_choices_and_documents(family, pass_urbain):
    first = services.application_start(procedure=pass_urbain, applicant=family.person, by=family)
    services.application_draft_save(
        application=first, by=family, answers={"selections": {"library": ["Sam|2015-03-02"]}}, step=2
    )
    document = factories.upload(family)
    first.documents.add(document)
    first = services.application_submit(application=first, by=family)
    services.pass_urbain_decide(application=first)
    renewal = services.pass_urbain_renew(applicant=family.person, by=family)
    assert renewal.renewal_of == first
    assert renewal.answers["selections"] == {"library": ["Sam|2015-03-02"]}
    assert list(renewal.documents.all()) == [document]
    services.application_submit(application=renewal, by=family)
    services.pass_urbain_decide(application=renewal)
    assert Subscription.objects.get(application=first).status == "renewed"
    assert Subscription.objects.get(application=renewal).status == "active"


def test_an_automated_decision_can_be_reviewed_by_an_agent(family, pass_urbain):
    agent = UserFactory(agent=True)
    pass_urbain.team.members.add(agent)
    application = services.application_start(procedure=pass_urbain, applicant=family.person, by=family)
    services.application_draft_save(
        application=application, by=family, answers={"selections": {"library": ["Sam|2015-03-02"]}}, step=2
    )
    services.application_submit(application=application, by=family)
    decision = services.pass_urbain_decide(application=application)
    review = services.review_request(decision=decision, by=family, message="Mon enfant n'est plus scolarisé ici.")
    assert review.assigned_to is not None


def test_the_demo_procedures_load_twice_without_change(territory):
    from guichet.accounts.demo import load as load_accounts
    from guichet.procedures.demo import load
    from guichet.procedures.models import ProcedureType, Team

    load_accounts()
    load()
    load()
    assert ProcedureType.objects.count() == 4
    education = Team.objects.get(slug="education")
    assert set(education.members.values_list("email", flat=True)) == {
        "agent@demo.guichet.fr",
        "superviseure@demo.guichet.fr",
        "agent.recours@demo.guichet.fr",
    }
    canteen = ProcedureType.objects.get(slug="inscription-cantine")
    canteen.full_clean()
    assert canteen.documents.get().slug == "justificatif-domicile"
