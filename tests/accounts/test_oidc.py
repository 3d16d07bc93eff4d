"""FranceConnect-compatible login, end to end against a real OpenID Connect provider process on loopback.

The browser is Django's test client for Guichet's pages and `requests` for the provider's pages: every
redirect between the two is followed for real, and the provider's token, userinfo, JWKS and end-session
endpoints are called over HTTP by Guichet itself. Forged tokens come from the same provider process,
switched per test through its /_admin endpoints.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from guichet.accounts import oidc
from guichet.accounts.models import OidcIdentity, Person, User
from guichet.audit.models import AuditEvent
from tests.factories import UserFactory
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, ProviderProcess

pytestmark = pytest.mark.django_db

START = "/compte/franceconnect/"


@pytest.fixture(scope="module")
def provider():
    process = ProviderProcess()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def oidc_settings(settings, provider):
    provider.admin("reset")
    settings.OIDC_ISSUER = provider.url
    settings.OIDC_DISCOVERY_URL = f"{provider.url}/.well-known/openid-configuration"
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ACR_VALUES = "eidas1"
    oidc.clear_caches()
    yield settings
    oidc.clear_caches()


def _authorize(client, start=START, method="get"):
    """Guichet sends the browser to the provider; the provider (auto-consent) sends it back with a code."""
    response = getattr(client, method)(start)
    assert response.status_code == 302, response.content[:500]
    to_provider = response["Location"]
    answer = requests.get(to_provider, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = answer.headers["Location"]
    assert back.startswith("http://testserver/")
    return to_provider, back.removeprefix("http://testserver")


def _login(client, start=START, method="get"):
    _to_provider, callback = _authorize(client, start, method)
    return client.get(callback)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _refusal_reason() -> str:
    return AuditEvent.objects.filter(action="oidc_login_refused").latest("seq").data["reason"]


# --- The happy path ---


def test_the_login_page_offers_franceconnect_as_a_link_only_when_configured(client, settings):
    page = client.get("/compte/connexion/").content.decode()
    assert "S&#x27;identifier avec FranceConnect" in page or "S'identifier avec FranceConnect" in page
    assert f'href="{START}"' in page
    settings.OIDC_CLIENT_ID = ""
    assert "FranceConnect" not in client.get("/compte/connexion/").content.decode()
    assert client.get(START).status_code == 404


def test_a_first_login_creates_a_citizen_account_with_a_verified_identity(client):
    client.get("/")
    client.session.save()
    before = client.session.session_key
    response = _login(client)
    assert response.status_code == 302
    assert response["Location"] == "/compte/"
    assert _logged_in(client)
    assert client.session.session_key != before
    user = User.objects.get(email="angela.dubois@example.fr")
    assert user.role == "citizen"
    assert not user.has_usable_password()
    person = user.person
    assert (person.first_name, person.last_name, person.birth_place) == ("Angela Claire Louise", "Dubois", "75107")
    assert person.birth_date.isoformat() == "1962-08-24"
    assert person.identity_verified
    assert OidcIdentity.objects.get(user=user).subject == "fc-sub-0001"
    assert AuditEvent.objects.filter(action="oidc_login", actor=person.pseudonym).exists()
    assert "vérifiée par FranceConnect" in client.get("/compte/").content.decode()


def test_logging_in_again_with_the_same_identity_opens_the_same_account(client, provider):
    _login(client)
    client.post("/compte/deconnexion/")
    provider.admin("person", {"family_name": "Dubois-Martin"})
    _login(client)
    assert User.objects.count() == 1
    assert Person.objects.get().last_name == "Dubois-Martin"
    assert _logged_in(client)


def test_the_authorization_request_carries_pkce_state_nonce_and_the_required_level(client):
    response = client.get(START)
    params = {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}
    assert params["code_challenge_method"] == "S256"
    assert params["acr_values"] == "eidas1"
    assert params["response_type"] == "code"
    state = client.session["oidc_states"][params["state"]]
    assert state["nonce"] == params["nonce"]
    from mozilla_django_oidc.utils import generate_code_challenge

    assert generate_code_challenge(state["code_verifier"], "S256") == params["code_challenge"]


def test_login_honours_a_safe_next_and_ignores_an_external_one(client):
    assert _login(client, f"{START}?next=/compte/journal/")["Location"] == "/compte/journal/"
    client.post("/compte/deconnexion/")
    assert _login(client, f"{START}?next=https://evil.example/")["Location"] == "/compte/"


# --- Refusals: each gives a clear French message and no session ---


def _assert_refused(response, client, reason, text="n'a pas pu être vérifiée"):
    assert response.status_code == 403
    page = response.content.decode()
    assert "Connexion refusée" in page
    assert text in page.replace("&#x27;", "'")
    assert not _logged_in(client)
    assert _refusal_reason() == reason


def test_a_tampered_state_is_refused(client):
    _to_provider, callback = _authorize(client)
    response = client.get(callback.replace("state=", "state=x"))
    _assert_refused(response, client, "state", "n'est pas reconnue")
    assert not User.objects.exists()


def test_an_answer_for_a_login_started_in_another_browser_is_refused(client):
    victim = Client()
    _to_provider, callback = _authorize(Client())  # the attacker's own flow, pushed into the victim's browser
    response = victim.get(callback)
    _assert_refused(response, victim, "state", "n'est pas reconnue")


def test_the_same_answer_cannot_be_used_twice(client):
    _to_provider, callback = _authorize(client)
    assert client.get(callback).status_code == 302
    client.post("/compte/deconnexion/")
    response = client.get(callback)
    _assert_refused(response, client, "state", "n'est pas reconnue")


def test_a_replayed_code_is_refused_by_the_provider(client, provider):
    _to_provider, first = _authorize(client)
    assert client.get(first).status_code == 302
    client.post("/compte/deconnexion/")
    # A new login attempt (fresh state, nonce and verifier) that carries the code already redeemed.
    _to_provider, second = _authorize(client)
    used_code = parse_qs(urlsplit(first).query)["code"][0]
    fresh_code = parse_qs(urlsplit(second).query)["code"][0]
    response = client.get(second.replace(fresh_code, used_code))
    _assert_refused(response, client, "code_refused", "a refusé ce code de connexion")
    assert provider.state()["replayed_codes"] == 1


def test_a_code_injected_into_another_login_fails_pkce_at_the_provider(client, provider):
    _to_provider, victims_callback = _authorize(Client())
    stolen = parse_qs(urlsplit(victims_callback).query)["code"][0]
    _to_provider, own_callback = _authorize(client)
    own_code = parse_qs(urlsplit(own_callback).query)["code"][0]
    response = client.get(own_callback.replace(own_code, stolen))
    _assert_refused(response, client, "code_refused", "a refusé ce code de connexion")
    assert provider.state()["pkce_failures"] == 1


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong_audience", "audience"),
        ("wrong_issuer", "issuer"),
        ("expired", "expired"),
        ("nonce_mismatch", "nonce"),
        ("bad_signature", "signature"),
        ("alg_none", "algorithm_refused"),
        ("hs256_secret", "algorithm_refused"),
        ("low_acr", "acr"),
    ],
)
def test_a_forged_or_unfit_id_token_is_refused(client, provider, mode, reason):
    provider.admin("mode", {"mode": mode})
    response = _login(client)
    _assert_refused(response, client, reason)
    assert not User.objects.exists()
    assert not OidcIdentity.objects.exists()


def test_a_token_signed_by_an_unpublished_key_is_refused_after_one_fresh_look_at_the_keys(client, provider):
    _login(client)  # keys fetched and cached
    client.post("/compte/deconnexion/")
    fetches = provider.state()["jwks_fetches"]
    provider.admin("mode", {"mode": "unknown_kid"})
    response = _login(client)
    _assert_refused(response, client, "unknown_key")
    assert provider.state()["jwks_fetches"] == fetches + 1


def test_a_new_key_is_accepted_once_the_provider_publishes_it(client, provider):
    _login(client)
    client.post("/compte/deconnexion/")
    fetches = provider.state()["jwks_fetches"]
    provider.admin("rotate")
    response = _login(client)
    assert response.status_code == 302
    assert _logged_in(client)
    assert provider.state()["jwks_fetches"] == fetches + 1  # one re-fetch, then the cached keys again
    client.post("/compte/deconnexion/")
    _login(client)
    assert provider.state()["jwks_fetches"] == fetches + 1


def test_a_cancelled_login_at_the_provider_is_refused_cleanly(client):
    response = client.get(START)
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    response = client.get(f"/compte/franceconnect/retour/?error=access_denied&state={state}")
    _assert_refused(response, client, "provider_error", "annulée ou refusée")


def test_a_provider_that_does_not_answer_gives_a_clear_message(client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    settings.OIDC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    response = client.get(START)
    assert response.status_code == 503
    assert "ne répond pas pour le moment" in response.content.decode()


def test_garbage_on_the_callback_never_gives_a_500(client):
    for query in ["", "?code=x", "?state=", "?code=&state=&error=", "?state=%00&code=%ff"]:
        response = client.get(f"/compte/franceconnect/retour/{query}")
        assert response.status_code == 403
        assert not _logged_in(client)


# --- Never link on email alone; linking is an explicit step ---


def test_an_email_matching_a_password_account_does_not_log_into_it(client, password):
    existing = UserFactory(email="angela.dubois@example.fr")
    response = _login(client)
    _assert_refused(response, client, "email_taken", "n'y est pas relié automatiquement")
    assert not OidcIdentity.objects.exists()
    existing.refresh_from_db()
    assert existing.check_password(password)
    assert not existing.person.identity_verified


def test_a_logged_in_citizen_links_their_identity_explicitly(client, citizen):
    client.force_login(citizen)
    assert client.get("/compte/franceconnect/lier/").status_code == 200
    response = _login(client, "/compte/franceconnect/lier/", method="post")
    assert response["Location"] == "/compte/"
    identity = OidcIdentity.objects.get()
    assert identity.user == citizen
    citizen.person.refresh_from_db()
    assert citizen.person.identity_verified
    assert citizen.person.last_name == "Dubois"
    assert AuditEvent.objects.filter(action="oidc_linked", actor=citizen.person.pseudonym).exists()
    # From now on FranceConnect opens that account.
    client.post("/compte/deconnexion/")
    _login(client)
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_an_identity_already_linked_to_another_account_cannot_be_linked_again(client, citizen):
    _login(Client())  # the identity now belongs to the account FranceConnect created
    client.force_login(citizen)
    response = _login(client, "/compte/franceconnect/lier/", method="post")
    assert response.status_code == 403
    assert "déjà liée à un autre compte" in response.content.decode()
    assert OidcIdentity.objects.get().user != citizen


def test_a_link_answer_is_refused_if_the_browser_changed_account_in_between(client, citizen):
    client.force_login(citizen)
    _to_provider, callback = _authorize(client, "/compte/franceconnect/lier/", method="post")
    client.force_login(UserFactory())
    response = client.get(callback)
    assert response.status_code == 403
    assert not OidcIdentity.objects.exists()


def test_linking_needs_a_logged_in_citizen(client):
    assert client.post("/compte/franceconnect/lier/").status_code == 302  # to the login page
    assert not OidcIdentity.objects.exists()


# --- Verified identity is read-only ---


def test_verified_identity_fields_are_read_only_in_the_profile_form(client):
    _login(client)
    page = client.get("/compte/profil/").content.decode()
    assert "Vérifié par FranceConnect" in page
    response = client.post(
        "/compte/profil/",
        {
            "first_name": "Autre",
            "last_name": "Nom",
            "birth_date": "2000-01-01",
            "phone": "0612345678",
            "preferred_language": "fr",
            "contact_channel": "email",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get()
    assert (person.first_name, person.last_name, person.birth_date.isoformat()) == (
        "Angela Claire Louise",
        "Dubois",
        "1962-08-24",
    )
    assert person.phone == "0612345678"


def test_verified_identity_fields_are_read_only_for_agents_in_the_admin(client, rf):
    from django.contrib import admin

    _login(client)
    person = Person.objects.get()
    person_admin = admin.site._registry[Person]
    request = rf.get("/")
    request.user = UserFactory(admin=True)
    assert {"first_name", "last_name", "birth_date", "birth_place"} <= set(
        person_admin.get_readonly_fields(request, person)
    )
    assert "first_name" not in person_admin.get_readonly_fields(request, UserFactory().person)


# --- Logout ends both sessions ---


def test_logout_ends_the_local_session_and_the_provider_session(client, provider):
    _login(client)
    [session] = provider.state()["sessions"].values()
    assert session["active"]
    response = client.post("/compte/deconnexion/")
    assert not _logged_in(client)
    assert response["Location"].startswith(f"{provider.url}/session/end?")
    assert "id_token_hint=" in response["Location"]
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert back.headers["Location"].startswith("http://testserver/?state=")
    [session] = provider.state()["sessions"].values()
    assert not session["active"]


def test_a_password_logout_stays_local(citizen_client):
    assert citizen_client.post("/compte/deconnexion/")["Location"] == "/"


def test_the_csp_lets_the_logout_form_redirect_to_the_provider_only_when_configured():
    import os
    import subprocess
    import sys

    code = "import config.settings as s; print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    env = {**os.environ, "SECRET_KEY": "x" * 50, "OIDC_ISSUER": "https://fc.example.gouv.fr/api/v2"}
    configured = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert configured.stdout.strip() == "[\"'self'\", 'https://fc.example.gouv.fr']"
    env.pop("OIDC_ISSUER")
    env.pop("OIDC_DISCOVERY_URL", None)
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert plain.stdout.strip() == "[\"'self'\"]"
