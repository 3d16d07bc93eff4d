"""The person's side: find a procedure, fill it step by step, submit, follow the case, answer, contest."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.accounts.permissions import is_citizen
from guichet.audit.enums import AuditAction
from guichet.catalog.models import Service
from guichet.core.http import posted
from guichet.core.policy import public, require
from guichet.mediation.acting import acting_for, person_for, record_action, require_authorization, scope_refusal
from guichet.mediation.enums import Family, service_kinds_for_family
from guichet.procedures import computation, delays, documents, pdf, permissions, questions, services
from guichet.procedures.enums import ApplicationStatus, DecisionStatus
from guichet.procedures.forms import (
    AnswersForm,
    DocumentsForm,
    MessageForm,
    PassUrbainForm,
    ResubmitForm,
    ReviewRequestForm,
)
from guichet.procedures.models import Application, Decision, Document, ProcedureType, Subscription
from guichet.procedures.transitions import rule_for

logger = logging.getLogger(__name__)


def _files(request: HttpRequest):
    return request.FILES if request.method == "POST" else None


def applicant_side(view):
    """A citizen for themself, or a mediator acting for the person (the family is checked per procedure)."""
    return require_authorization(*Family.values)(view)


def _own(request: HttpRequest, public_id, **filters) -> Application:
    """The person's own application, or 404 (whoever else's it is); outside a mediator's scope, 403."""
    application = get_object_or_404(
        Application.objects.select_related("procedure__team", "procedure__service", "applicant"),
        public_id=public_id,
        applicant=person_for(request),
        **filters,
    )
    acting = acting_for(request)
    if acting is not None and acting.family != services.procedure_family(application.procedure):
        raise PermissionDenied
    return application


def pass_urbain_services():
    found = {}
    for service in Service.objects.active().filter(kind__in=list(computation.PASS_URBAIN_SERVICES)).order_by("pk"):
        found.setdefault(service.kind, service)
    return [found[kind] for kind in computation.PASS_URBAIN_SERVICES if kind in found]


def steps_of(procedure: ProcedureType) -> list[dict]:
    steps = [{"key": "answers", "title": _("Vos services") if procedure.is_pass_urbain else _("Vos réponses")}]
    if procedure.documents.exists():
        steps.append({"key": "documents", "title": _("Pièces justificatives")})
    steps.append({"key": "recap", "title": _("Récapitulatif")})
    for number, step in enumerate(steps, start=1):
        step["number"] = number
    return steps


# --- Catalogue and list ---


@public
def catalog(request: HttpRequest) -> HttpResponse:
    procedures = ProcedureType.objects.active().select_related("service")
    return render(
        request,
        "procedures/catalog.html",
        {"procedures": procedures, "can_apply": is_citizen(request.user) or acting_for(request) is not None},
    )


@applicant_side
def mine(request: HttpRequest) -> HttpResponse:
    applications = Application.objects.for_applicant(person_for(request)).select_related("procedure")
    acting = acting_for(request)
    if acting is not None:  # a mediator sees only the applications of the family chosen under the mandate
        applications = applications.filter(procedure__service__kind__in=service_kinds_for_family(acting.family))
    return render(request, "procedures/mine.html", {"applications": applications, "acting": acting})


@applicant_side
@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    procedure = get_object_or_404(ProcedureType.objects.active(), slug=slug)
    if (refused := scope_refusal(request, services.procedure_family(procedure))) is not None:
        return refused
    person = person_for(request)
    draft = (
        Application.objects.for_applicant(person).filter(procedure=procedure, status=ApplicationStatus.DRAFT).first()
    )
    if draft is None:
        draft = services.application_start(procedure=procedure, applicant=person, by=request.user)
        if acting_for(request) is not None:
            record_action(
                request_or_acting=request,
                action=AuditAction.ON_BEHALF_APPLICATION_STARTED,
                target=draft,
                data={"procedure": procedure.slug},
            )
    return _to_step(draft, draft.step)


def _to_step(application: Application, number: int) -> HttpResponse:
    """A step of the form, or the recap page, which is the last step."""
    if number >= len(steps_of(application.procedure)):
        return redirect("procedures:recap", public_id=application.public_id)
    return redirect("procedures:step", public_id=application.public_id, step=max(1, number))


# --- Filling a draft, step by step ---


