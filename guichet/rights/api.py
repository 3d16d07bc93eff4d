"""The public rights API: OpenFisca Web API compatible ``/calculate`` and ``/trace``, the questionnaire's
``/simulation``, and the list of aids.

``/calculate`` and ``/trace`` take and give exactly OpenFisca's JSON, so existing OpenFisca clients work against
Guichet unchanged. ``/simulation`` takes a household in Guichet's plain form (``docs/rights-mapping.md``) and gives
every aid of the catalogue, due or not, through the same function as the results page. Malformed input answers 4xx
with a message saying what is wrong; never a 500.
"""

import datetime

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from guichet.core import ratelimit
from guichet.rights import budget
from guichet.rights.engine.benefits import BENEFITS_BY_ID, get_benefits
from guichet.rights.engine.calculate import WebApiError, web_api_calculate, web_api_trace
from guichet.rights.engine.deadline import TimeLimitExceeded, time_limit
from guichet.rights.engine.local import local_aids
from guichet.rights.engine.mapping import situation_months
from guichet.rights.engine.situation import HOUSINGS, HouseholdInput, InvalidHousehold
from guichet.rights.simulation import simulate


def _description() -> str:
    limits = budget.Limits.from_settings()
    return (
        "Calcul des droits sur OpenFisca-France et les aides locales du territoire. "
        "`/calculate` et `/trace` suivent le format de l'API Web d'OpenFisca ; `/simulation` prend un foyer sous la "
        "forme simple de Guichet.\n\n"
        "**Limites d'une requête** (vérifiées avant tout calcul ; au-delà : 413 ou 400 avec un message) : "
        f"{limits.max_bytes // 1024} Ko, JSON imbriqué sur {budget.MAX_DEPTH} niveaux et entiers de "
        f"{budget.MAX_INTEGER_DIGITS} chiffres au plus ; {limits.max_persons} personnes et {limits.max_instances} "
        f"instances par entité ; {limits.max_computations} calculs (une variable sur une période ; une variable "
        f"mensuelle demandée sur une année en compte douze, {budget.MAX_SPAN_MONTHS} au plus par période) et "
        f"{limits.max_periods} périodes différentes ; périodes "
        f"de l'année en cours moins {limits.years_back} à plus {limits.years_ahead}. Un calcul s'arrête au bout de "
        f"{limits.time_limit:g} s (422). {settings.RIGHTS_API_RATE_LIMIT} requêtes par minute et par adresse (429)."
    )


api = NinjaAPI(
    title="Guichet — Mes droits",
    version="1",
    description=_description(),
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
    },
    "responses": {
        200: {"description": "La situation, chaque variable demandée calculée."},
        400: {"description": "Situation invalide ou hors des limites d'une requête : le message dit pourquoi."},
        404: {"description": "Variable inconnue."},
        413: {"description": "Corps de requête trop grand."},
        422: {"description": "Le calcul a dépassé sa durée permise."},
        429: {"description": "Trop de requêtes."},
    },
}


# What one /simulation request may ask: a household of the household form's size, its months, plausible amounts.
SIMULATION_MAX_BYTES = 64 * 1024
SIMULATION_MAX_MEMBERS = 12
SIMULATION_MAX_AMOUNT = 1_000_000
SIMULATION_FIRST_MONTH = "2022-01"  # OpenFisca-France's parameters reach back far enough for 36 months before it

