"""The public rights API: OpenFisca Web API compatible ``/calculate`` and ``/trace``, and the list of aids.

Bodies and answers are exactly OpenFisca's, so existing OpenFisca clients work against Guichet unchanged.
Malformed input answers 400 with an OpenFisca-style error saying what is wrong; never a 500.
"""

import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from guichet.core import ratelimit
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import WebApiError, web_api_calculate, web_api_trace
from guichet.rights.engine.local import local_aids

api = NinjaAPI(
    title="Guichet — Mes droits",
    version="1",
    description=(
        "Calcul des droits sur OpenFisca-France et les aides locales du territoire. "
        "`/calculate` et `/trace` suivent le format de l'API Web d'OpenFisca."
    ),
    urls_namespace="api",
    docs_url=None,  # the interactive page loads scripts from a CDN, which the CSP forbids: openapi.json is served
)

SITUATION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "Une situation au format de l'API Web d'OpenFisca (individus, familles, "
                    "foyers_fiscaux, menages), les variables demandées valant null.",
                    "additionalProperties": True,
                }
            }
        },
    }
}


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _limited(request: HttpRequest) -> JsonResponse | None:
    key = ratelimit.make_key("rights-api", ratelimit.client_ip(request))
    if ratelimit.is_limited(key, settings.RIGHTS_API_RATE_LIMIT) or not ratelimit.hit(key, 60):
        response = _error(_("Trop de requêtes : réessayez dans une minute."), 429)
        response["Retry-After"] = "60"
        return response
    return None


def _run(request: HttpRequest, function) -> JsonResponse:
    refused = _limited(request)
    if refused is not None:
        return refused
    try:
        payload = json.loads(request.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(f"Invalid JSON: {exc}", 400)
    if not isinstance(payload, dict):
        return _error("The request body must be a JSON object describing a situation.", 400)
    try:
        result = function(payload)
    except WebApiError as error:
        return JsonResponse(error.error, status=error.code, safe=False, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(result, json_dumps_params={"ensure_ascii": False})


@api.post("/calculate", openapi_extra=SITUATION_BODY, summary="Calculer (format OpenFisca)")
def calculate(request: HttpRequest):
    """Return the situation with every requested variable (null) computed."""
    return _run(request, web_api_calculate)


@api.post("/trace", openapi_extra=SITUATION_BODY, summary="Tracer le calcul (format OpenFisca)")
def trace(request: HttpRequest):
    """Return OpenFisca's flat trace of the requested computations."""
    return _run(request, web_api_trace)


@api.get("/benefits", summary="Aides nationales et locales")
def benefits(request: HttpRequest):
    """Every aid Guichet computes, with its label, description, legal references and how to claim it."""
    return {
        "national": [benefit.as_dict() for benefit in get_benefits()],
        "local": [aid.as_dict() for aid in local_aids().values()],
    }


def urls():
    """The API's URL patterns, public by policy: anyone may simulate, without an account."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
