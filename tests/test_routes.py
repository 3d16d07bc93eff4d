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
MEDIATORS = {"anonymous": "login", "citizen": "deny", "mediator": "ok", **dict.fromkeys(STAFF[1:], "deny")}
DESK_AGENTS = {"anonymous": "login", "citizen": "deny", "mediator": "deny", **dict.fromkeys(STAFF[1:], "ok")}
INSTRUCTORS = {
    "anonymous": "login",
    **dict.fromkeys(["citizen", "mediator", "admin"], "deny"),
    **dict.fromkeys(["agent", "supervisor"], "ok"),
}

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
    "accounts:login_unlock": PUBLIC,  # a link from the account's email that lets this browser log in
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
    # A second-factor enrolment link from an administrator: staff only (a bad link redirects with a message).
    "accounts:otp_enrolment_link": STAFF_ONLY,
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
    "rights:explanation_detail": dict.fromkeys(ROLES, "redirect"),
    # A visitor keeps a result for the account they create next (POST); logged-in people save it directly.
    "rights:keep": dict.fromkeys(ROLES, "method"),
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
    "api:simulation": dict.fromkeys(ROLES, "method"),
    "api:benefits": PUBLIC,
    # Appointments: citizens book for themselves; agents, supervisors and admins run the agendas.
    "appointments:mine": CITIZEN_ONLY,
    "appointments:agendas": CITIZEN_ONLY,
    "appointments:availability": {**CITIZEN_ONLY, "citizen": "missing"},
    "appointments:book": CITIZEN_POST_ONLY,
    "appointments:detail": {**CITIZEN_ONLY, "citizen": "missing"},
    "appointments:booking_ics": {**CITIZEN_ONLY, "citizen": "missing"},
    "appointments:cancel": {**CITIZEN_ONLY, "citizen": "missing"},
    "appointments:reschedule": {**CITIZEN_ONLY, "citizen": "missing"},
    "appointments:lottery_request": CITIZEN_POST_ONLY,
    "appointments:lottery_list": PUBLIC,
    "appointments:lottery_public": dict.fromkeys(ROLES, "missing"),  # published once drawn
    "appointments:agenda_feed": dict.fromkeys(ROLES, "missing"),  # a secret token, not a login
    "appointments:agent_home": DESK_AGENTS,
    "appointments:agent_day": {**DESK_AGENTS, **dict.fromkeys(["agent", "supervisor", "admin"], "missing")},
    "appointments:agent_book": {**DESK_AGENTS, **dict.fromkeys(["agent", "supervisor", "admin"], "missing")},
    "appointments:agent_feed_rotate": {**DESK_AGENTS, **dict.fromkeys(["agent", "supervisor", "admin"], "method")},
    "appointments:agent_check_in": {**DESK_AGENTS, **dict.fromkeys(["agent", "supervisor", "admin"], "method")},
    "appointments:agent_no_show": {**DESK_AGENTS, **dict.fromkeys(["agent", "supervisor", "admin"], "method")},
    "appointments:agent_no_show_rates": DESK_AGENTS,
    "appointments:agent_report": {**DESK_AGENTS, "agent": "deny"},
    "appointments:agent_draw": {**DESK_AGENTS, "agent": "deny", "supervisor": "method", "admin": "method"},
    # Procedures: the catalogue is public; a person's cases are theirs (an unknown case answers 404); the back-office
    # is for agents and supervisors, who see only their teams' cases (404 otherwise); the parapheur for supervisors.
    "procedures:catalog": PUBLIC,
    "procedures:mine": CITIZEN_ONLY,
    "procedures:subscriptions": CITIZEN_ONLY,
    "procedures:renew": CITIZEN_POST_ONLY,
    "procedures:start": CITIZEN_POST_ONLY,
    "procedures:detail": {**CITIZEN_ONLY, "citizen": "missing"},
    "procedures:step": {**CITIZEN_ONLY, "citizen": "missing"},
    "procedures:recap": {**CITIZEN_ONLY, "citizen": "missing"},
    "procedures:receipt": {**CITIZEN_ONLY, "citizen": "missing"},
    "procedures:message": CITIZEN_POST_ONLY,
    "procedures:resubmit": CITIZEN_POST_ONLY,
    "procedures:withdraw": CITIZEN_POST_ONLY,
    "procedures:review_request": {**CITIZEN_ONLY, "citizen": "missing"},
    "procedures:decision_letter": {**CITIZEN_ONLY, "citizen": "missing", "agent": "missing", "supervisor": "missing"},
    "procedures:document": {**CITIZEN_ONLY, "citizen": "missing", "agent": "missing", "supervisor": "missing"},
    "procedures:queue": INSTRUCTORS,
    "procedures:export": INSTRUCTORS,
    "procedures:next": {**INSTRUCTORS, "agent": "method", "supervisor": "method"},
    "procedures:signatures": {**INSTRUCTORS, "agent": "deny"},
    "procedures:case": {**INSTRUCTORS, "agent": "missing", "supervisor": "missing"},
    "procedures:case_assign": {**INSTRUCTORS, "agent": "method", "supervisor": "method"},
    "procedures:case_annotate": {**INSTRUCTORS, "agent": "method", "supervisor": "method"},
    "procedures:case_transition": {**INSTRUCTORS, "agent": "method", "supervisor": "method"},
    "procedures:case_message": {**INSTRUCTORS, "agent": "method", "supervisor": "method"},
    "procedures:case_decide": {**INSTRUCTORS, "agent": "missing", "supervisor": "missing"},
    "procedures:decision_sign": {**INSTRUCTORS, "agent": "deny", "supervisor": "method"},
    "procedures:decision_return": {**INSTRUCTORS, "agent": "deny", "supervisor": "method"},
    "procedures:review": {**INSTRUCTORS, "agent": "missing", "supervisor": "missing"},
    # Mediation: mediators see only their organisations' mandates (404 otherwise); a person sees only their own.
    "mediation:home": MEDIATORS,
    "mediation:person_create": MEDIATORS,
    "mediation:mandate_create": MEDIATORS,
    "mediation:mandate": {**MEDIATORS, "mediator": "missing"},
    "mediation:mandate_pdf": {**MEDIATORS, "mediator": "missing"},
    "mediation:mandate_sign": {**MEDIATORS, "mediator": "method"},
    "mediation:code_send": {**MEDIATORS, "mediator": "method"},
    "mediation:code_check": {**MEDIATORS, "mediator": "method"},
    "mediation:mandate_revoke": {**MEDIATORS, "mediator": "method"},
    "mediation:acting_start": {**MEDIATORS, "mediator": "method"},
    "mediation:takeover_letter": {**MEDIATORS, "mediator": "method"},
    "mediation:authorization_revoke": {**MEDIATORS, "mediator": "method"},
    "mediation:acting_menu": {**MEDIATORS, "mediator": "redirect"},  # not acting for anyone: back to the list
    "mediation:acting_stop": {**MEDIATORS, "mediator": "method"},
    "mediation:mine": CITIZEN_ONLY,
    "mediation:my_mandate_accept": CITIZEN_POST_ONLY,
    "mediation:my_mandate_revoke": CITIZEN_POST_ONLY,
    "mediation:my_mandate_refuse": CITIZEN_POST_ONLY,
    "mediation:my_authorization_revoke": CITIZEN_POST_ONLY,
    "mediation:takeover": {"anonymous": "ok", **dict.fromkeys(ROLES[1:], "redirect")},
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
NOT_AN_OBJECT = {"step", "token", "uidb64", "benefit_id", "slug"}


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


