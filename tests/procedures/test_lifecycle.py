"""The lifecycle of an application: one table of transitions, one service applying it, each change audited."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from guichet.audit.models import AuditEvent
from guichet.notifications.models import Notification
from guichet.procedures import services
from guichet.procedures.enums import ApplicationStatus, DecisionStatus
from guichet.procedures.models import Transition
from guichet.procedures.transitions import TRANSITIONS
from tests.factories import UserFactory
from tests.procedures import factories

pytestmark = pytest.mark.django_db


def test_submitting_gives_a_unique_readable_receipt_number():
    first, second = factories.submitted(), factories.submitted()
    assert re.fullmatch(r"GUI-\d{4}-\d{6}", first.receipt_number)
    assert first.receipt_number != second.receipt_number
    assert first.status == ApplicationStatus.SUBMITTED


def test_each_transition_is_recorded_in_the_timeline_and_the_audit_journal():
    application = factories.in_review()
    assert list(Transition.objects.filter(application=application).values_list("to_status", flat=True)) == [
        "submitted",
        "in_review",
    ]
    events = AuditEvent.objects.filter(action="application_status_changed", target_id=str(application.public_id))
    assert [event.data["to"] for event in events] == ["submitted", "in_review"]


def test_a_transition_not_in_the_table_is_refused_with_a_clear_message():
    application = factories.submitted()
    agent = application.procedure.team.members.first()
    with pytest.raises(ValidationError) as refused:
        services.application_transition(application=application, to=ApplicationStatus.CLOSED, by=agent)
    assert "Impossible de passer ce dossier de l'état « Déposé » à l'état « Clos »" in refused.value.messages[0]
    assert factories.status_of(application) == ApplicationStatus.SUBMITTED


def test_accepting_without_a_signed_decision_is_refused():
    application = factories.in_review()
    agent = application.procedure.team.members.first()
    with pytest.raises(ValidationError, match="décision signée"):
        services.application_transition(application=application, to=ApplicationStatus.ACCEPTED, by=agent)


def test_an_agent_of_another_team_cannot_move_a_case():
    application = factories.submitted()
    with pytest.raises(PermissionDenied):
        services.application_take(application=application, by=UserFactory(agent=True))


def test_another_citizen_cannot_withdraw_a_case():
    application = factories.submitted()
    with pytest.raises(PermissionDenied):
        services.application_withdraw(application=application, by=UserFactory())


def test_every_declared_transition_names_known_statuses():
    for source, target in TRANSITIONS:
        assert source in ApplicationStatus.values and target in ApplicationStatus.values


def test_submitting_twice_keeps_the_first_receipt_number():
    application = factories.submitted()
    again = services.application_submit(application=application, by=application.created_by)
    assert again.receipt_number == application.receipt_number
    assert Transition.objects.filter(application=application).count() == 1


def test_a_draft_missing_a_required_answer_cannot_be_submitted():
    application = factories.draft(answers={"motif": ""})
    with pytest.raises(ValidationError, match="Réponse manquante : Motif de la demande"):
        services.application_submit(application=application, by=application.created_by)
    assert factories.status_of(application) == ApplicationStatus.DRAFT


def test_a_draft_missing_a_required_document_cannot_be_submitted():
    of = factories.procedure(documents=[factories.document_type()])
    application = factories.draft(of=of)
    with pytest.raises(ValidationError, match="Pièce manquante : Justificatif de domicile"):
        services.application_submit(application=application, by=application.created_by)


def test_each_status_change_notifies_the_person_by_email(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application = factories.in_review()
    subjects = [message.subject for message in mail.outbox]
    assert any("déposé" in subject for subject in subjects)
    assert any("en cours d'instruction" in subject for subject in subjects)
    assert all(message.to == [application.applicant.user.email] for message in mail.outbox)


def test_a_person_who_chose_postal_contact_gets_a_letter():
    citizen = UserFactory()
    citizen.person.contact_channel = "postal"
    citizen.person.save()
    factories.submitted(citizen=citizen)
    assert Notification.objects.filter(person=citizen.person, channel="postal").exists()


def test_the_agent_requests_information_and_the_person_answers():
    application = factories.in_review()
    agent = application.procedure.team.members.first()
    services.application_request_info(application=application, by=agent, message="Merci d'envoyer votre avis d'impôt.")
    assert Notification.objects.filter(person=application.applicant, kind="procedure_message").exists()
    citizen = application.applicant.user
    document = factories.upload(citizen)
    application = services.application_resubmit(
        application=application, by=citizen, message="Voici mon avis.", documents=[document]
    )
    assert application.status == ApplicationStatus.RESUBMITTED
    assert application.documents.filter(pk=document.pk).exists()
    assert [m.from_agent for m in application.messages.all()] == [True, False]


def test_answering_when_nothing_was_asked_is_refused():
    application = factories.in_review()
    with pytest.raises(ValidationError, match="Aucune information ne vous est demandée"):
        services.application_resubmit(application=application, by=application.applicant.user, message="Tiens")


def test_the_person_can_withdraw_before_the_decision_but_not_after():
    application = factories.submitted()
    assert services.application_withdraw(application=application, by=application.created_by).status == "withdrawn"
    decision = factories.decided()
    with pytest.raises(ValidationError, match="Impossible de passer"):
        services.application_withdraw(application=decision.application, by=decision.application.created_by)


def test_a_decision_needs_a_written_motivation():
    application = factories.in_review()
    agent = application.procedure.team.members.first()
    with pytest.raises(ValidationError, match="Motivez la décision"):
        services.decision_propose(application=application, by=agent, outcome="accepted", motivation="OK")


def test_a_decision_without_second_signature_is_signed_and_applied_at_once():
    decision = factories.decided(outcome="rejected")
    assert decision.status == DecisionStatus.SIGNED
    assert factories.status_of(decision.application) == ApplicationStatus.REJECTED


def test_with_a_second_signature_the_person_is_told_only_once_the_supervisor_signs():
    decision = factories.awaiting_signature()
    application = decision.application
    assert factories.status_of(application) == ApplicationStatus.IN_REVIEW
    assert not Notification.objects.filter(person=application.applicant, kind="procedure_decision").exists()
    supervisor = application.procedure.team.members.get(role="supervisor")
    services.decision_sign(decision=decision, by=supervisor)
    assert factories.status_of(application) == ApplicationStatus.ACCEPTED
    assert Notification.objects.filter(person=application.applicant, kind="procedure_decision").exists()


def test_the_supervisor_can_return_a_decision_to_the_agent():
    decision = factories.awaiting_signature()
    supervisor = decision.application.procedure.team.members.get(role="supervisor")
    returned = services.decision_return(decision=decision, by=supervisor, comment="Motivation à préciser.")
    assert returned.status == DecisionStatus.RETURNED
    assert factories.status_of(decision.application) == ApplicationStatus.IN_REVIEW
    agent = decision.decided_by
    again = services.decision_propose(
        application=decision.application, by=agent, outcome="rejected", motivation="Ressources au-dessus du plafond."
    )
    assert again.status == DecisionStatus.AWAITING_SIGNATURE


def test_the_agent_who_decided_cannot_sign_their_own_decision():
    decision = factories.awaiting_signature()
    with pytest.raises(PermissionDenied):
        services.decision_sign(decision=decision, by=decision.decided_by)


def test_a_review_goes_to_another_agent_than_the_one_who_decided():
    agent, other = UserFactory(agent=True), UserFactory(agent=True)
    of = factories.procedure(for_team=factories.team(agent, other), review_delay_days=20)
    decision = factories.decided(of=of, agent=agent, outcome="rejected")
    review = services.review_request(
        decision=decision, by=decision.application.applicant.user, message="Ma situation a changé depuis."
    )
    assert review.assigned_to == other
    assert (review.due_on - timezone.localdate(review.created_at)).days == 20
    with pytest.raises(ValidationError, match="autre agent"):
        services.review_decide(review=review, by=agent, outcome="accepted", motivation="Je change d'avis finalement.")
    new = services.review_decide(
        review=review, by=other, outcome="accepted", motivation="Au vu des pièces nouvelles, la demande est fondée."
    )
    assert new.review == review and new.decided_by == other
    assert factories.status_of(decision.application) == ApplicationStatus.ACCEPTED
    review.refresh_from_db()
    assert review.status == "decided"


def test_only_one_review_at_a_time_on_a_decision():
    review = factories.review()
    with pytest.raises(ValidationError, match="déjà en cours"):
        services.review_request(decision=review.decision, by=review.requested_by, message="Encore moi.")


def test_an_application_under_an_aid_is_counted_for_take_up_when_applied_and_granted():
    from guichet.rights.models import TakeUpRecord

    of = factories.procedure(benefit_id="metropole_demo_transport_solidaire")
    decision = factories.decided(of=of)
    records = TakeUpRecord.objects.filter(pseudonym=decision.application.applicant.pseudonym)
    assert sorted(records.values_list("stage", flat=True)) == ["applied", "granted"]
    assert set(records.values_list("benefit", flat=True)) == {"metropole_demo_transport_solidaire"}


def test_an_application_under_no_aid_records_no_take_up():
    from guichet.rights.models import TakeUpRecord

    factories.decided()
    assert not TakeUpRecord.objects.exists()


def test_the_next_case_is_the_oldest_waiting_one_and_becomes_mine():
    agent = UserFactory(agent=True)
    of = factories.procedure(for_team=factories.team(agent))
    oldest, _newer = factories.submitted(of=of), factories.submitted(of=of)
    assert services.application_next(by=agent) == oldest
    oldest.refresh_from_db()
    assert oldest.assigned_to == agent
