"""The pages: a citizen files step by step, follows the case; agents work their team's queue."""

import pytest
from django.urls import reverse

from guichet.procedures import services
from guichet.procedures.enums import ApplicationStatus
from guichet.procedures.models import Application
from tests.factories import UserFactory, login_verified
from tests.procedures import factories

pytestmark = pytest.mark.django_db


def test_the_catalogue_lists_open_procedures_to_everyone(client):
    factories.procedure(name="Carte de stationnement")
    factories.procedure(name="Démarche fermée", is_active=False)
    page = client.get(reverse("procedures:catalog")).content.decode()
    assert "Carte de stationnement" in page
    assert "Démarche fermée" not in page


def test_a_citizen_files_step_by_step_then_submits_from_the_recap(client, citizen):
    of = factories.procedure()
    login_verified(client, citizen)
    response = client.post(reverse("procedures:start", args=[of.slug]))
    application = Application.objects.get(applicant=citizen.person)
    assert response["Location"] == reverse("procedures:step", args=[application.public_id, 1])
    response = client.post(response["Location"], {"action": "next", "motif": "Nouvelle voiture"})
    assert response["Location"] == reverse("procedures:recap", args=[application.public_id])
    application.refresh_from_db()
    assert application.answers == {"motif": "Nouvelle voiture"} and application.step == 2
    recap = client.get(reverse("procedures:recap", args=[application.public_id])).content.decode()
    assert "Nouvelle voiture" in recap
    response = client.post(reverse("procedures:recap", args=[application.public_id]), follow=True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.receipt_number in response.content.decode()


def test_starting_again_resumes_the_draft_instead_of_creating_another(client, citizen):
    of = factories.procedure()
    login_verified(client, citizen)
    client.post(reverse("procedures:start", args=[of.slug]))
    client.post(reverse("procedures:start", args=[of.slug]))
    assert Application.objects.filter(applicant=citizen.person).count() == 1


def test_an_empty_answer_shows_an_error_and_nothing_moves(client, citizen):
    application = factories.draft(citizen=citizen, answers={"motif": "Premier motif"})
    login_verified(client, citizen)
    response = client.post(
        reverse("procedures:step", args=[application.public_id, 1]), {"action": "next", "motif": ""}
    )
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in response.content.decode()
    application.refresh_from_db()
    assert application.answers["motif"] == "Premier motif"


def test_a_tampered_household_member_is_refused(client, family):
    of = factories.procedure(questions=[{"name": "enfant", "label": "Enfant", "kind": "member", "required": True}])
    application = factories.draft(citizen=family, of=of, answers={})
    login_verified(client, family)
    response = client.post(
        reverse("procedures:step", args=[application.public_id, 1]), {"action": "next", "enfant": "Intrus|2010-01-01"}
    )
    assert response.status_code == 200
    assert "Choisissez une personne parmi celles proposées." in response.content.decode()


def test_the_only_child_of_the_household_is_prefilled(family):
    of = factories.procedure(questions=[{"name": "enfant", "label": "Enfant", "kind": "member", "required": True}])
    application = services.application_start(procedure=of, applicant=family.person, by=family)
    assert application.answers == {"enfant": "Sam|2015-03-02"}


def test_a_submission_crashing_after_the_receipt_number_is_kept(transactional_db, client, monkeypatch):
    """The service commits before anything is rendered: a crash while answering loses nothing."""
    from guichet.procedures.views import citizen as views

    citizen = UserFactory()
    application = factories.draft(citizen=citizen)
    login_verified(client, citizen)

    def crash(*args, **kwargs):
        raise RuntimeError("the server died while answering")

    monkeypatch.setattr(views, "redirect", crash)
    with pytest.raises(RuntimeError):
        client.post(reverse("procedures:recap", args=[application.public_id]))
    kept = Application.objects.get(pk=application.pk)
    assert kept.status == ApplicationStatus.SUBMITTED
    assert kept.receipt_number.startswith("GUI-")
    monkeypatch.undo()
    page = client.get(reverse("procedures:detail", args=[application.public_id])).content.decode()
    assert kept.receipt_number in page


def test_the_case_page_shows_the_timeline_and_no_expected_delay_without_enough_decisions(client):
    application = factories.submitted()
    page = login_verified(client, application.applicant.user).get(
        reverse("procedures:detail", args=[application.public_id])
    )
    text = page.content.decode()
    assert "pas encore assez de décisions" in text
    assert "Déposé" in text


def test_a_citizen_message_reaches_the_case(client):
    application = factories.submitted()
    login_verified(client, application.applicant.user)
    response = client.post(reverse("procedures:message", args=[application.public_id]), {"body": "Une question."})
    assert response.status_code == 302
    assert application.messages.get().body == "Une question."


def test_an_empty_message_gets_an_error(client):
    application = factories.submitted()
    login_verified(client, application.applicant.user)
    response = client.post(reverse("procedures:message", args=[application.public_id]), {"body": ""})
    assert response.status_code == 400
    assert "Le formulaire contient des erreurs" in response.content.decode()


# --- Back-office ---


def test_the_queue_shows_only_my_teams_cases(client):
    agent = UserFactory(agent=True)
    mine = factories.submitted(of=factories.procedure(for_team=factories.team(agent)))
    theirs = factories.submitted()
    page = login_verified(client, agent).get(reverse("procedures:queue")).content.decode()
    assert mine.receipt_number in page
    assert theirs.receipt_number not in page


def test_the_queue_filters_by_status_and_searches_by_receipt_number_and_name(client):
    agent = UserFactory(agent=True)
    of = factories.procedure(for_team=factories.team(agent))
    first, second = factories.submitted(of=of), factories.in_review(of=of, agent=agent)
    login_verified(client, agent)
    page = client.get(reverse("procedures:queue"), {"status": "in_review"}).content.decode()
    assert second.receipt_number in page and first.receipt_number not in page
    page = client.get(reverse("procedures:queue"), {"q": first.receipt_number}).content.decode()
    assert first.receipt_number in page and second.receipt_number not in page
    page = client.get(reverse("procedures:queue"), {"q": second.applicant.last_name}).content.decode()
    assert second.receipt_number in page
    page = client.get(reverse("procedures:queue"), {"mine": "on"}).content.decode()
    assert second.receipt_number in page and first.receipt_number not in page


def test_the_queue_is_paginated(client, django_assert_max_num_queries):
    agent = UserFactory(agent=True)
    of = factories.procedure(for_team=factories.team(agent))
    for _ in range(27):
        factories.submitted(of=of)
    login_verified(client, agent)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("procedures:queue")).content.decode()
    assert "Page 1 sur 2" in page
    assert "Page 2 sur 2" in client.get(reverse("procedures:queue"), {"page": 2}).content.decode()


