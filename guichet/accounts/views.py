from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.accounts import household_form, known_browsers, oidc, services
from guichet.accounts.enums import ConsentPurpose
from guichet.accounts.forms import (
    HousingForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResendVerificationForm,
    ResourcesForm,
    SelfMemberForm,
    TaxesForm,
    last_twelve_months,
    member_formset,
    member_formset_plus_one,
)
from guichet.accounts.middleware import second_factor_exempt
from guichet.accounts.models import Consent, Household, HouseholdDraft, HouseholdMember, User
from guichet.accounts.permissions import is_citizen
from guichet.audit.models import AuditEvent
from guichet.catalog.models import Commune
from guichet.core import ratelimit
from guichet.core.http import posted
from guichet.core.policy import public, require

# --- Registration, email verification, login ---


@public
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = RegistrationForm(posted(request))
    if request.method == "POST" and form.is_valid():
        ip = ratelimit.client_ip(request)
        key = ratelimit.make_key("register", ip)
        if not ratelimit.attempt(key, limit=settings.REGISTRATIONS_PER_IP, window_seconds=3600, label=ip):
            form.add_error(None, _("Trop d'inscriptions depuis cette adresse. Réessayez dans une heure."))
        else:
            try:
                services.user_register(
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return redirect("accounts:registration_done")
    return render(request, "accounts/register.html", {"form": form})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        # Password validators raise plain lists: they belong to the password field.
        form.add_error("password" if "password" in form.fields else None, exc.messages)


@public
def registration_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/registration_done.html")


@public
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        services.email_verify(token=token)
    except ValidationError as exc:
        return render(
            request, "accounts/verify_email_failed.html", {"reason": exc.messages[0], "form": ResendVerificationForm()}
        )
    messages.success(request, _("Votre adresse est vérifiée. Vous pouvez vous connecter."))
    return redirect("accounts:login")


@public
def resend_verification(request: HttpRequest) -> HttpResponse:
    form = ResendVerificationForm(posted(request))
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        ip = ratelimit.client_ip(request)
        key = ratelimit.make_key("verify-resend", email, ip)
        if not ratelimit.attempt(key, limit=3, window_seconds=3600, label=f"{email} {ip}"):
            form.add_error(None, _("Trop de demandes pour cette adresse. Réessayez dans une heure."))
        else:
            user = User.objects.filter(email__iexact=email, email_verified_at__isnull=True).first()
            if user is not None:
                services.email_verification_send(user=user)
            # Same answer whether or not the account exists: no way to test which addresses are registered.
            return render(request, "accounts/registration_done.html", {"resent": True})
    return render(request, "accounts/resend_verification.html", {"form": form})


@public
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                request=request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except services.LoginRefused as refused:
            form.add_error(None, refused.message)
        else:
            next_url = request.POST.get("next") or request.GET.get("next")
            response = redirect(next_url if next_url and _is_safe(request, next_url) else settings.LOGIN_REDIRECT_URL)
            known_browsers.remember(request, response, user)
            return response
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "next": request.GET.get("next", ""),
            "oidc_enabled": oidc.is_configured(),
            "oidc_provider": settings.OIDC_PROVIDER_NAME,
        },
    )


@public
def login_unlock(request: HttpRequest, token: str) -> HttpResponse:
    """The link emailed when an account's login ceiling is reached: this browser may then try the password."""
    try:
        user = services.login_unlock(token=token)
    except ValidationError as exc:
        return render(request, "accounts/login_unlock_failed.html", {"reason": exc.messages[0]})
    messages.success(request, _("Cet appareil est autorisé : connectez-vous avec votre mot de passe."))
    response = redirect("accounts:login")
    known_browsers.remember(request, response, user)
    return response


def _is_safe(request: HttpRequest, url: str) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    return url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())


