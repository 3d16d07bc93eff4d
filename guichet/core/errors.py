"""Error pages in plain French, rendered with the site layout."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "core/error.html", {"code": 400}, status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "core/error.html", {"code": 403}, status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "core/error.html", {"code": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context here: the failure may come from a context processor or the database.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