@applicant_side
def step(request: HttpRequest, public_id, step: int) -> HttpResponse:
    application = _own(request, public_id)
    if application.status != ApplicationStatus.DRAFT:
        return redirect("procedures:detail", public_id=application.public_id)
    steps = steps_of(application.procedure)
    if not 1 <= step < len(steps):
        raise Http404
    current = steps[step - 1]
    if request.method == "POST" and request.POST.get("action") == "previous":
        return redirect("procedures:step", public_id=application.public_id, step=max(1, step - 1))
    person = application.applicant
    if current["key"] == "answers":
        if application.procedure.is_pass_urbain:
            form = PassUrbainForm(
                posted(request),
                person=person,
                services=pass_urbain_services(),
                initial=application.answers.get("selections", {}),
            )
        else:
            form = AnswersForm(
                posted(request), procedure=application.procedure, person=person, initial=application.answers
            )
        if request.method == "POST" and form.is_valid():
            answers = (
                {"selections": {kind: keys for kind, keys in form.cleaned_data.items()}}
                if application.procedure.is_pass_urbain
                else form.answers()
            )
            services.application_draft_save(application=application, by=request.user, answers=answers, step=step + 1)
            return _to_step(application, step + 1)
    else:
        form = DocumentsForm(posted(request), _files(request), application=application)
        if request.method == "POST":
            valid = form.is_valid()
            _keep_documents(request, application, form)
            if valid:
                services.application_draft_save(application=application, by=request.user, answers={}, step=step + 1)
                return _to_step(application, step + 1)
    return render(
        request,
        "procedures/step.html",
        {
            "application": application,
            "form": form,
            "step": current,
            "steps": steps,
            "step_count": len(steps),
            "household": getattr(person, "household", None),
            "needs_household": _needs_household(application.procedure),
            "acting": acting_for(request) is not None,
            "given": application.documents.select_related("document_type"),
        },
    )


def _needs_household(procedure: ProcedureType) -> bool:
    return (
        procedure.is_pass_urbain
        or bool(procedure.engine_aid)
        or any(q["kind"] == "member" for q in procedure.questions)
    )


def _keep_documents(request: HttpRequest, application: Application, form: DocumentsForm) -> None:
    """Attach every document that passed its checks, even if another one failed: nothing sent is lost."""
    for document_type, reuse_name, file_name in form.groups:
        if file_name in form.errors:
            continue
        uploaded = request.FILES.get(file_name)
        reuse = request.POST.get(reuse_name) if reuse_name else None
        document = None
        if uploaded is not None and (reuse_name is None or reuse == "new"):
            document = services.document_upload(
                owner=application.applicant, uploaded=uploaded, by=request.user, document_type=document_type
            )
        elif reuse and reuse != "new" and reuse_name not in form.errors:
            document = Document.objects.for_person(application.applicant).filter(public_id=reuse).first()
        if document is not None:
            try:
                services.application_document_attach(application=application, document=document, by=request.user)
            except ValidationError as exc:
                form.add_error(file_name, exc.messages)


@applicant_side
def recap(request: HttpRequest, public_id) -> HttpResponse:
    application = _own(request, public_id)
    if application.status != ApplicationStatus.DRAFT:
        return redirect("procedures:detail", public_id=application.public_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            application = services.application_submit(application=application, by=request.user)
        except ValidationError as exc:
            errors = exc.messages
        else:
            # Committed: whatever happens next, the application and its number are kept.
            if acting_for(request) is not None:
                record_action(
                    request_or_acting=request,
                    action=AuditAction.ON_BEHALF_APPLICATION_SUBMITTED,
                    target=application,
                    data={"procedure": application.procedure.slug},
                    receipt=_("Votre demande « %(procedure)s » a été déposée (dossier %(number)s).")
                    % {"procedure": application.procedure.name, "number": application.receipt_number},
                )
            if application.procedure.is_pass_urbain:
                try:
                    services.pass_urbain_decide(application=application)
                except Exception:  # the case stays submitted, for the agents of the team: nothing is lost
                    logger.exception("Pass'urbain %s not decided automatically", application.public_id)
            messages.success(
                request,
                _("Votre demande est déposée. Votre numéro de dossier : %(number)s.")
                % {"number": application.receipt_number},
            )
            return redirect("procedures:detail", public_id=application.public_id)
    steps = steps_of(application.procedure)
    return render(
        request,
        "procedures/recap.html",
        {
            "application": application,
            "answers": questions.displayed(application.procedure, application.answers, application.applicant),
            "selections": _selections(application),
            "given": application.documents.select_related("document_type"),
            "problems": errors or services.submission_problems(application),
            "submit_errors": errors,
            "step": steps[-1],
            "steps": steps,
            "step_count": len(steps),
        },
    )


def _selections(application: Application) -> list[tuple[str, list[str]]]:
    if not application.procedure.is_pass_urbain:
        return []
    names = dict(computation.member_choices(getattr(application.applicant, "household", None)))
    by_kind = {s.kind: s.name for s in pass_urbain_services()}
    return [
        (by_kind.get(kind, kind), [names.get(key, key.split("|")[0]) for key in keys])
        for kind, keys in application.answers.get("selections", {}).items()
        if keys
    ]


# --- Following the case ---


def detail_context(application: Application, **forms) -> dict:
    status = application.status
    return {
        "application": application,
        "answers": questions.displayed(application.procedure, application.answers, application.applicant),
        "selections": _selections(application),
        "transitions": application.transitions.all(),
        "delay": delays.expected_delay(application.procedure),
        "given": application.documents.select_related("document_type"),
        "case_messages": application.messages.prefetch_related("documents"),
        "decisions": application.decisions.signed().prefetch_related("reviews"),
        "subscriptions": application.subscriptions.select_related("service"),
        "can_write": status not in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN),
        "can_withdraw": rule_for(status, ApplicationStatus.WITHDRAWN) is not None,
        "info_requested": status == ApplicationStatus.INFO_REQUESTED,
        "message_form": forms.get("message_form") or MessageForm(),
        "resubmit_form": forms.get("resubmit_form") or ResubmitForm(),
    }


