"""Writes of procedures: applications, documents, messages, decisions, reviews, Pass'urbain subscriptions.

Every service is keyword-only and transactional, validates, records an audit event and returns the object.

Citizen-side services take the person concerned (``applicant``, or the application's applicant) and the user
acting (``by``) separately: the person acts for themself today; the mediation app will call the same services with
a mediator as ``by`` once it has checked the mandate. Status changes all go through ``application_transition``,
which applies the table of ``transitions.TRANSITIONS``.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.enums import Role
from guichet.accounts.models import Person, User
from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record
from guichet.catalog.models import Service
from guichet.core import formats
from guichet.notifications.services import notification_send
from guichet.procedures import computation, documents, permissions, questions
from guichet.procedures.enums import (
    Actor,
    ApplicationStatus,
    DecisionOutcome,
    DecisionStatus,
    ReviewStatus,
    SubscriptionStatus,
)
from guichet.procedures.models import (
    Annotation,
    Application,
    Decision,
    Document,
    DocumentType,
    Message,
    ProcedureType,
    Review,
    Subscription,
    Transition,
)
from guichet.procedures.transitions import rule_for

MIN_MOTIVATION = 20


def procedure_family(procedure: ProcedureType) -> str | None:
    """The mediation family a procedure falls under (None: no mediator may file it for someone)."""
    from guichet.mediation.enums import family_for_service_kind

    return family_for_service_kind(procedure.service.kind) if procedure.service_id else None


def _acts_for_applicant(by: User, applicant: Person, procedure: ProcedureType | None = None) -> bool:
    """The person themself, or a mediator holding, at this very moment, a mandate of the person that covers the
    procedure's family (the views check it too, with a clear message; this is the rule itself)."""
    if getattr(by, "person", None) == applicant:
        return True
    if by.role != Role.MEDIATOR:
        return False
    from guichet.mediation.models import Mandate

    mandates = Mandate.objects.active().for_mediator(by).for_person(applicant)
    if procedure is None:  # a document of the person, for any of their procedures
        return mandates.filter(authorizations__revoked_at__isnull=True).exists()
    family = procedure_family(procedure)
    return (
        family is not None
        and mandates.filter(authorizations__family=family, authorizations__revoked_at__isnull=True).exists()
    )


def _check_applicant_side(*, application: Application, by: User) -> None:
    if not _acts_for_applicant(by, application.applicant, application.procedure):
        raise PermissionDenied


def _notify(*, application: Application, event: str, subject: str, body: str) -> None:
    """Tell the person: email, or a postal letter PDF when they chose postal contact (see notifications)."""
    notification_send(
        person=application.applicant,
        kind=f"procedure_{event.split(':')[0]}",
        subject=subject,
        body=body,
        link=reverse("procedures:detail", kwargs={"public_id": application.public_id}),
        key=f"procedures:{application.public_id}:{event}",
    )


# --- Take-up (non-recours) hook ---


def _take_up(*, application: Application, stage: str, by: User | None = None) -> None:
    """Count an application under a procedure linked to an aid in the take-up record (applied, granted).

    The single hook of the take-up tracking: pseudonymous, no amount, nothing else recorded.
    """
    benefit = application.procedure.benefit_id
    if not benefit:
        return
    from guichet.rights.enums import SimulationChannel
    from guichet.rights.models import TakeUpRecord

    channel = SimulationChannel.MEDIATOR if by is not None and by.role == Role.MEDIATOR else SimulationChannel.ACCOUNT
    TakeUpRecord.objects.create(
        pseudonym=application.applicant.pseudonym,
        benefit=benefit,
        stage=stage,
        channel=channel,
        period=f"{timezone.localdate():%Y-%m}",
    )


# --- The one place statuses change ---