@public
@second_factor_exempt
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    provider_logout = services.logout_user(request=request)
    messages.info(request, _("Vous êtes déconnecté(e)."))
    # Logged in with FranceConnect: end the provider's session too, which then sends the person back here.
    return redirect(provider_logout or settings.LOGOUT_REDIRECT_URL)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # The client's IP first: random emails sent from one IP write no counter once that IP is over its limit.
        ip = ratelimit.client_ip(self.request)
        email = form.cleaned_data["email"].lower()
        by_ip = ratelimit.make_key("password-reset-ip", ip)
        if not ratelimit.attempt(by_ip, limit=settings.PASSWORD_RESETS_PER_IP, window_seconds=3600, label=ip):
            form.add_error(None, _("Trop de demandes depuis cet appareil. Réessayez dans une heure."))
            return self.form_invalid(form)
        by_email = ratelimit.make_key("password-reset", email)
        if not ratelimit.attempt(by_email, limit=5, window_seconds=3600, label=email):
            form.add_error(None, _("Trop de demandes pour cette adresse. Réessayez dans une heure."))
            return self.form_invalid(form)
        return super().form_valid(form)

    extra_email_context = {"site_url": settings.SITE_URL}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_reset_recorded(user=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_change_recorded(user=form.user)
        messages.success(self.request, _("Votre mot de passe a été modifié."))
        return response


password_reset = public(PasswordResetView.as_view())
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = public(PasswordResetConfirmView.as_view())
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html")
)
password_change = PasswordChangeView.as_view()


# --- Profile ---


def profile(request: HttpRequest) -> HttpResponse:
    person = getattr(request.user, "person", None)
    household = None
    if person is not None:
        household = (
            Household.objects.filter(person=person)
            .prefetch_related(Prefetch("members", queryset=HouseholdMember.objects.order_by("position")))
            .first()
        )
    communes = dict(Commune.objects.values_list("insee_code", "name"))
    return render(
        request,
        "accounts/profile.html",
        {
            "person": person,
            "household": household,
            "commune_name": communes.get(household.commune_insee) if household else None,
            "has_draft": person is not None and HouseholdDraft.objects.filter(person=person).exists(),
            "oidc_enabled": oidc.is_configured(),
            "oidc_linked": request.user.oidc_identities.exists(),
        },
    )