@applicant_side
def detail(request: HttpRequest, public_id) -> HttpResponse:
    application = _own(request, public_id)
    if application.status == ApplicationStatus.DRAFT:
        return _to_step(application, application.step)
    return render(request, "procedures/detail.html", detail_context(application))


@applicant_side
def receipt(request: HttpRequest, public_id) -> HttpResponse:
    application = _own(request, public_id, receipt_number__isnull=False)
    return pdf.response(pdf.receipt(application), f"recepisse-{application.receipt_number}.pdf")


def _upload(request: HttpRequest, application: Application, form) -> list[Document]:
    uploaded = form.cleaned_data.get("file")
    if not uploaded:
        return []
    return [services.document_upload(owner=application.applicant, uploaded=uploaded, by=request.user)]


@applicant_side
@require_POST
def message(request: HttpRequest, public_id) -> HttpResponse:
    application = _own(request, public_id)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.message_send(
                application=application,
                by=request.user,
                body=form.cleaned_data["body"],
                documents=_upload(request, application, form),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Votre message est envoyé."))
            return redirect("procedures:detail", public_id=application.public_id)
    return render(request, "procedures/detail.html", detail_context(application, message_form=form), status=400)


@applicant_side
@require_POST
def resubmit(request: HttpRequest, public_id) -> HttpResponse:
    application = _own(request, public_id)
    form = ResubmitForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.application_resubmit(
                application=application,
                by=request.user,
                message=form.cleaned_data["body"],
                documents=_upload(request, application, form),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Votre réponse est envoyée : l'instruction de votre dossier reprend."))
            return redirect("procedures:detail", public_id=application.public_id)
    return render(request, "procedures/detail.html", detail_context(application, resubmit_form=form), status=400)


@applicant_side
@require_POST
def withdraw(request: HttpRequest, public_id) -> HttpResponse:
    application = _own(request, public_id)
    try:
        services.application_withdraw(application=application, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Votre demande est retirée."))
    return redirect("procedures:detail", public_id=application.public_id)


@require(permissions.is_citizen_or_instructor)
def decision_letter(request: HttpRequest, public_id) -> HttpResponse:
    """The decision letter: for the person once signed; for the team's agents at any time (parapheur)."""
    decision = get_object_or_404(
        Decision.objects.select_related("application__procedure__team", "application__applicant"), public_id=public_id
    )
    application = decision.application
    allowed = permissions.can_process(request.user, application) or (
        permissions.is_applicant(request.user, application) and decision.status == DecisionStatus.SIGNED
    )
    if not allowed:
        raise Http404
    return pdf.response(pdf.decision_letter(decision), f"decision-{application.receipt_number}.pdf")


@require(permissions.is_citizen_or_instructor)
def document(request: HttpRequest, public_id) -> HttpResponse:
    """A supporting document, only for its owner and the agents of a team processing a case it was given in."""
    found = get_object_or_404(Document, public_id=public_id)
    if not permissions.can_see_document(request.user, found):
        raise Http404
    try:
        path = documents.absolute(found.path)
        handle = open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=found.content_type, filename=found.original_name)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@applicant_side
def review_request(request: HttpRequest, public_id) -> HttpResponse:
    decision = get_object_or_404(
        Decision.objects.select_related("application__procedure"),
        public_id=public_id,
        application__applicant=person_for(request),
        status=DecisionStatus.SIGNED,
    )
    form = ReviewRequestForm(posted(request), _files(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.review_request(
                decision=decision,
                by=request.user,
                message=form.cleaned_data["message"],
                documents=_upload(request, decision.application, form),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Votre demande de nouvel examen est enregistrée."))
            return redirect("procedures:detail", public_id=decision.application.public_id)
    return render(request, "procedures/review_request.html", {"decision": decision, "form": form})


# --- Pass'urbain subscriptions ---


@applicant_side
def subscriptions(request: HttpRequest) -> HttpResponse:
    person = person_for(request)
    rows = Subscription.objects.for_person(person).select_related("service", "application")
    return render(request, "procedures/subscriptions.html", {"subscriptions": rows})


@applicant_side
@require_POST
def renew(request: HttpRequest) -> HttpResponse:
    try:
        application = services.pass_urbain_renew(applicant=person_for(request), by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("procedures:subscriptions")
    messages.info(request, _("Nous avons repris vos choix de l'an dernier : vérifiez-les."))
    return redirect("procedures:step", public_id=application.public_id, step=1)