@transaction.atomic
def application_transition(
    *,
    application: Application,
    to: str,
    by: User | None,
    note: str = "",
    decision: Decision | None = None,
    notify: bool = True,
) -> Application:
    """Move an application to status ``to`` if the table allows it for this actor; audit it and tell the person.

    Refuses with a clear French message a transition the table does not declare. Transitions to accepted or
    rejected need the signed ``decision`` of that outcome (from a review for accepted ↔ rejected).
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    current = application.status
    rule = rule_for(current, to)
    if rule is None:
        raise ValidationError(
            _("Impossible de passer ce dossier de l'état « %(current)s » à l'état « %(to)s ».")
            % {"current": ApplicationStatus(current).label, "to": ApplicationStatus(to).label},
            code="invalid_transition",
        )
    if rule.actor == Actor.AGENT and not (by is not None and permissions.can_process(by, application)):
        raise PermissionDenied
    if rule.actor == Actor.APPLICANT and not (
        by is not None and _acts_for_applicant(by, application.applicant, application.procedure)
    ):
        raise PermissionDenied
    if rule.requires:
        valid = decision is not None and decision.status == DecisionStatus.SIGNED and decision.outcome == to
        if rule.requires == "review":
            valid = valid and decision.review_id is not None
        if not valid:
            raise ValidationError(_("Ce changement d'état demande une décision signée."), code="needs_decision")
    application.status = to
    fields = ["status", "updated_at"]
    if to in (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED) and application.decided_at is None:
        application.decided_at = timezone.now()
        fields.append("decided_at")
    application.save(update_fields=fields)
    transition = Transition.objects.create(
        application=application, from_status=current, to_status=to, by=by, note=note
    )
    event_record(
        action=AuditAction.APPLICATION_STATUS_CHANGED,
        actor=by,
        subject=application.applicant,
        target=application,
        data={"from": current, "to": to},
    )
    if notify:
        _notify(
            application=application,
            event=f"status:{transition.pk}",
            subject=_("Votre dossier %(number)s : %(status)s")
            % {"number": application.receipt_number, "status": ApplicationStatus(to).label.lower()},
            body=_("Votre dossier « %(procedure)s » (n° %(number)s) est maintenant : %(status)s.")
            % {
                "procedure": application.procedure.name,
                "number": application.receipt_number,
                "status": ApplicationStatus(to).label.lower(),
            }
            + (f"\n\n{note}" if note else ""),
        )
    return application


# --- The person's side ---


@transaction.atomic
def application_start(
    *, procedure: ProcedureType, applicant: Person, by: User, renewal_of: Application | None = None
) -> Application:
    """Start a draft, prefilled with what is already known (address, household, a previous application)."""
    if not procedure.is_active:
        raise ValidationError(_("Cette démarche n'est plus ouverte."))
    if not _acts_for_applicant(by, applicant, procedure):
        raise PermissionDenied
    answers = questions.prefill(procedure, applicant)
    if renewal_of is not None:
        answers.update(
            {key: value for key, value in renewal_of.answers.items() if key in answers or key == "selections"}
        )
    application = Application.objects.create(
        procedure=procedure, applicant=applicant, created_by=by, answers=answers, renewal_of=renewal_of
    )
    if renewal_of is not None:
        reusable = renewal_of.documents.valid_on(timezone.localdate())
        application.documents.set(reusable)
    event_record(action=AuditAction.APPLICATION_STARTED, actor=by, subject=applicant, target=application)
    return application


def _check_draft(application: Application) -> None:
    if application.status != ApplicationStatus.DRAFT:
        raise ValidationError(_("Ce dossier est déjà déposé : il ne peut plus être modifié."), code="not_draft")


@transaction.atomic
def application_draft_save(*, application: Application, by: User, answers: dict, step: int) -> Application:
    """Keep what the person answered so far (saved at every step, so nothing is lost before submitting)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _check_applicant_side(application=application, by=by)
    _check_draft(application)
    application.answers = {**application.answers, **answers}
    application.step = max(1, step)
    application.save(update_fields=["answers", "step", "updated_at"])
    event_record(
        action=AuditAction.APPLICATION_DRAFT_SAVED,
        actor=by,
        subject=application.applicant,
        target=application,
        data={"step": application.step, "fields": sorted(answers)},
    )
    return application


