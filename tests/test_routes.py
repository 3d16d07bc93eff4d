"""Every URL × every role, against a declared policy: a URL without a policy entry fails the suite.

Default deny: anything not public must send an anonymous visitor to the login page, and anything
reserved to a role must refuse the others. Staff roles are checked as fully logged-in users (second
factor passed); a separate test checks that without it they reach nothing but public pages.
Object-level isolation: every URL that names an object declares, in ISOLATION, how to build an object
belonging to someone else; requesting it must answer 404.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import UserFactory, login_verified

ROLES = ["anonymous", "citizen", "mediator", "agent", "supervisor", "admin"]
STAFF = ["mediator", "agent", "supervisor", "admin"]
STAFF_ONLY = {"anonymous": "login", "citizen": "deny", **dict.fromkeys(STAFF, "redirect")}

# What each role gets: "ok" (served), "login" (sent to log in), "deny" (403), "missing" (404),
# "method" (405: the URL exists for that role but takes another method).
PUBLIC = dict.fromkeys(ROLES, "ok")
LOGGED_IN = {"anonymous": "login", **dict.fromkeys(ROLES[1:], "ok")}
CITIZEN_ONLY = {"anonymous": "login", "citizen": "ok", **dict.fromkeys(STAFF, "deny")}
CITIZEN_POST_ONLY = {"anonymous": "login", "citizen": "method", **dict.fromkeys(STAFF, "deny")}

POLICY = {
    "core:home": PUBLIC,
    "core:accessibility": PUBLIC,
    "core:legal_notice": PUBLIC,
    "core:personal_data": PUBLIC,
    "core:health": PUBLIC,
    "set_language": PUBLIC,  # POST to switch; a GET just redirects back
    "admin_login": dict.fromkeys(ROLES, "login"),
    "accounts:register": {"anonymous": "ok", **dict.fromkeys(ROLES[1:], "redirect")},
    "accounts:registration_done": PUBLIC,
    "accounts:resend_verification": PUBLIC,
    "accounts:verify_email": PUBLIC,
    "accounts:login": PUBLIC,
    "accounts:logout": {**dict.fromkeys(ROLES, "method")},
    "accounts:password_reset": PUBLIC,
    "accounts:password_reset_done": PUBLIC,
    "accounts:password_reset_confirm": PUBLIC,
    "accounts:password_reset_complete": PUBLIC,
    "accounts:password_change": LOGGED_IN,
    "accounts:profile": LOGGED_IN,
    "accounts:profile_edit": CITIZEN_ONLY,
    "accounts:household_start": {**CITIZEN_ONLY, "citizen": "redirect"},
    "accounts:household_step": CITIZEN_ONLY,
    "accounts:household_recap": {**CITIZEN_ONLY, "citizen": "redirect"},
    "accounts:household_draft_discard": CITIZEN_POST_ONLY,
    "accounts:consents": CITIZEN_ONLY,
    "accounts:consent_withdraw": CITIZEN_POST_ONLY,
    "accounts:journal": LOGGED_IN,
    # Second factor pages: a staff user who already passed it is sent on.
    "accounts:otp_setup": STAFF_ONLY,
    "accounts:otp_verify": STAFF_ONLY,
    # FranceConnect: public, but absent (404) when no provider is configured, as in these tests.
    "accounts:oidc_start": dict.fromkeys(ROLES, "missing"),
    "accounts:oidc_callback": dict.fromkeys(ROLES, "missing"),
    "accounts:oidc_link": CITIZEN_ONLY,
    # The simulator is open to everyone; with no answers yet, results and explanations send back to the start.
    "rights:start": PUBLIC,
    "rights:begin": dict.fromkeys(ROLES, "method"),
    "rights:step": PUBLIC,
    "rights:results": dict.fromkeys(ROLES, "redirect"),
    "rights:results_pdf": dict.fromkeys(ROLES, "redirect"),
    "rights:explanation": dict.fromkeys(ROLES, "redirect"),
    "rights:save": CITIZEN_POST_ONLY,
    "rights:update_household": CITIZEN_POST_ONLY,
    "rights:saved_list": CITIZEN_ONLY,
    "rights:saved_detail": {**CITIZEN_ONLY, "citizen": "missing"},
    "notifications:inbox": LOGGED_IN,
    "notifications:letter": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "missing")},
    # The public rights API: OpenFisca-compatible, no account needed; calculate and trace take POST.
    "api:api-root": dict.fromkeys(ROLES, "missing"),
    "api:openapi-json": PUBLIC,
    "api:calculate": dict.fromkeys(ROLES, "method"),
    "api:trace": dict.fromkeys(ROLES, "method"),
    "api:benefits": PUBLIC,
}
ADMIN_ONLY = {"anonymous": "login", **dict.fromkeys(ROLES[1:-1], "login"), "admin": "ok"}

SAMPLE_KWARGS = {
    "step": 1,
    "token": "jeton",
    "uidb64": "MQ",
    "public_id": uuid.UUID(int=1),
    "object_id": "1",
    "content_type_id": "1",
    "app_label": "accounts",
    "url": "x",
    "benefit_id": "rsa",
}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield namespace + (entry.name or ""), prefix + str(entry.pattern), entry


def all_routes():
    return list(_walk(get_resolver()))


def _path(route: str, pattern: URLPattern) -> str:
    from django.urls.resolvers import RoutePattern

    path = "/" + route
    if isinstance(pattern.pattern, RoutePattern):
        for name, converter in pattern.pattern.converters.items():
            value = SAMPLE_KWARGS.get(name, "x")
            path = path.replace(f"<{type(converter).__name__.replace('Converter', '').lower()}:{name}>", str(value))
            path = path.replace(f"<{name}>", str(value))
    else:
        # Regex routes (the admin): fill each named group with a sample value.
        import re

        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(SAMPLE_KWARGS.get(m.group(1), "x")), path)
        path = path.replace("^", "").replace("$", "").replace("\\", "")
    return path


def test_every_route_has_a_policy():
    missing = [
        (name, route) for name, route, _p in all_routes() if not name.startswith("admin:") and name not in POLICY
    ]
    assert missing == [], f"Declare an access policy in tests/test_routes.py for: {missing}"
    unknown = set(POLICY) - {name for name, _r, _p in all_routes()}
    assert unknown == set()


def _client_for(client, role):
    if role != "anonymous":
        login_verified(client, UserFactory(**({role: True} if role != "citizen" else {})))
    return client


def _outcome(response) -> str:
    location = response.get("Location", "")
    if response.status_code in (301, 302):
        if location.startswith("/compte/connexion/") or location.startswith("/admin/login/"):
            return "login"
        return "redirect"
    return {200: "ok", 403: "deny", 404: "missing", 405: "method"}.get(response.status_code, str(response.status_code))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "route", "pattern"), [r for r in all_routes() if not r[0].startswith("admin:")])
def test_route_follows_its_policy(client, territory, role, name, route, pattern):
    expected = POLICY[name][role]
    response = _client_for(client, role).get(_path(route, pattern))
    outcome = _outcome(response)
    if expected == "ok" and outcome == "redirect" and name == "set_language":
        outcome = "ok"
    assert outcome == expected, f"{name} as {role}: {response.status_code} {response.get('Location', '')}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_routes_are_for_territory_admins_only(client, role):
    client = _client_for(client, role)
    checked = 0
    for name, route, pattern in all_routes():
        if not name.startswith("admin:") or name in {"admin:login", "admin:logout"}:
            continue
        response = client.get(_path(route, pattern))
        checked += 1
        if role == "admin":
            assert response.status_code < 500, name
        else:
            assert _outcome(response) == "login", f"{name} as {role}: {response.status_code}"
    assert checked > 20


# --- Staff without their second factor ---


def _second_factor_page(location: str) -> bool:
    return location.startswith(("/compte/securite/verification/", "/compte/securite/activation/"))


@pytest.mark.django_db
@pytest.mark.parametrize("enrolled", [False, True], ids=["not-enrolled", "enrolled"])
@pytest.mark.parametrize("role", STAFF)
def test_staff_without_a_second_factor_reach_only_public_pages(client, territory, role, enrolled):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = UserFactory(**{role: True})
    if enrolled:
        TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)  # password checked, second factor not yet
    expected_page = "/compte/securite/verification/" if enrolled else "/compte/securite/activation/"
    checked = 0
    for name, route, pattern in all_routes():
        if name in {"admin:login", "accounts:logout", "accounts:otp_setup", "accounts:otp_verify"}:
            continue
        if not getattr(pattern.callback, "login_required", True):
            continue  # public pages stay public (the policy test checks which ones are)
        for method in ("get", "post"):
            response = getattr(client, method)(_path(route, pattern))
            location = response.get("Location", "")
            assert response.status_code == 302, f"{method} {name} as unverified {role}: {response.status_code}"
            assert location.startswith(expected_page), f"{method} {name} as unverified {role}: {location}"
            checked += 1
    assert checked > 40


# --- Object-level isolation ---

# URL keyword arguments that do not name an object of one person (steps, signed tokens, catalogue entries).
NOT_AN_OBJECT = {"step", "token", "uidb64", "benefit_id"}


def _others_consent(me):
    from guichet.accounts.services import consent_give

    other = UserFactory()
    consent = consent_give(person=other.person, purpose="data_reuse", by=other)
    return {"public_id": consent.public_id}, "post"


def _others_saved_simulation(me):
    from guichet.rights.models import SavedSimulation

    other = UserFactory()
    saved = SavedSimulation.objects.create(
        person=other.person, period="2026-01", inputs={}, results={}, versions={}, monthly_total=0
    )
    return {"public_id": saved.public_id}, "get"


def _others_letter(me):
    from guichet.notifications.models import Notification

    other = UserFactory()
    letter = Notification.objects.create(
        person=other.person, channel="postal", kind="test", subject="s", body="b", letter="letters/x.pdf"
    )
    return {"public_id": letter.public_id}, "get"


# URL name -> (role requesting, builder(me) -> (kwargs of an object that belongs to someone else, method)).
ISOLATION = {
    "accounts:consent_withdraw": ("citizen", _others_consent),
    "rights:saved_detail": ("citizen", _others_saved_simulation),
    "notifications:letter": ("citizen", _others_letter),
}


def _object_routes():
    for name, route, pattern in all_routes():
        if name.startswith("admin:"):
            continue  # the admin is for territory admins, who see everything by role
        kwargs = set(getattr(pattern.pattern, "converters", {})) - NOT_AN_OBJECT
        if kwargs:
            yield name, route, pattern


def test_every_url_naming_an_object_declares_an_isolation_case():
    missing = sorted({name for name, _r, _p in _object_routes()} - set(ISOLATION))
    assert missing == [], f"Add an object-level isolation case to ISOLATION in tests/test_routes.py for: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ISOLATION))
def test_an_object_of_someone_else_answers_404(client, territory, name):
    from django.urls import reverse

    role, build = ISOLATION[name]
    me = UserFactory(**({role: True} if role != "citizen" else {}))
    login_verified(client, me)
    kwargs, method = build(me)
    response = getattr(client, method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 404, f"{name}: {response.status_code}"