def test_the_csv_export_lists_the_filtered_cases(client):
    agent = UserFactory(agent=True)
    application = factories.submitted(of=factories.procedure(for_team=factories.team(agent)))
    application.applicant.first_name = "=HYPERLINK()"
    application.applicant.save()
    response = login_verified(client, agent).get(reverse("procedures:export"))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert application.receipt_number in body
    assert ";'=HYPERLINK() " in body


def test_the_next_case_button_opens_the_oldest_waiting_case(client):
    agent = UserFactory(agent=True)
    application = factories.submitted(of=factories.procedure(for_team=factories.team(agent)))
    response = login_verified(client, agent).post(reverse("procedures:next"))
    assert response["Location"] == reverse("procedures:case", args=[application.public_id])


def test_a_private_annotation_is_never_shown_to_the_person(client):
    application = factories.submitted()
    agent = application.procedure.team.members.first()
    login_verified(client, agent).post(
        reverse("procedures:case_annotate", args=[application.public_id]), {"body": "Vérifier l'adresse, douteuse."}
    )
    assert "douteuse" in client.get(reverse("procedures:case", args=[application.public_id])).content.decode()
    page = login_verified(client, application.applicant.user).get(
        reverse("procedures:detail", args=[application.public_id])
    )
    assert "douteuse" not in page.content.decode()


def test_a_tampered_transition_gets_a_clear_error_and_changes_nothing(client):
    application = factories.submitted()
    agent = application.procedure.team.members.first()
    login_verified(client, agent)
    url = reverse("procedures:case_transition", args=[application.public_id])
    response = client.post(url, {"to": "accepted"}, follow=True)
    assert "demande une décision signée" in response.content.decode() or "Impossible" in response.content.decode()
    response = client.post(url, {"to": "n-importe-quoi"}, follow=True)
    assert "Cet état n&#x27;existe pas" in response.content.decode()
    assert factories.status_of(application) == ApplicationStatus.SUBMITTED


def test_a_tampered_decision_outcome_is_refused(client):
    application = factories.in_review()
    agent = application.procedure.team.members.first()
    login_verified(client, agent)
    response = client.post(
        reverse("procedures:case_decide", args=[application.public_id]),
        {"outcome": "granted-twice", "motivation": "Une motivation suffisamment longue."},
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not application.decisions.exists()


def test_an_agent_requests_information_from_the_case_page(client):
    application = factories.in_review()
    agent = application.procedure.team.members.first()
    login_verified(client, agent).post(
        reverse("procedures:case_transition", args=[application.public_id]),
        {"to": "info_requested", "message": "Merci de joindre une facture récente."},
    )
    assert factories.status_of(application) == ApplicationStatus.INFO_REQUESTED
    assert application.messages.get().from_agent


def test_a_supervisor_signs_from_the_parapheur(client):
    decision = factories.awaiting_signature()
    supervisor = decision.application.procedure.team.members.get(role="supervisor")
    login_verified(client, supervisor)
    assert decision.application.receipt_number in client.get(reverse("procedures:signatures")).content.decode()
    client.post(reverse("procedures:decision_sign", args=[decision.public_id]))
    decision.refresh_from_db()
    assert decision.status == "signed"


def test_the_decider_sees_the_review_but_cannot_decide_it(client):
    review = factories.review()
    login_verified(client, review.decision.decided_by)
    url = reverse("procedures:review", args=[review.public_id])
    assert "doit examiner ce recours" in client.get(url).content.decode()
    response = client.post(url, {"outcome": "accepted", "motivation": "Je confirme ma propre décision, bien sûr."})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.status == "open"