@transaction.atomic
def document_upload(*, owner: Person, uploaded, by: User, document_type: DocumentType | None = None) -> Document:
    """Check (type sniffed from the content, size) and store a file outside the web root for ``owner``."""
    if not (_acts_for_applicant(by, owner) or permissions.is_instructor(by)):
        raise PermissionDenied
    content_type, _extension = documents.check_upload(uploaded)
    path, sha256 = documents.store(uploaded)
    valid_until = None
    if document_type is not None and document_type.validity_days:
        valid_until = timezone.localdate() + datetime.timedelta(days=document_type.validity_days)
    document = Document.objects.create(
        owner=owner,
        document_type=document_type,
        path=path,
        original_name=(uploaded.name or "document")[-200:],
        content_type=content_type,
        size=uploaded.size,
        sha256=sha256,
        valid_until=valid_until,
        uploaded_by=by,
    )
    event_record(
        action=AuditAction.DOCUMENT_UPLOADED,
        actor=by,
        subject=owner,
        target=document,
        data={"type": document_type.slug if document_type else "", "size": uploaded.size},
    )
    return document


@transaction.atomic
def application_document_attach(*, application: Application, document: Document, by: User) -> Application:
    """Give one of the person's documents (new, or kept from an earlier application while valid) to a draft."""
    _check_applicant_side(application=application, by=by)
    _check_draft(application)
    if document.owner_id != application.applicant_id:
        raise PermissionDenied
    if document.valid_until is not None and document.valid_until < timezone.localdate():
        raise ValidationError(_("Cette pièce n'est plus valable : déposez-en une nouvelle."))
    if document.document_type_id is not None:
        # One document per type: a new one replaces the one given before.
        application.documents.remove(*application.documents.filter(document_type_id=document.document_type_id))
    application.documents.add(document)
    event_record(action=AuditAction.DOCUMENT_ATTACHED, actor=by, subject=application.applicant, target=application)
    return application


def submission_problems(application: Application) -> list[str]:
    """What still prevents submitting (required answers, required documents), in French."""
    problems = questions.missing_answers(application.procedure, application.answers, application.applicant)
    given = set(application.documents.values_list("document_type_id", flat=True))
    for document_type in application.procedure.documents.all():
        if document_type.pk not in given:
            problems.append(_("Pièce manquante : %(name)s.") % {"name": document_type.name})
    if application.procedure.is_pass_urbain and not any(application.answers.get("selections", {}).values()):
        problems.append(_("Choisissez au moins un service pour une personne du foyer."))
    return problems


@transaction.atomic
def application_submit(*, application: Application, by: User) -> Application:
    """Submit a complete draft: give it its receipt number, commit, then tell the person.

    Idempotent: submitting an application already submitted returns it unchanged, so a person who reloads after
    a crash finds their receipt number, not an error. The caller must render nothing before this returns: once
    it has, the application and its number are committed.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    _check_applicant_side(application=application, by=by)
    if application.status != ApplicationStatus.DRAFT:
        return application
    problems = submission_problems(application)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    # The sequential id makes the number unique without a counter to lock; the year makes it readable.
    application.receipt_number = f"GUI-{timezone.localdate(now).year}-{application.pk:06d}"
    application.submitted_at = now
    application.save(update_fields=["receipt_number", "submitted_at", "updated_at"])
    application = application_transition(application=application, to=ApplicationStatus.SUBMITTED, by=by)
    _take_up(application=application, stage="applied", by=by)
    return application


@transaction.atomic
def application_resubmit(
    *, application: Application, by: User, message: str, documents: Iterable[Document] = ()
) -> Application:
    """The person answers a request for information: a message, documents, and the case goes back to the agent."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _check_applicant_side(application=application, by=by)
    if application.status != ApplicationStatus.INFO_REQUESTED:
        raise ValidationError(_("Aucune information ne vous est demandée sur ce dossier."), code="invalid_transition")
    message_send(application=application, by=by, body=message, documents=documents)
    for document in documents:
        application.documents.add(document)
    return application_transition(application=application, to=ApplicationStatus.RESUBMITTED, by=by)


