"""Session limits and the second-factor gate for staff.

- ``SessionLimitsMiddleware`` ends staff sessions after ``STAFF_SESSION_IDLE_SECONDS`` of inactivity and
  ``STAFF_SESSION_MAX_SECONDS`` after login, and citizen sessions ``SESSION_COOKIE_AGE`` after login.
- ``StaffSecondFactorMiddleware`` lets a staff user whose session has not passed the second factor reach
  only the second-factor pages, logout and public pages: everything else (the Django admin included)
  redirects to the code check, or to enrolment when no device is set up yet.
"""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from guichet.accounts.permissions import needs_second_factor
from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record

# The stored session outlives the idle limit by a few minutes, so that the middleware (not the session store)
# ends it: the person is then told why, and the end is journaled.
EXPIRY_MARGIN_SECONDS = 300
LOGIN_AT = "guichet_login_at"
SEEN_AT = "guichet_seen_at"


@receiver(user_logged_in, dispatch_uid="guichet.accounts.session_started")
def _session_started(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    if needs_second_factor(user):
        request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS + EXPIRY_MARGIN_SECONDS)


def second_factor_exempt(view: Callable) -> Callable:
    """Mark a view as reachable by a staff user who has not yet passed the second factor."""
    view.second_factor_exempt = True  # type: ignore[attr-defined]
    return view


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            session = request.session
            login_at = session.get(LOGIN_AT)
            seen_at = session.get(SEEN_AT, login_at)
            if login_at is None:  # a session opened before these limits existed: start counting now
                session[LOGIN_AT] = session[SEEN_AT] = login_at = seen_at = now
            if needs_second_factor(user):
                expired = (
                    now - seen_at > settings.STAFF_SESSION_IDLE_SECONDS
                    or now - login_at > settings.STAFF_SESSION_MAX_SECONDS
                )
            else:
                expired = now - login_at > settings.SESSION_COOKIE_AGE
            if expired:
                event_record(action=AuditAction.SESSION_EXPIRED, actor=user, subject=user)
                logout(request)  # flushes the session: a new key, nothing carried over
                messages.info(request, _("Votre session a expiré. Connectez-vous à nouveau."))
                return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}")
            if needs_second_factor(user):
                session[SEEN_AT] = now
                session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS + EXPIRY_MARGIN_SECONDS)
        return self.get_response(request)


class StaffSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or not needs_second_factor(user):
            return None
        if getattr(user, "is_verified", lambda: False)():
            return None
        if getattr(view_func, "second_factor_exempt", False) or not getattr(view_func, "login_required", True):
            return None
        from guichet.accounts.otp import has_confirmed_device

        target = "accounts:otp_verify" if has_confirmed_device(user) else "accounts:otp_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
