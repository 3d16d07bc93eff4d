"""The agents' back-office: team queues, the case, decisions, the parapheur and reviews.

Reachable by agents and supervisors who passed their second factor (the middleware sees to it); each sees only the
cases of their own teams, anything else answers 404.
"""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.accounts.models import User
from guichet.core.http import posted
from guichet.core.policy import require
from guichet.procedures import computation, delays, permissions, questions, services
from guichet.procedures.enums import OPEN_STATUSES, Actor, ApplicationStatus, DecisionStatus, ReviewStatus
from guichet.procedures.forms import (
    AnnotationForm,
    AssignForm,
    DecisionForm,
    MessageForm,
    QueueFilterForm,
    RequestInfoForm,
    ReturnForm,
)
from guichet.procedures.models import Application, Decision, ProcedureType, Review
from guichet.procedures.transitions import allowed_from

PAGE_SIZE = 25


def _case(request: HttpRequest, public_id) -> Application:
    application = get_object_or_404(
        Application.objects.for_agent(request.user).select_related("procedure__team", "applicant", "assigned_to"),
        public_id=public_id,
    )
    return application


def _filtered(request: HttpRequest):
    procedures = ProcedureType.objects.filter(team__members=request.user).distinct()
    form = QueueFilterForm(request.GET or None, procedures=procedures)
    cases = (
        Application.objects.for_agent(request.user)
        .select_related("procedure", "applicant", "assigned_to__person")
        .order_by("submitted_at", "pk")
    )
    data = form.cleaned_data if form.is_valid() else {}
    cases = cases.filter(status=data["status"]) if data.get("status") else cases.filter(status__in=OPEN_STATUSES)
    if data.get("procedure"):
        cases = cases.filter(procedure__slug=data["procedure"])
    if data.get("mine"):
        cases = cases.filter(assigned_to=request.user)
    if data.get("q"):
        cases = cases.search(data["q"])
    return form, cases


@require(permissions.is_instructor)
def queue(request: HttpRequest) -> HttpResponse:
    form, cases = _filtered(request)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    reviews = (
        Review.objects.open()
        .filter(decision__application__procedure__team__members=request.user)
        .exclude(decision__decided_by=request.user)
        .select_related("decision__application__procedure")
        .distinct()
    )
    awaiting = (
        Decision.objects.awaiting_signature().filter(application__procedure__team__members=request.user).count()
        if permissions.is_supervisor(request.user)
        else 0
    )
    return render(
        request,
        "procedures/backoffice/queue.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "teams": request.user.procedure_teams.all(),
            "reviews": reviews,
            "awaiting": awaiting,
            "today": timezone.localdate(),
        },
    )