@transaction.atomic
def application_withdraw(*, application: Application, by: User) -> Application:
    """The person withdraws their request before it is decided."""
    return application_transition(application=application, to=ApplicationStatus.WITHDRAWN, by=by)


@transaction.atomic
def message_send(*, application: Application, by: User, body: str, documents: Iterable[Document] = ()) -> Message:
    """A message in the case. A message from an agent is notified to the person."""
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Écrivez un message."))
    from_agent = permissions.can_process(by, application)
    if not from_agent:
        _check_applicant_side(application=application, by=by)
        if application.status in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN):
            raise ValidationError(_("Ce dossier n'est pas en cours : vous ne pouvez pas y écrire."))
    message = Message.objects.create(application=application, author=by, from_agent=from_agent, body=body)
    message.documents.set(list(documents))
    event_record(
        action=AuditAction.CASE_MESSAGE_SENT,
        actor=by,
        subject=application.applicant,
        target=application,
        data={"from_agent": from_agent, "documents": len(list(documents))},
    )
    if from_agent:
        _notify(
            application=application,
            event=f"message:{message.pk}",
            subject=_("Nouveau message sur votre dossier %(number)s") % {"number": application.receipt_number},
            body=_("Un agent vous a écrit au sujet de votre dossier « %(procedure)s » :\n\n%(body)s")
            % {"procedure": application.procedure.name, "body": body},
        )
    return message


# --- The agents' side ---


def _check_agent(application: Application, by: User) -> None:
    if not permissions.can_process(by, application):
        raise PermissionDenied


@transaction.atomic
def application_assign(*, application: Application, agent: User | None, by: User) -> Application:
    """Give the case to an agent of its team (or to nobody)."""
    _check_agent(application, by)
    if agent is not None and not permissions.is_team_member(agent, application.procedure.team):
        raise ValidationError(_("Cet agent ne fait pas partie de l'équipe de la démarche."))
    application.assigned_to = agent
    application.save(update_fields=["assigned_to", "updated_at"])
    event_record(
        action=AuditAction.APPLICATION_ASSIGNED,
        actor=by,
        subject=application.applicant,
        target=application,
        data={"agent": str(agent.public_id) if agent else None},
    )
    return application


@transaction.atomic
def application_take(*, application: Application, by: User) -> Application:
    """Start processing a case: it moves to in review and is assigned to the agent if nobody has it."""
    application = application_transition(application=application, to=ApplicationStatus.IN_REVIEW, by=by)
    if application.assigned_to_id is None:
        application = application_assign(application=application, agent=by, by=by)
    return application


@transaction.atomic
def application_next(*, by: User) -> Application | None:
    """The "next case" button: the oldest case waiting in the agent's teams, mine or nobody's; it becomes mine."""
    candidate = (
        Application.objects.for_agent(by)
        .filter(status__in=(ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED))
        .filter(Q(assigned_to__isnull=True) | Q(assigned_to=by))
        .order_by("submitted_at", "pk")
        .first()
    )
    if candidate is not None and candidate.assigned_to_id is None:
        candidate = application_assign(application=candidate, agent=by, by=by)
    return candidate


@transaction.atomic
def application_request_info(*, application: Application, by: User, message: str) -> Application:
    """Ask the person for information or documents; the message tells them what."""
    _check_agent(application, by)
    if not (message or "").strip():
        raise ValidationError(_("Écrivez ce que vous demandez à la personne."))
    application = application_transition(
        application=application, to=ApplicationStatus.INFO_REQUESTED, by=by, notify=False
    )
    message_send(application=application, by=by, body=message)
    return application


@transaction.atomic
def application_close(*, application: Application, by: User) -> Application:
    return application_transition(application=application, to=ApplicationStatus.CLOSED, by=by)


