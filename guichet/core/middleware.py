"""Headers and limits every response and request gets, whatever the view.

- ``PermissionsPolicyMiddleware`` sends ``PERMISSIONS_POLICY``: the browser features (camera, microphone,
  geolocation, payment...) that no page of Guichet uses are refused to every page and to anything it embeds.
- ``UploadSizeLimitMiddleware`` answers 413 to a request whose declared body (``Content-Length``) is larger than
  ``UPLOAD_MAX_BYTES``, before anything reads it: an oversized upload is neither streamed to disk nor parsed.
  Under WSGI nothing beyond ``Content-Length`` is ever read, so a body without it (chunked) arrives empty.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class UploadSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body at all then
        if length > settings.UPLOAD_MAX_BYTES:
            return render(
                request,
                "core/error.html",
                {
                    "code": 413,
                    "limit_mb": settings.UPLOAD_MAX_BYTES / 1024 / 1024,
                    "document_limit_mb": settings.DOCUMENT_MAX_BYTES / 1024 / 1024,
                },
                status=413,
            )
        return self.get_response(request)
