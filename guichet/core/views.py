from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from guichet.core.policy import public


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@public
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


@public
def legal_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "core/legal_notice.html")


@public
def personal_data(request: HttpRequest) -> HttpResponse:
    context = {
        "browser_days": settings.LOGIN_TRUSTED_BROWSER_DAYS,
        "attempts_hours": settings.LOGIN_ACCOUNT_WINDOW_SECONDS // 3600,
    }
    return render(request, "core/personal_data.html", context)


@public
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