@transaction.atomic
def annotation_add(*, application: Application, by: User, body: str) -> Annotation:
    """A private note for the team, never shown to the person."""
    _check_agent(application, by)
    if not (body or "").strip():
        raise ValidationError(_("La note est vide."))
    annotation = Annotation.objects.create(application=application, author=by, body=body.strip())
    event_record(action=AuditAction.ANNOTATION_ADDED, actor=by, subject=application.applicant, target=application)
    return annotation


# --- Decisions ---


@transaction.atomic
def decision_propose(
    *, application: Application, by: User, outcome: str, motivation: str, review: Review | None = None
) -> Decision:
    """An agent decides, with a written motivation; the engine's figure is computed and stored when the procedure
    uses it. With a second signature, the decision waits for a supervisor; otherwise it is signed and notified.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    _check_agent(application, by)
    if outcome not in DecisionOutcome.values:
        raise ValidationError(_("Choisissez une décision."))
    motivation = (motivation or "").strip()
    if len(motivation) < MIN_MOTIVATION:
        raise ValidationError(
            _("Motivez la décision : %(n)s caractères au moins, en termes clairs.") % {"n": MIN_MOTIVATION}
        )
    if review is None:
        if application.status not in (ApplicationStatus.IN_REVIEW, ApplicationStatus.RESUBMITTED):
            raise ValidationError(_("Ce dossier n'est pas en cours d'instruction : il ne peut pas être décidé."))
    else:
        if review.status != ReviewStatus.OPEN or review.decision.application_id != application.pk:
            raise ValidationError(_("Ce recours a déjà été examiné."))
        if not permissions.can_decide_review(by, review):
            raise ValidationError(_("Un recours est examiné par un autre agent que celui qui a pris la décision."))
    if application.decisions.awaiting_signature().exists():
        raise ValidationError(_("Une décision attend déjà la seconde signature sur ce dossier."))
    decision = Decision(
        application=application,
        review=review,
        outcome=outcome,
        motivation=motivation,
        decided_by=by,
        status=DecisionStatus.AWAITING_SIGNATURE,
    )
    procedure = application.procedure
    if procedure.engine_aid:
        member = (
            application.answers.get(procedure.engine_member_question) if procedure.engine_member_question else None
        )
        result = computation.compute_tariff(
            person=application.applicant, aid_id=procedure.engine_aid, member_key_value=member
        )
        decision.engine_aid = result.aid
        decision.engine_period = result.period
        decision.engine_member = result.member_id
        decision.engine_result = result.result
        decision.engine_explanation = result.explanation
        decision.computed_value = result.value
    decision.save()
    event_record(
        action=AuditAction.DECISION_PROPOSED,
        actor=by,
        subject=application.applicant,
        target=decision,
        data={"outcome": outcome, "review": bool(review)},
    )
    if not procedure.requires_second_signature:
        decision = _decision_finalise(decision=decision, signer=by)
    return decision


def _decision_finalise(*, decision: Decision, signer: User | None) -> Decision:
    """Sign the decision, apply its outcome to the application, close the review, tell the person."""
    decision.status = DecisionStatus.SIGNED
    decision.signed_by = signer
    decision.signed_at = timezone.now()
    decision.save(update_fields=["status", "signed_by", "signed_at", "updated_at"])
    application = decision.application
    application.refresh_from_db()
    if application.status != decision.outcome:
        application_transition(
            application=application, to=decision.outcome, by=signer, decision=decision, notify=False
        )
    if decision.review_id is not None:
        review = decision.review
        review.status = ReviewStatus.DECIDED
        review.save(update_fields=["status", "updated_at"])
    event_record(
        action=AuditAction.DECISION_SIGNED,
        actor=signer,
        subject=application.applicant,
        target=decision,
        data={"outcome": decision.outcome, "automated": decision.is_automated},
    )
    if decision.outcome == DecisionOutcome.ACCEPTED and decision.review_id is None:
        _take_up(application=application, stage="granted")
    label = DecisionOutcome(decision.outcome).label.lower()
    _notify(
        application=application,
        event=f"decision:{decision.pk}",
        subject=_("Décision sur votre dossier %(number)s : %(outcome)s")
        % {"number": application.receipt_number, "outcome": label},
        body=_(
            "Une décision a été prise sur votre dossier « %(procedure)s » : %(outcome)s.\n\n%(motivation)s\n\n"
            "Vous pouvez demander un nouvel examen (recours gracieux) dans les deux mois depuis votre espace."
        )
        % {"procedure": application.procedure.name, "outcome": label, "motivation": decision.motivation},
    )
    return decision


@transaction.atomic
def decision_sign(*, decision: Decision, by: User) -> Decision:
    """Second signature (parapheur): a supervisor of the team approves; the person is told only now."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if not permissions.can_sign(by, decision):
        raise PermissionDenied
    if decision.status != DecisionStatus.AWAITING_SIGNATURE:
        raise ValidationError(_("Cette décision n'attend pas de signature."))
    return _decision_finalise(decision=decision, signer=by)