def _others_case(status: str = "submitted", method: str = "get", **extra):
    """A case of another citizen, in a team I am not part of."""

    def build(me):
        from tests.procedures import factories

        application = {"draft": factories.draft, "submitted": factories.submitted, "in_review": factories.in_review}[
            status
        ]()
        return {"public_id": application.public_id, **extra}, method

    return build


def _others_decision(method: str = "get", awaiting: bool = False):
    def build(me):
        from tests.procedures import factories

        decision = factories.awaiting_signature() if awaiting else factories.decided()
        return {"public_id": decision.public_id}, method

    return build


def _others_document(me):
    from tests.procedures import factories

    return {"public_id": factories.upload(UserFactory()).public_id}, "get"


def _others_review(me):
    from tests.procedures import factories

    return {"public_id": factories.review().public_id}, "get"


def _closed_agenda(me):
    from tests.appointments.factories import make_agenda

    return {"public_id": make_agenda(is_active=False).public_id}, "get"


def _closed_agenda_post(me):
    return _closed_agenda(me)[0], "post"


def _others_booking(method):
    def build(me):
        from tests.appointments.factories import make_booking

        return {"public_id": make_booking(UserFactory().person).public_id}, method

    return build


def _agenda_not_mine(method):
    def build(me):
        from tests.appointments.factories import make_agenda

        return {"public_id": make_agenda().public_id}, method  # no agent assigned to it

    return build


def _booking_not_mine(me):
    from tests.appointments.factories import make_booking

    return {"public_id": make_booking(UserFactory().person).public_id}, "post"


def _closed_lottery(me):
    from tests.appointments.factories import make_agenda, make_window

    return {"public_id": make_window(make_agenda(), open_now=False).public_id}, "post"