_MEMBER_SCHEMA = {
    "type": "object",
    "required": ["id", "relationship", "birth_date", "situation"],
    "properties": {
        "id": {"type": "string"},
        "relationship": {"type": "string", "enum": ["self", "partner", "child", "other"]},
        "birth_date": {"type": "string", "format": "date"},
        "situation": {
            "type": "string",
            "enum": ["employed", "self_employed", "unemployed", "student", "retired", "disabled", "inactive", "child"],
        },
        "disability_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
        "employment_restriction": {"type": "boolean"},
        "school_level": {
            "type": ["string", "null"],
            "enum": ["maternelle", "primaire", "college", "lycee", "superieur", "none", None],
        },
        "unemployed_since": {"type": ["string", "null"], "format": "date"},
        "self_employed_activity": {"type": ["string", "null"], "enum": ["sales", "services", "liberal", None]},
        "resources": {
            "type": "object",
            "description": "Ressources nettes par mois (« AAAA-MM », les 12 mois avant `month` et `month` lui-même) "
            "et par nature : salary, self_employed (chiffre d'affaires), unemployment, pension, disability_pension, "
            "child_support, child_support_paid.",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
        },
    },
}
SIMULATION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["month", "household"],
                    "properties": {
                        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "example": "2026-12"},
                        "household": {
                            "type": "object",
                            "description": "Le foyer sous la forme simple de Guichet (docs/rights-mapping.md). "
                            f"Au plus {SIMULATION_MAX_MEMBERS} personnes, {SIMULATION_MAX_BYTES // 1024} Ko.",
                            "required": ["housing", "commune_insee", "members"],
                            "properties": {
                                "housing": {
                                    "type": "string",
                                    "enum": sorted(HOUSINGS),
                                },
                                "shared_tenancy": {"type": "boolean"},
                                "commune_insee": {"type": "string", "pattern": "^[0-9AB]{5}$"},
                                "monthly_rent": {"type": ["number", "null"], "description": "Loyer hors charges"},
                                "last_year_taxable_income": {"type": ["number", "null"]},
                                "taxable_income_two_years_ago": {"type": ["number", "null"]},
                                "already_received": {
                                    "type": "object",
                                    "description": "Aides déjà reçues, en euros par mois, par identifiant de "
                                    "/api/v1/benefits.",
                                    "additionalProperties": {"type": "number", "minimum": 0},
                                },
                                "members": {
                                    "type": "array",
                                    "maxItems": SIMULATION_MAX_MEMBERS,
                                    "items": _MEMBER_SCHEMA,
                                },
                            },
                        },
                    },
                }
            }
        },
    },
    "responses": {
        200: {"description": "Chaque aide du catalogue : id, eligible, amount, amount_period, reason; le total."},
        400: {"description": "Requête invalide : le message dit ce qui ne va pas."},
        413: {"description": "Corps de requête trop grand."},
        422: {"description": "Le calcul a dépassé sa durée permise."},
        429: {"description": "Trop de requêtes."},
    },
}


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _limited(request: HttpRequest) -> JsonResponse | None:
    address = ratelimit.client_ip(request)
    key = ratelimit.make_key("rights-api", address)
    if not ratelimit.attempt(key, limit=settings.RIGHTS_API_RATE_LIMIT, window_seconds=60, label=address):
        response = _error(_("Trop de requêtes : réessayez dans une minute."), 429)
        response["Retry-After"] = "60"
        return response
    return None


def _too_long(limits: budget.Limits) -> JsonResponse:
    return _error(
        _("Le calcul a dépassé %(seconds)s s : demandez moins de personnes, de variables ou de périodes.")
        % {"seconds": f"{limits.time_limit:g}"},
        422,
    )


def _run(request: HttpRequest, function) -> JsonResponse:
    refused = _limited(request)
    if refused is not None:
        return refused
    limits = budget.Limits.from_settings()
    try:
        budget.check_size(request.META.get("CONTENT_LENGTH"), limits)
        payload = budget.parse_json(budget.read_body(request), limits)
        if not isinstance(payload, dict):
            raise budget.OverBudget("The request body must be a JSON object describing a situation.")
        budget.check_situation(payload, limits, frozenset(local_aids()))
    except budget.OverBudget as refusal:
        return _error(refusal.message, refusal.status)
    try:
        with time_limit(limits.time_limit):
            result = function(payload)
    except WebApiError as error:
        return JsonResponse(error.error, status=error.code, safe=False, json_dumps_params={"ensure_ascii": False})
    except TimeLimitExceeded:
        return _too_long(limits)
    return JsonResponse(result, json_dumps_params={"ensure_ascii": False})


@api.post("/calculate", openapi_extra=SITUATION_BODY, summary="Calculer (format OpenFisca)")
def calculate(request: HttpRequest):
    """Return the situation with every requested variable (null) computed."""
    return _run(request, web_api_calculate)