@transaction.atomic
def decision_return(*, decision: Decision, by: User, comment: str) -> Decision:
    """The supervisor sends the decision back to the agent, with a comment; the person is told nothing."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if not permissions.can_sign(by, decision):
        raise PermissionDenied
    if decision.status != DecisionStatus.AWAITING_SIGNATURE:
        raise ValidationError(_("Cette décision n'attend pas de signature."))
    if not (comment or "").strip():
        raise ValidationError(_("Expliquez à l'agent pourquoi la décision lui est renvoyée."))
    decision.status = DecisionStatus.RETURNED
    decision.return_comment = comment.strip()
    decision.save(update_fields=["status", "return_comment", "updated_at"])
    event_record(
        action=AuditAction.DECISION_RETURNED, actor=by, subject=decision.application.applicant, target=decision
    )
    return decision


# --- Review on request (recours gracieux) ---


@transaction.atomic
def review_request(*, decision: Decision, by: User, message: str, documents: Iterable[Document] = ()) -> Review:
    """The person asks for a new examination of a decision; it goes to another agent than the one who decided."""
    decision = Decision.objects.select_for_update().select_related("application__procedure__team").get(pk=decision.pk)
    application = decision.application
    _check_applicant_side(application=application, by=by)
    if decision.status != DecisionStatus.SIGNED:
        raise ValidationError(_("Cette décision n'a pas encore été notifiée."))
    if not (message or "").strip():
        raise ValidationError(_("Expliquez pourquoi vous demandez un nouvel examen."))
    if decision.reviews.open().exists():
        raise ValidationError(_("Un recours est déjà en cours d'examen sur cette décision."))
    team = application.procedure.team
    reviewer = (
        team.members.filter(role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True)
        .exclude(pk=decision.decided_by_id)
        .annotate(load=Count("assigned_reviews", filter=Q(assigned_reviews__status=ReviewStatus.OPEN)))
        .order_by("load", "pk")
        .first()
    )
    try:
        with transaction.atomic():
            review = Review.objects.create(
                decision=decision,
                requested_by=by,
                message=message.strip(),
                assigned_to=reviewer,
                due_on=timezone.localdate() + datetime.timedelta(days=application.procedure.review_delay_days),
            )
    except IntegrityError as exc:  # a concurrent request on the same decision
        raise ValidationError(_("Un recours est déjà en cours d'examen sur cette décision.")) from exc
    review.documents.set(list(documents))
    event_record(action=AuditAction.REVIEW_REQUESTED, actor=by, subject=application.applicant, target=review)
    _notify(
        application=application,
        event=f"review:{review.pk}",
        subject=_("Votre recours sur le dossier %(number)s est enregistré") % {"number": application.receipt_number},
        body=_(
            "Votre demande de nouvel examen est enregistrée. Un autre agent que celui qui a pris la décision "
            "l'examinera ; réponse attendue au plus tard le %(date)s."
        )
        % {"date": review.due_on.strftime("%d/%m/%Y")},
    )
    return review


@transaction.atomic
def review_decide(*, review: Review, by: User, outcome: str, motivation: str) -> Decision:
    """The outcome of a review is a new, explained decision (which may keep or change the first one)."""
    return decision_propose(
        application=review.decision.application, by=by, outcome=outcome, motivation=motivation, review=review
    )


# --- Pass'urbain ---


def school_year_end(day: datetime.date) -> datetime.date:
    """Subscriptions run to the end of the school year (31 August)."""
    end = datetime.date(day.year, 8, 31)
    return end if day <= end else datetime.date(day.year + 1, 8, 31)


@transaction.atomic
def pass_urbain_decide(*, application: Application) -> Decision:
    """Decide a submitted Pass'urbain automatically: prices from the local rules, one subscription per service.

    Run after ``application_submit`` has committed, in its own transaction: if the computation fails the case
    stays submitted for an agent. The decision is automated (no ``decided_by``) and, like every decision, can be
    reviewed by an agent on request.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.procedure.is_pass_urbain or application.status != ApplicationStatus.SUBMITTED:
        raise ValidationError(_("Ce dossier n'est pas un Pass'urbain à traiter."))
    selections = {kind: keys for kind, keys in application.answers.get("selections", {}).items() if keys}
    prices, stored = computation.pass_urbain_prices(person=application.applicant, selections=selections)
    services: dict[str, Service] = {}
    for service in Service.objects.active().filter(kind__in=list(selections)).order_by("pk"):
        services.setdefault(service.kind, service)
    today = timezone.localdate()
    lines = []
    for price in prices:
        service = services.get(price.service_kind)
        if service is None:
            raise ValidationError(_("Un service choisi n'existe pas sur le territoire."))
        amount = formats.euros(price.value)
        lines.append(f"- {price.first_name} — {service.name} : {amount} ({price.unit}) — {price.band}")
    motivation = _(
        "Inscriptions accordées au titre du Pass'urbain. Chaque tarif est calculé à partir du quotient familial "
        "de votre foyer, selon les délibérations tarifaires de la Métropole :\n%(lines)s"
    ) % {"lines": "\n".join(lines)}
    decision = Decision.objects.create(
        application=application,
        outcome=DecisionOutcome.ACCEPTED,
        motivation=motivation,
        status=DecisionStatus.AWAITING_SIGNATURE,
        engine_aid="pass_urbain",
        engine_period=(stored["result"] or {}).get("period", ""),
        engine_result=stored["result"],
        engine_explanation=stored["explanations"],
        computed_value=sum((p.value for p in prices), Decimal("0")),
    )
    event_record(action=AuditAction.DECISION_PROPOSED, subject=application.applicant, target=decision)
    if application.renewal_of_id:
        Subscription.objects.filter(application_id=application.renewal_of_id, status=SubscriptionStatus.ACTIVE).update(
            status=SubscriptionStatus.RENEWED
        )
    for price in prices:
        subscription = Subscription.objects.create(
            person=application.applicant,
            application=application,
            service=services[price.service_kind],
            member_first_name=price.first_name,
            member_birth_date=price.birth_date,
            aid_id=price.aid_id,
            price=price.value,
            unit=price.unit,
            band=price.band[:200],
            valid_from=today,
            valid_until=school_year_end(today),
        )
        event_record(action=AuditAction.SUBSCRIPTION_CREATED, subject=application.applicant, target=subscription)
    return _decision_finalise(decision=decision, signer=None)


@transaction.atomic
def pass_urbain_renew(*, applicant: Person, by: User) -> Application:
    """Start a renewal from the last accepted Pass'urbain: same choices, documents still valid kept."""
    previous = (
        Application.objects.for_applicant(applicant)
        .filter(procedure__kind="pass_urbain", status__in=(ApplicationStatus.ACCEPTED, ApplicationStatus.CLOSED))
        .order_by("-submitted_at")
        .first()
    )
    if previous is None:
        raise ValidationError(_("Aucun Pass'urbain à renouveler."))
    return application_start(procedure=previous.procedure, applicant=applicant, by=by, renewal_of=previous)