def _undrawn_lottery(method):
    def build(me):
        from tests.appointments.factories import make_agenda, make_window

        return {"public_id": make_window(make_agenda()).public_id}, method

    return build


def _other_organisations_mandate(method):
    """A mandate given to an organisation I am not a member of (while I am a member of another one)."""

    def build(me):
        from tests.mediation.factories import membership, pending_mandate

        membership(me)
        return {"public_id": pending_mandate().public_id}, method

    return build


def _other_organisations_authorization(me):
    from tests.mediation.factories import membership, pending_mandate

    membership(me)
    return {"public_id": pending_mandate().authorizations.first().public_id}, "post"


def _others_mandate(me):
    from tests.mediation.factories import pending_mandate

    return {"public_id": pending_mandate(person=UserFactory().person).public_id}, "post"


def _others_authorization(me):
    from tests.mediation.factories import pending_mandate

    return {"public_id": pending_mandate(person=UserFactory().person).authorizations.first().public_id}, "post"


# URL name -> (role requesting, builder(me) -> (kwargs of an object that belongs to someone else, method)).
ISOLATION = {
    "accounts:consent_withdraw": ("citizen", _others_consent),
    "rights:saved_detail": ("citizen", _others_saved_simulation),
    "notifications:letter": ("citizen", _others_letter),
    "appointments:availability": ("citizen", _closed_agenda),
    "appointments:book": ("citizen", _closed_agenda_post),
    "appointments:detail": ("citizen", _others_booking("get")),
    "appointments:booking_ics": ("citizen", _others_booking("get")),
    "appointments:cancel": ("citizen", _others_booking("post")),
    "appointments:reschedule": ("citizen", _others_booking("post")),
    "appointments:lottery_request": ("citizen", _closed_lottery),
    "appointments:lottery_public": ("citizen", _undrawn_lottery("get")),
    "appointments:agent_day": ("agent", _agenda_not_mine("get")),
    "appointments:agent_book": ("agent", _agenda_not_mine("get")),
    "appointments:agent_feed_rotate": ("agent", _agenda_not_mine("post")),
    "appointments:agent_check_in": ("agent", _booking_not_mine),
    "appointments:agent_no_show": ("agent", _booking_not_mine),
    "appointments:agent_draw": ("supervisor", _undrawn_lottery("post")),
    "procedures:detail": ("citizen", _others_case()),
    "procedures:step": ("citizen", _others_case("draft", step=1)),
    "procedures:recap": ("citizen", _others_case("draft", "post")),
    "procedures:receipt": ("citizen", _others_case()),
    "procedures:message": ("citizen", _others_case(method="post")),
    "procedures:resubmit": ("citizen", _others_case(method="post")),
    "procedures:withdraw": ("citizen", _others_case(method="post")),
    "procedures:decision_letter": ("citizen", _others_decision()),
    "procedures:review_request": ("citizen", _others_decision("post")),
    "procedures:document": ("agent", _others_document),
    "procedures:case": ("agent", _others_case()),
    "procedures:case_assign": ("agent", _others_case(method="post")),
    "procedures:case_annotate": ("agent", _others_case(method="post")),
    "procedures:case_transition": ("agent", _others_case(method="post")),
    "procedures:case_message": ("agent", _others_case(method="post")),
    "procedures:case_decide": ("agent", _others_case("in_review", "post")),
    "procedures:decision_sign": ("supervisor", _others_decision("post", awaiting=True)),
    "procedures:decision_return": ("supervisor", _others_decision("post", awaiting=True)),
    "procedures:review": ("agent", _others_review),
    "mediation:mandate": ("mediator", _other_organisations_mandate("get")),
    "mediation:mandate_pdf": ("mediator", _other_organisations_mandate("get")),
    "mediation:mandate_sign": ("mediator", _other_organisations_mandate("post")),
    "mediation:code_send": ("mediator", _other_organisations_mandate("post")),
    "mediation:code_check": ("mediator", _other_organisations_mandate("post")),
    "mediation:mandate_revoke": ("mediator", _other_organisations_mandate("post")),
    "mediation:acting_start": ("mediator", _other_organisations_mandate("post")),
    "mediation:takeover_letter": ("mediator", _other_organisations_mandate("post")),
    "mediation:authorization_revoke": ("mediator", _other_organisations_authorization),
    "mediation:my_mandate_accept": ("citizen", _others_mandate),
    "mediation:my_mandate_revoke": ("citizen", _others_mandate),
    "mediation:my_mandate_refuse": ("citizen", _others_mandate),
    "mediation:my_authorization_revoke": ("citizen", _others_authorization),
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
