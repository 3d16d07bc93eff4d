"""Mediation screens: the organisation's side (mediators), the person's side, and the account takeover."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from guichet.accounts.models import Person, User
from guichet.audit.models import AuditEvent
from guichet.core import ratelimit
from guichet.core.http import posted
from guichet.core.policy import public, require
from guichet.mediation import acting, services
from guichet.mediation.enums import ConsentMethod, MandateState
from guichet.mediation.forms import (
    ActingForm,
    CodeCheckForm,
    CodeSendForm,
    MandateForm,
    PersonRecordForm,
    SignedForm,
    TakeoverForm,
)
from guichet.mediation.models import Authorization, Mandate, Organisation
from guichet.mediation.permissions import can_see_own_mandates, is_mediator
from guichet.notifications.channels.postal import render_letter


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error("password" if "password" in form.fields else None, exc.messages)


def _actions_by_mandate(person) -> dict[str, list[dict]]:
    """Journal entries about the person made under a mandate, grouped by mandate, newest first.

    Each names who acted: the person themself, or the mediator (by their person's pseudonym, or their account).
    """
    events = list(AuditEvent.objects.about(person.pseudonym).filter(data__has_key="mandate").order_by("-id")[:500])
    by_pseudonym = {
        p.pseudonym: p.full_name
        for p in Person.objects.filter(
            pseudonym__in={e.actor for e in events if e.actor and e.actor != person.pseudonym}
        )
    }
    by_account = {
        str(user.public_id): user.person.full_name if hasattr(user, "person") else user.email
        for user in User.objects.filter(
            public_id__in={e.data["mediator"] for e in events if isinstance(e.data.get("mediator"), str)}
        ).select_related("person")
    }
    grouped: dict[str, list[dict]] = {}
    for event in events:
        if event.actor == person.pseudonym:
            who = _("vous")
        else:
            who = by_pseudonym.get(event.actor) or by_account.get(event.data.get("mediator", "")) or _("le service")
        grouped.setdefault(event.data["mandate"], []).append(
            {"at": event.created_at, "label": event.action_label, "by": who}
        )
    return grouped


# --- The organisation's side ---


def _mandate_of_mediator(request: HttpRequest, public_id) -> Mandate:
    return get_object_or_404(
        Mandate.objects.for_mediator(request.user).select_related("person", "organisation"), public_id=public_id
    )


@require(is_mediator)
def home(request: HttpRequest) -> HttpResponse:
    organisations = Organisation.objects.of_mediator(request.user)
    mandates = (
        Mandate.objects.for_organisations(organisations)
        .select_related("person", "organisation")
        .prefetch_related("authorizations")
    )
    groups: dict[str, list[Mandate]] = {state: [] for state in MandateState.values}
    for mandate in mandates[:500]:
        groups[mandate.state()].append(mandate)
    return render(
        request,
        "mediation/home.html",
        {
            "organisations": organisations,
            "groups": [(MandateState(state).label, state, groups[state]) for state in MandateState.values],
        },
    )


@require(is_mediator)
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonRecordForm(posted(request), mediator=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mandate = services.person_record_create(
                organisation=data["organisation"],
                by=request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                birth_date=data["birth_date"],
                address_line=data["address_line"],
                postal_code=data["postal_code"],
                city=data["city"],
                phone=data["phone"],
                families=data["families"],
                duration=data["duration"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Le dossier est créé. Imprimez le mandat et faites-le signer."))
            return redirect("mediation:mandate", public_id=mandate.public_id)
    return render(request, "mediation/person_create.html", {"form": form})


@require(is_mediator)
def mandate_create(request: HttpRequest) -> HttpResponse:
    form = MandateForm(posted(request), mediator=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mandate = services.mandate_prepare(
                person=form.person,
                organisation=data["organisation"],
                families=data["families"],
                duration=data["duration"],
                consent_method=data["consent_method"],
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Le mandat est prêt : il attend le consentement de la personne."))
            return redirect("mediation:mandate", public_id=mandate.public_id)
    return render(request, "mediation/mandate_create.html", {"form": form})


def _mandate_page(request: HttpRequest, mandate: Mandate, status: int = 200, **forms) -> HttpResponse:
    active_families = [a.family for a in mandate.authorizations.all() if a.revoked_at is None]
    consent_forms = {
        "signed_form": forms.get("signed_form") or SignedForm(),
        "code_send_form": forms.get("code_send_form") or CodeSendForm(),
        "code_check_form": forms.get("code_check_form") or CodeCheckForm(),
    }
    context = {
        "mandate": mandate,
        "state": mandate.state(),
        "authorizations": mandate.authorizations.all(),
        "actions": _actions_by_mandate(mandate.person).get(str(mandate.public_id), []),
        "acting_form": forms.get("acting_form") or ActingForm(families=active_families),
        **consent_forms,
        # Shown apart when the mandate no longer waits for consent (a code that already served...).
        "consent_forms": list(consent_forms.values()),
        "methods": ConsentMethod,
        "code_minutes": services.CONSENT_CODE_MINUTES,
    }
    return render(request, "mediation/mandate.html", context, status=status)


@require(is_mediator)
def mandate_detail(request: HttpRequest, public_id) -> HttpResponse:
    return _mandate_page(request, _mandate_of_mediator(request, public_id))


@require(is_mediator)
def mandate_pdf(request: HttpRequest, public_id) -> HttpResponse:
    mandate = _mandate_of_mediator(request, public_id)
    pdf = render_letter(template="mediation/pdf/mandate.html", context={"mandate": mandate, "person": mandate.person})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="mandat-{mandate.public_id}.pdf"'
    return response


@require(is_mediator)
@require_POST
def mandate_sign(request: HttpRequest, public_id) -> HttpResponse:
    mandate = _mandate_of_mediator(request, public_id)
    form = SignedForm(request.POST)
    if form.is_valid():
        try:
            services.mandate_sign_in_person(
                mandate=mandate,
                by=request.user,
                identity_document=form.cleaned_data["identity_document"],
                identity_document_end=form.cleaned_data["identity_document_end"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Le mandat signé est enregistré : il est actif."))
            return redirect("mediation:mandate", public_id=mandate.public_id)
    return _mandate_page(request, mandate, status=400, signed_form=form)


@require(is_mediator)
@require_POST
def code_send(request: HttpRequest, public_id) -> HttpResponse:
    mandate = _mandate_of_mediator(request, public_id)
    form = CodeSendForm(request.POST)
    if form.is_valid():
        try:
            services.consent_code_send(mandate=mandate, channel=form.cleaned_data["channel"], by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Le code est envoyé. Demandez à la personne de vous le lire."))
            return redirect("mediation:mandate", public_id=mandate.public_id)
    return _mandate_page(request, mandate, status=400, code_send_form=form)


@require(is_mediator)
@require_POST
def code_check(request: HttpRequest, public_id) -> HttpResponse:
    mandate = _mandate_of_mediator(request, public_id)
    form = CodeCheckForm(request.POST)
    if form.is_valid():
        try:
            services.consent_code_check(mandate=mandate, code=form.cleaned_data["code"], by=request.user)
        except services.CodeRefused as refused:
            form.add_error("code", refused.message)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Le consentement est enregistré : le mandat est actif."))
            return redirect("mediation:mandate", public_id=mandate.public_id)
    return _mandate_page(request, mandate, status=400, code_check_form=form)


@require(is_mediator)
@require_POST
def mandate_revoke(request: HttpRequest, public_id) -> HttpResponse:
    mandate = _mandate_of_mediator(request, public_id)
    try:
        services.mandate_revoke(mandate=mandate, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Le mandat est révoqué."))
    return redirect("mediation:mandate", public_id=mandate.public_id)


@require(is_mediator)
@require_POST
def authorization_revoke(request: HttpRequest, public_id) -> HttpResponse:
    authorization = get_object_or_404(
        Authorization.objects.filter(mandate__in=Mandate.objects.for_mediator(request.user)), public_id=public_id
    )
    try:
        services.authorization_revoke(authorization=authorization, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("L'habilitation est révoquée."))
    return redirect("mediation:mandate", public_id=authorization.mandate.public_id)


@require(is_mediator)
@require_POST
def acting_start(request: HttpRequest, public_id) -> HttpResponse:
    mandate = _mandate_of_mediator(request, public_id)
    active = [a.family for a in mandate.authorizations.all() if a.revoked_at is None]
    form = ActingForm(request.POST, families=active)
    if form.is_valid():
        try:
            acting.acting_stop(request)
            now = acting.acting_start(request, mandate=mandate, family=form.cleaned_data["family"])
        except acting.ActingRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                _("Vous agissez maintenant pour %(name)s (%(family)s).")
                % {"name": now.person.full_name, "family": now.family_label},
            )
            return redirect("mediation:acting_menu")
    return _mandate_page(request, mandate, status=400, acting_form=form)


@require(is_mediator)
def acting_menu(request: HttpRequest) -> HttpResponse:
    """Where to go once acting: the services that work in acting mode for the chosen family."""
    current = acting.acting_for(request)
    if current is None:
        return redirect("mediation:home")
    return render(request, "mediation/acting_menu.html", {"acting": current})


@require(is_mediator)
@require_POST
def acting_stop(request: HttpRequest) -> HttpResponse:
    acting.acting_stop(request)
    messages.info(request, _("Vous n'agissez plus pour personne."))
    return redirect("mediation:home")


@require(is_mediator)
@require_POST
def takeover_letter(request: HttpRequest, public_id) -> HttpResponse:
    """Issue a takeover code and return it printed in a letter (the code exists nowhere else)."""
    mandate = _mandate_of_mediator(request, public_id)
    try:
        code = services.takeover_code_issue(person=mandate.person, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("mediation:mandate", public_id=mandate.public_id)
    pdf = render_letter(
        template="mediation/pdf/takeover.html",
        context={
            "person": mandate.person,
            "organisation": mandate.organisation,
            "code": code,
            "days": services.TAKEOVER_CODE_DAYS,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="code-de-reprise.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- The person's side ---


def _own_mandate(request: HttpRequest, public_id) -> Mandate:
    return get_object_or_404(Mandate.objects.for_person(request.user.person), public_id=public_id)


@require(can_see_own_mandates)
def mine(request: HttpRequest) -> HttpResponse:
    """The person's mandates: first those waiting for their answer (who asks, for what, how long, the exact text)."""
    person = request.user.person
    mandates = list(
        Mandate.objects.for_person(person)
        .select_related("organisation", "created_by__person")
        .prefetch_related("authorizations")
    )
    actions = _actions_by_mandate(person)
    rows = [{"mandate": m, "state": m.state(), "actions": actions.get(str(m.public_id), [])} for m in mandates]
    waiting = [row for row in rows if row["state"] == MandateState.PENDING]
    others = [row for row in rows if row["state"] != MandateState.PENDING]
    return render(request, "mediation/mine.html", {"waiting": waiting, "rows": others})


@require(can_see_own_mandates)
@require_POST
def my_mandate_accept(request: HttpRequest, public_id) -> HttpResponse:
    mandate = _own_mandate(request, public_id)
    if request.POST.get("consent") != "yes":
        messages.error(request, _("Cochez la case pour donner votre accord."))
    else:
        try:
            services.mandate_accept(mandate=mandate, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Votre mandat est donné."))
    return redirect("mediation:mine")


@require(can_see_own_mandates)
@require_POST
def my_mandate_refuse(request: HttpRequest, public_id) -> HttpResponse:
    mandate = _own_mandate(request, public_id)
    try:
        services.mandate_refuse(mandate=mandate, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Vous avez refusé le mandat demandé par %(organisation)s : rien ne pourra être fait en votre nom.")
            % {"organisation": mandate.organisation.name},
        )
    return redirect("mediation:mine")


@require(can_see_own_mandates)
@require_POST
def my_mandate_revoke(request: HttpRequest, public_id) -> HttpResponse:
    mandate = _own_mandate(request, public_id)
    try:
        services.mandate_revoke(mandate=mandate, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Le mandat donné à %(organisation)s est révoqué : ses médiateurs ne peuvent plus agir pour vous.")
            % {"organisation": mandate.organisation.name},
        )
    return redirect("mediation:mine")


@require(can_see_own_mandates)
@require_POST
def my_authorization_revoke(request: HttpRequest, public_id) -> HttpResponse:
    authorization = get_object_or_404(
        Authorization.objects.filter(mandate__person=request.user.person), public_id=public_id
    )
    try:
        services.authorization_revoke(authorization=authorization, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("L'habilitation « %(family)s » est révoquée.") % {"family": authorization.get_family_display()}
        )
    return redirect("mediation:mine")


# --- Taking over a record created at the counter ---


@public
@never_cache
def takeover(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = TakeoverForm(posted(request))
    if request.method == "POST" and form.is_valid():
        key = ratelimit.make_key("takeover", ratelimit.client_ip(request))
        if not ratelimit.attempt(key, limit=20, window_seconds=3600, label=ratelimit.client_ip(request)):
            form.add_error(None, _("Trop d'essais depuis cet appareil. Réessayez dans une heure."))
        else:
            data = form.cleaned_data
            try:
                services.account_takeover(
                    code=data["code"], birth_date=data["birth_date"], email=data["email"], password=data["password"]
                )
            except services.CodeRefused as refused:
                form.add_error("code", refused.message)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return redirect("accounts:registration_done")
    return render(request, "mediation/takeover.html", {"form": form})