@api.post("/trace", openapi_extra=SITUATION_BODY, summary="Tracer le calcul (format OpenFisca)")
def trace(request: HttpRequest):
    """Return OpenFisca's flat trace of the requested computations."""
    return _run(request, web_api_trace)


def _simulation_request(body: bytes) -> tuple[str, HouseholdInput]:
    """The month and household of a /simulation body; raises ``ValueError`` with a message for people."""
    try:
        payload = budget.parse_json(body, budget.Limits.from_settings())
    except budget.OverBudget as refusal:
        raise ValueError(refusal.message) from refusal
    if not isinstance(payload, dict) or set(payload) - {"month", "household"}:
        raise ValueError(_("Le corps de la requête est un objet avec deux clés : « month » et « household »."))
    month = payload.get("month")
    if not isinstance(month, str) or len(month) != 7 or month[4] != "-":
        raise ValueError(_("« month » doit être un mois au format AAAA-MM, par exemple 2026-12."))
    try:
        datetime.date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise ValueError(_("« month » doit être un mois au format AAAA-MM, par exemple 2026-12.")) from exc
    last = f"{datetime.date.today().year + 1}-12"
    if not SIMULATION_FIRST_MONTH <= month <= last:
        raise ValueError(
            _("« month » doit être compris entre %(first)s et %(last)s.")
            % {"first": SIMULATION_FIRST_MONTH, "last": last}
        )
    data = payload.get("household")
    if not isinstance(data, dict):
        raise ValueError(_("« household » doit décrire le foyer (un objet JSON)."))
    members = data.get("members")
    if not isinstance(members, list) or not members:
        raise ValueError(_("« household.members » doit lister les personnes du foyer."))
    if len(members) > SIMULATION_MAX_MEMBERS:
        raise ValueError(_("Un foyer compte au plus %(count)s personnes.") % {"count": SIMULATION_MAX_MEMBERS})
    try:
        household = HouseholdInput.from_dict(data)
    except InvalidHousehold as exc:
        raise ValueError(_("Le foyer n'est pas valide : %(error)s.") % {"error": exc}) from exc
    months = set(situation_months(month))
    for member in household.members:
        for resource_month, by_kind in member.resources.items():
            if resource_month not in months:
                raise ValueError(
                    _(
                        "Les ressources sont lues pour les 12 mois avant %(month)s et ce mois-là ; "
                        "%(other)s n'en fait pas partie."
                    )
                    % {"month": month, "other": resource_month}
                )
            if any(amount > SIMULATION_MAX_AMOUNT for amount in by_kind.values()):
                raise ValueError(
                    _("Un montant mensuel ne peut pas dépasser %(max)s €.") % {"max": SIMULATION_MAX_AMOUNT}
                )
    known = set(BENEFITS_BY_ID) | set(local_aids())
    unknown = sorted(set(household.already_received) - known)
    if unknown:
        raise ValueError(
            _("Aide inconnue dans « already_received » : %(aid)s (voir /api/v1/benefits).") % {"aid": unknown[0]}
        )
    return month, household


@api.post("/simulation", openapi_extra=SIMULATION_BODY, summary="Simuler les droits d'un foyer")
def simulation(request: HttpRequest):
    """Every national and local aid of a household for a month: amount, period, and the reason of each aid not due.

    The amounts are those of the results page for the same household (one function computes both).
    """
    refused = _limited(request)
    if refused is not None:
        return refused
    limits = budget.Limits.from_settings()
    try:
        budget.check_size(request.META.get("CONTENT_LENGTH"), limits)
        body = budget.read_body(request)
    except budget.OverBudget as refusal:
        return _error(refusal.message, refusal.status)
    if len(body) > SIMULATION_MAX_BYTES:
        return _error(_("Requête trop grande : %(max)s Ko au plus.") % {"max": SIMULATION_MAX_BYTES // 1024}, 413)
    try:
        month, household = _simulation_request(body)
    except ValueError as exc:
        return _error(str(exc), 400)
    try:
        with time_limit(limits.time_limit):
            answer = simulate(household, month).as_api()
    except TimeLimitExceeded:
        return _too_long(limits)
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})


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
