"""Every URL × every role, against a declared policy: a URL without a policy entry fails the suite.

Default deny: anything not public must send an anonymous visitor to the login page, and anything
reserved to a role must refuse the others.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import UserFactory

ROLES = ["anonymous", "citizen", "mediator", "agent", "supervisor", "admin"]
STAFF = ["mediator", "agent", "supervisor", "admin"]

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
    "set_language": PUBLIC,
    "admin_login": dict.fromkeys(ROLES, "login"),  # POST to switch; a GET just redirects back
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
        client.force_login(UserFactory(**({role: True} if role != "citizen" else {})))
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
