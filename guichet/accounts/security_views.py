"""Second factor (staff) and FranceConnect login views: thin, the checks live in ``otp`` and ``oidc``."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from guichet.accounts import oidc, otp, services
from guichet.accounts.forms import OtpForm
from guichet.accounts.middleware import second_factor_exempt
from guichet.accounts.permissions import can_link_oidc_identity, needs_second_factor
from guichet.core.http import posted
from guichet.core.policy import public, require


def _next(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


# --- Second factor ---


@never_cache
@second_factor_exempt
@require(needs_second_factor)
def otp_enrolment_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link an administrator emailed: opened while logged in to the same account, it opens the enrolment."""
    try:
        otp.enrolment_link_open(request=request, user=request.user, token=token)
    except otp.EnrolmentLinkRefused as refused:
        messages.error(request, refused.message)
        if otp.has_confirmed_device(request.user) and not request.user.is_verified():
            return redirect("accounts:otp_verify")
    return redirect("accounts:otp_setup")


@never_cache
@second_factor_exempt
@require(needs_second_factor)
def otp_setup(request: HttpRequest) -> HttpResponse:
    """After an enrolment link: scan the QR code, type a first code, receive the backup codes."""
    if not otp.enrolment_allowed(request, request.user):
        if request.user.is_verified() and otp.has_confirmed_device(request.user):
            return redirect(_next(request) or settings.LOGIN_REDIRECT_URL)
        if otp.has_confirmed_device(request.user):
            # A device exists: replacing it requires passing it first (or an administrator's link).
            return redirect("accounts:otp_verify")
        # A password alone never enrols a device: the administrator's link is the proof of who is enrolling.
        return render(request, "accounts/otp_enrolment_needed.html", {"validity": otp.enrolment_link_validity()})
    device = otp.totp_enrolment_start(request=request, user=request.user)
    form = OtpForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            codes = otp.totp_enrolment_confirm(request=request, user=request.user, token=form.cleaned_data["code"])
        except otp.OtpRefused as refused:
            form.add_error("code", refused.message)
        else:
            return render(request, "accounts/otp_backup_codes.html", {"codes": codes, "next": _next(request)})
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": otp.totp_qr_svg(device),
            "secret": otp.totp_secret_base32(device),
            "next": _next(request),
        },
    )


@never_cache
@second_factor_exempt
@require(needs_second_factor)
def otp_verify(request: HttpRequest) -> HttpResponse:
    if not otp.has_confirmed_device(request.user):
        return redirect("accounts:otp_setup")
    if request.user.is_verified():
        return redirect(_next(request) or settings.LOGIN_REDIRECT_URL)
    form = OtpForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            otp.otp_verify(request=request, user=request.user, token=form.cleaned_data["code"])
        except otp.OtpRefused as refused:
            form.add_error("code", refused.message)
        else:
            return redirect(_next(request) or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next(request)})


# --- FranceConnect (OpenID Connect) ---


def _refused(request: HttpRequest, reason: str, message: str, status: int = 403) -> HttpResponse:
    services.oidc_refusal_record(reason=reason)
    return render(
        request,
        "accounts/oidc_failed.html",
        {"message": message, "provider": settings.OIDC_PROVIDER_NAME},
        status=status,
    )


@public
@never_cache
def oidc_start(request: HttpRequest) -> HttpResponse:
    if not oidc.is_configured():
        return _refused(request, "not_configured", _("La connexion avec FranceConnect n'est pas proposée ici."), 404)
    try:
        url = oidc.authorization_url(request, purpose="login", next_url=_next(request))
    except oidc.OidcError as error:
        return _refused(request, error.reason, error.message, 503)
    return redirect(url)


@never_cache
@require(can_link_oidc_identity)
def oidc_link(request: HttpRequest) -> HttpResponse:
    """The explicit step by which a logged-in citizen links their FranceConnect identity (POST only)."""
    if request.method != "POST":
        return render(request, "accounts/oidc_link.html", {"provider": settings.OIDC_PROVIDER_NAME})
    if not oidc.is_configured():
        return _refused(request, "not_configured", _("La connexion avec FranceConnect n'est pas proposée ici."), 404)
    try:
        url = oidc.authorization_url(request, purpose="link")
    except oidc.OidcError as error:
        return _refused(request, error.reason, error.message, 503)
    return redirect(url)


@public
@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not oidc.is_configured():
        return _refused(request, "not_configured", _("La connexion avec FranceConnect n'est pas proposée ici."), 404)
    try:
        result = oidc.callback(request)
    except oidc.OidcError as error:
        return _refused(request, error.reason, error.message)
    try:
        if result.purpose == "link":
            if not request.user.is_authenticated or request.user.pk != result.user_pk:
                return _refused(
                    request, "link_user", _("Reconnectez-vous à votre compte avant de lier votre identité.")
                )
            services.oidc_link(user=request.user, claims=result.claims)
            messages.success(request, _("Votre identité FranceConnect est liée à votre compte."))
            return redirect("accounts:profile")
        services.oidc_login(request=request, claims=result.claims, id_token=result.id_token)
    except services.OidcRefused as refused:
        return _refused(request, refused.reason, refused.message)
    return redirect(result.next_url or settings.LOGIN_REDIRECT_URL)
