"""Checks the acting mode on every request: no permission is carried over from one request to the next."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record
from guichet.mediation.acting import SESSION_KEY, ActingRefused, acting_for, refusal

# Leaving is always possible: these end the acting mode quietly instead of showing the refusal.
LEAVING = frozenset({"accounts:logout", "mediation:acting_stop"})


class ActingMiddleware:
    """In acting mode, re-read the mandate now; if it no longer allows acting, refuse and end the mode.

    Placed after the OTP, session and second-factor middlewares: it needs the user, their second factor and messages,
    and it runs for every view (``process_view``), once the URL is resolved.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs) -> HttpResponse | None:
        if not request.session.get(SESSION_KEY):
            return None
        try:
            acting_for(request)
        except ActingRefused as refused:
            request.session.pop(SESSION_KEY, None)
            request._mediation_acting = None  # the rest of this request runs outside acting mode
            if refused.mandate is not None and request.user.is_authenticated:
                event_record(
                    action=AuditAction.ACTING_REFUSED,
                    actor=request.user,
                    subject=refused.mandate.person,
                    target=refused.mandate,
                    data={
                        "mandate": str(refused.mandate.public_id),
                        "organisation": str(refused.mandate.organisation.public_id),
                        "reason": refused.reason,
                        "path": request.path[:200],
                    },
                )
            match = getattr(request, "resolver_match", None)
            if match is not None and match.view_name in LEAVING:
                return None
            return refusal(request, refused.message, ended=True)
        return None