@require(is_citizen)
def profile_edit(request: HttpRequest) -> HttpResponse:
    person = request.user.person
    form = ProfileForm(posted(request), instance=person)
    if request.method == "POST" and form.is_valid():
        # The form is bound to the instance: read the values it cleaned, the service applies them.
        person.refresh_from_db()
        services.person_update(person=person, data=form.cleaned_data, by=request.user)
        messages.success(request, _("Votre profil a été enregistré."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile_edit.html", {"form": form})


# --- Household, step by step ---


def _draft(person) -> HouseholdDraft:
    draft = HouseholdDraft.objects.filter(person=person).first()
    if draft is None:
        draft = services.household_draft_save(person=person, step=1, data=household_form.initial_data(person))
    return draft


@require(is_citizen)
def household_start(request: HttpRequest) -> HttpResponse:
    draft = _draft(request.user.person)
    return redirect("accounts:household_step", step=min(draft.step, household_form.STEP_COUNT))


@require(is_citizen)
def household_step(request: HttpRequest, step: int) -> HttpResponse:
    if not 1 <= step <= household_form.STEP_COUNT:
        return redirect("accounts:household_step", step=1)
    person = request.user.person
    draft = _draft(person)
    data = dict(draft.data)
    if step > draft.step:
        # Steps are filled in order: never skip ahead of what has been saved.
        return redirect("accounts:household_step", step=draft.step)
    post = posted(request)
    action = request.POST.get("action", "next")
    context: dict = {}
    members = data.get("members") or []

    if step == 1:
        housing = data.get("housing") or {}
        form = HousingForm(post, initial=housing, communes=Commune.objects.choices())
        forms_ok = form.is_bound and form.is_valid()
        if forms_ok:
            data["housing"] = form.to_data()
        context["form"] = form
    elif step == 2:
        self_form = SelfMemberForm(post, initial=members[0] if members else {}, prefix="self")
        if post is not None and action == "add_member":
            # One more empty person, keeping everything typed so far (nothing is validated or lost).
            return render(
                request,
                "accounts/household_step.html",
                _step_context(step, {"self_form": self_form, "formset": member_formset_plus_one(post, members)}),
            )
        extra = 1 if post is None and len(members) <= 1 else 0
        formset = member_formset(post, members, extra=extra)
        forms_ok = self_form.is_bound and self_form.is_valid() and formset.is_valid()
        if forms_ok:
            data["members"] = [self_form.to_data(), *formset.to_data()]
            _resize_resources(data)
        context.update(self_form=self_form, formset=formset)
    elif step == 3:
        months = last_twelve_months()
        form = ResourcesForm(
            post,
            initial=ResourcesForm.initial_from(data.get("resources") or {}),
            members=members,
            months=months,
        )
        forms_ok = form.is_bound and form.is_valid()
        if forms_ok:
            data["resources"] = form.to_data()
        context["form"] = form
    else:
        form = TaxesForm(post, initial=data.get("taxes") or {})
        forms_ok = form.is_bound and form.is_valid()
        if forms_ok:
            data["taxes"] = form.to_data()
        context["form"] = form

    if post is not None:
        if action == "previous":
            if forms_ok:
                services.household_draft_save(person=person, step=draft.step, data=data)
            return redirect("accounts:household_step", step=max(step - 1, 1))
        if forms_ok:
            reached = max(draft.step, step + 1)
            services.household_draft_save(person=person, step=reached, data=data)
            if step == household_form.STEP_COUNT:
                return redirect("accounts:household_recap")
            return redirect("accounts:household_step", step=step + 1)
    return render(request, "accounts/household_step.html", _step_context(step, context))


def _resize_resources(data: dict) -> None:
    """Drop resources of members removed from the household."""
    count = len(data.get("members") or [])
    resources = data.get("resources") or {}
    data["resources"] = {index: value for index, value in resources.items() if int(index) < count}


def _step_context(step: int, context: dict) -> dict:
    return {
        **context,
        "step": household_form.STEPS[step - 1],
        "steps": household_form.STEPS,
        "step_count": household_form.STEP_COUNT,
    }


@require(is_citizen)
def household_recap(request: HttpRequest) -> HttpResponse:
    person = request.user.person
    draft = HouseholdDraft.objects.filter(person=person).first()
    if draft is None:
        return redirect("accounts:profile")
    if not household_form.is_complete(draft.data):
        messages.warning(request, _("Complétez d'abord toutes les étapes."))
        return redirect("accounts:household_step", step=draft.step)
    if request.method == "POST":
        try:
            services.household_save(person=person, data=draft.data, by=request.user)
        except ValidationError as exc:
            # Only answers not made by the form (the aids received, given by the simulator) can fail here.
            messages.error(request, exc.messages[0])
            return redirect("accounts:household_recap")
        messages.success(request, _("Votre foyer a été enregistré."))
        return redirect("accounts:profile")
    communes = dict(Commune.objects.values_list("insee_code", "name"))
    return render(
        request,
        "accounts/household_recap.html",
        {
            "data": household_form.recap(draft.data, communes),
            "step_count": household_form.STEP_COUNT,
        },
    )


@require(is_citizen)
@require_POST
def household_draft_discard(request: HttpRequest) -> HttpResponse:
    HouseholdDraft.objects.filter(person=request.user.person).delete()
    messages.info(request, _("Vos modifications en cours ont été abandonnées."))
    return redirect("accounts:profile")


# --- Consents and journal ---


@require(is_citizen)
def consents(request: HttpRequest) -> HttpResponse:
    person = request.user.person
    if request.method == "POST":
        purpose = request.POST.get("purpose", "")
        if purpose not in ConsentPurpose.values:
            messages.error(request, _("Cette finalité n'existe pas."))
        else:
            services.consent_give(person=person, purpose=ConsentPurpose(purpose), by=request.user)
            messages.success(request, _("Votre consentement est enregistré."))
        return redirect("accounts:consents")
    records = Consent.objects.for_person(person)
    active = {c.purpose: c for c in records if c.withdrawn_at is None}
    purposes = [
        {"value": value, "label": label, "active": active.get(value)} for value, label in ConsentPurpose.choices
    ]
    return render(request, "accounts/consents.html", {"purposes": purposes, "records": records})


@require(is_citizen)
@require_POST
def consent_withdraw(request: HttpRequest, public_id) -> HttpResponse:
    consent = get_object_or_404(Consent.objects.for_person(request.user.person), public_id=public_id)
    try:
        services.consent_withdraw(consent=consent, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Votre consentement est retiré."))
    return redirect("accounts:consents")


def journal(request: HttpRequest) -> HttpResponse:
    person = getattr(request.user, "person", None)
    events = AuditEvent.objects.about(person.pseudonym).order_by("-id")[:200] if person else []
    return render(request, "accounts/journal.html", {"events": events, "me": person.pseudonym if person else None})