def _cell(value) -> str:
    """No spreadsheet formula in an export: a cell starting with = + - @ is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@require(permissions.is_instructor)
def export(request: HttpRequest) -> HttpResponse:
    _form, cases = _filtered(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dossiers.csv"'
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [_("Numéro"), _("Démarche"), _("État"), _("Déposé le"), _("Échéance"), _("Usager"), _("Instructeur")]
    )
    for case in cases.iterator(chunk_size=500):
        writer.writerow(
            [
                _cell(case.receipt_number),
                _cell(case.procedure.name),
                _cell(case.get_status_display()),
                case.submitted_at and timezone.localtime(case.submitted_at).strftime("%Y-%m-%d %H:%M"),
                case.due_on and case.due_on.isoformat(),
                _cell(case.applicant.full_name),
                _cell(case.assigned_to.email if case.assigned_to else ""),
            ]
        )
    return response


@require(permissions.is_instructor)
@require_POST
def next_case(request: HttpRequest) -> HttpResponse:
    case = services.application_next(by=request.user)
    if case is None:
        messages.info(request, _("Aucun dossier n'attend d'être instruit dans vos équipes."))
        return redirect("procedures:queue")
    return redirect("procedures:case", public_id=case.public_id)


def _case_context(request: HttpRequest, application: Application, **forms) -> dict:
    actions = [
        (status, ApplicationStatus(status).label)
        for status in allowed_from(application.status, Actor.AGENT)
        if status != ApplicationStatus.INFO_REQUESTED
    ]
    return {
        "application": application,
        "answers": questions.displayed(application.procedure, application.answers, application.applicant),
        "given": application.documents.select_related("document_type"),
        "transitions": application.transitions.select_related("by"),
        "case_messages": application.messages.prefetch_related("documents").select_related("author"),
        "annotations": application.annotations.select_related("author"),
        "decisions": application.decisions.prefetch_related("reviews__documents").select_related(
            "decided_by", "signed_by"
        ),
        "delay": delays.expected_delay(application.procedure),
        "actions": actions,
        "can_request_info": ApplicationStatus.INFO_REQUESTED in allowed_from(application.status, Actor.AGENT),
        "can_decide": application.status in (ApplicationStatus.IN_REVIEW, ApplicationStatus.RESUBMITTED),
        "assign_form": forms.get("assign_form")
        or AssignForm(
            team=application.procedure.team,
            initial={"agent": str(application.assigned_to.public_id) if application.assigned_to else ""},
        ),
        "annotation_form": forms.get("annotation_form") or AnnotationForm(),
        "info_form": forms.get("info_form") or RequestInfoForm(),
        "message_form": forms.get("message_form") or MessageForm(),
    }


@require(permissions.is_instructor)
def case(request: HttpRequest, public_id) -> HttpResponse:
    application = _case(request, public_id)
    return render(request, "procedures/backoffice/case.html", _case_context(request, application))


def _back(application: Application) -> HttpResponse:
    return redirect("procedures:case", public_id=application.public_id)


@require(permissions.is_instructor)
@require_POST
def case_assign(request: HttpRequest, public_id) -> HttpResponse:
    application = _case(request, public_id)
    form = AssignForm(request.POST, team=application.procedure.team)
    if not form.is_valid():
        context = _case_context(request, application, assign_form=form)
        return render(request, "procedures/backoffice/case.html", context, status=400)
    agent_id = form.cleaned_data["agent"]
    agent = User.objects.filter(public_id=agent_id).first() if agent_id else None
    services.application_assign(application=application, agent=agent, by=request.user)
    messages.success(request, _("Attribution enregistrée."))
    return _back(application)


@require(permissions.is_instructor)
@require_POST
def case_annotate(request: HttpRequest, public_id) -> HttpResponse:
    application = _case(request, public_id)
    form = AnnotationForm(request.POST)
    if not form.is_valid():
        context = _case_context(request, application, annotation_form=form)
        return render(request, "procedures/backoffice/case.html", context, status=400)
    services.annotation_add(application=application, by=request.user, body=form.cleaned_data["body"])
    messages.success(request, _("Note ajoutée."))
    return _back(application)


@require(permissions.is_instructor)
@require_POST
def case_transition(request: HttpRequest, public_id) -> HttpResponse:
    """Take in review, close, or ask for information (with the message saying what)."""
    application = _case(request, public_id)
    to = request.POST.get("to", "")
    try:
        if to == ApplicationStatus.INFO_REQUESTED:
            form = RequestInfoForm(request.POST)
            if not form.is_valid():
                context = _case_context(request, application, info_form=form)
                return render(request, "procedures/backoffice/case.html", context, status=400)
            services.application_request_info(
                application=application, by=request.user, message=form.cleaned_data["message"]
            )
        elif to == ApplicationStatus.IN_REVIEW:
            services.application_take(application=application, by=request.user)
        elif to in ApplicationStatus.values:
            services.application_transition(application=application, to=to, by=request.user)
        else:
            raise ValidationError(_("Cet état n'existe pas."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Le dossier est maintenant : %(status)s.") % {"status": ApplicationStatus(to).label}
        )
    return _back(application)


@require(permissions.is_instructor)
@require_POST
def case_message(request: HttpRequest, public_id) -> HttpResponse:
    application = _case(request, public_id)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        uploaded = form.cleaned_data.get("file")
        attached = (
            [services.document_upload(owner=application.applicant, uploaded=uploaded, by=request.user)]
            if uploaded
            else []
        )
        try:
            services.message_send(
                application=application, by=request.user, body=form.cleaned_data["body"], documents=attached
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Message envoyé à l'usager."))
            return _back(application)
    context = _case_context(request, application, message_form=form)
    return render(request, "procedures/backoffice/case.html", context, status=400)


def _preview(application: Application) -> tuple[object, str]:
    """The figure the engine gives now, shown before deciding (computed again, and stored, on decision)."""
    procedure = application.procedure
    if not procedure.engine_aid:
        return None, ""
    member = application.answers.get(procedure.engine_member_question) if procedure.engine_member_question else None
    try:
        return computation.compute_tariff(
            person=application.applicant, aid_id=procedure.engine_aid, member_key_value=member
        ), ""
    except ValidationError as exc:
        return None, " ".join(exc.messages)


@require(permissions.is_instructor)
def case_decide(request: HttpRequest, public_id) -> HttpResponse:
    application = _case(request, public_id)
    if application.status not in (ApplicationStatus.IN_REVIEW, ApplicationStatus.RESUBMITTED):
        messages.error(request, _("Ce dossier n'est pas en cours d'instruction : il ne peut pas être décidé."))
        return _back(application)
    form = DecisionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.decision_propose(application=application, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if decision.status == DecisionStatus.AWAITING_SIGNATURE:
                messages.success(request, _("Décision transmise pour seconde signature."))
            else:
                messages.success(request, _("Décision signée : l'usager en est informé."))
            return _back(application)
    preview, preview_error = _preview(application)
    returned = application.decisions.filter(status=DecisionStatus.RETURNED).last()
    return render(
        request,
        "procedures/backoffice/decide.html",
        {
            "application": application,
            "form": form,
            "preview": preview,
            "preview_error": preview_error,
            "returned": returned,
        },
    )


# --- Parapheur (second signature) ---


@require(permissions.is_supervisor)
def signatures(request: HttpRequest) -> HttpResponse:
    decisions = (
        Decision.objects.awaiting_signature()
        .filter(application__procedure__team__members=request.user)
        .exclude(decided_by=request.user)
        .select_related("application__procedure", "application__applicant", "decided_by")
        .distinct()
    )
    return render(
        request, "procedures/backoffice/signatures.html", {"decisions": decisions, "return_form": ReturnForm()}
    )


def _awaiting(request: HttpRequest, public_id) -> Decision:
    decision = get_object_or_404(
        Decision.objects.select_related("application__procedure__team", "application__applicant"), public_id=public_id
    )
    if not permissions.can_sign(request.user, decision):
        raise Http404
    return decision


@require(permissions.is_supervisor)
@require_POST
def decision_sign(request: HttpRequest, public_id) -> HttpResponse:
    decision = _awaiting(request, public_id)
    try:
        services.decision_sign(decision=decision, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Décision signée : l'usager en est informé."))
    return redirect("procedures:signatures")


@require(permissions.is_supervisor)
@require_POST
def decision_return(request: HttpRequest, public_id) -> HttpResponse:
    decision = _awaiting(request, public_id)
    form = ReturnForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Expliquez à l'agent pourquoi la décision lui est renvoyée."))
        services.decision_return(decision=decision, by=request.user, comment=form.cleaned_data["comment"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Décision renvoyée à l'agent."))
    return redirect("procedures:signatures")


# --- Reviews ---


@require(permissions.is_instructor)
def review(request: HttpRequest, public_id) -> HttpResponse:
    found = get_object_or_404(
        Review.objects.filter(decision__application__procedure__team__members=request.user)
        .select_related("decision__application__procedure", "decision__application__applicant", "decision__decided_by")
        .distinct(),
        public_id=public_id,
    )
    application = found.decision.application
    allowed = permissions.can_decide_review(request.user, found)
    form = DecisionForm(posted(request))
    if request.method == "POST" and allowed and found.status == ReviewStatus.OPEN and form.is_valid():
        try:
            services.review_decide(review=found, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Le recours est examiné : la nouvelle décision est enregistrée."))
            return redirect("procedures:case", public_id=application.public_id)
    preview, preview_error = _preview(application) if allowed and found.status == ReviewStatus.OPEN else (None, "")
    return render(
        request,
        "procedures/backoffice/review.html",
        {
            "review": found,
            "application": application,
            "allowed": allowed,
            "form": form,
            "preview": preview,
            "preview_error": preview_error,
        },
        status=403 if request.method == "POST" and not allowed else 200,
    )
