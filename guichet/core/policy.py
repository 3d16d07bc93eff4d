"""View access policies.

Every view requires a logged-in user (Django's LoginRequiredMiddleware) unless it is marked public with
`public`. Role and object rules are plain predicates in each app's ``permissions.py``; `require` turns a
predicate on the user into a view decorator that answers 403 when it fails.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def public(view: View) -> View:
    """Mark a view as reachable without logging in."""
    return login_not_required(view)


def require(predicate: Callable[[Any], bool]) -> Callable[[View], View]:
    """Refuse the view (403) unless ``predicate(request.user)`` holds."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
