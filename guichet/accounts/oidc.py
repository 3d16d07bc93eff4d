"""OpenID Connect client for FranceConnect-compatible providers (authorization code flow, PKCE, state, nonce).

State, nonce and the PKCE pair are generated and kept in the session with mozilla-django-oidc's helpers;
tokens are verified with PyJWT. Every check of the ID token is explicit here:

- signature against the provider's JWKS, with one re-fetch of the JWKS on an unknown key id (key rotation);
- algorithm in ``OIDC_SIGNING_ALGORITHMS`` only (``none`` and HMAC are never accepted);
- issuer, audience (and ``azp`` when there are several audiences), expiry, issued-at, nonce, and the
  ``acr`` level when ``OIDC_ACR_VALUES`` is set;
- the userinfo ``sub`` must be the ID token's ``sub``.

Nothing here links accounts: see ``services.oidc_login`` and ``services.oidc_link``.
"""

import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from mozilla_django_oidc.utils import add_state_and_verifier_and_nonce_to_session, generate_code_challenge

logger = logging.getLogger(__name__)

STATES_KEY = "oidc_states"  # mozilla-django-oidc's session key: state -> nonce, code_verifier, added_on
EXTRA_KEY = "guichet_oidc"  # state -> purpose ("login" or "link"), next URL, user who asked to link
ID_TOKEN_KEY = "guichet_oidc_id_token"
STATE_MAX_AGE = 10 * 60
DISCOVERY_TTL = 3600


class OidcError(Exception):
    """A refused OIDC login: ``reason`` is a short code for the journal, ``message`` is shown to the person."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message or _(
            "La connexion avec %(provider)s a été refusée : la réponse du fournisseur d'identité n'a pas pu être "
            "vérifiée. Aucune session n'a été ouverte. Réessayez ou connectez-vous avec votre mot de passe."
        ) % {"provider": settings.OIDC_PROVIDER_NAME}


def is_configured() -> bool:
    return bool(settings.OIDC_CLIENT_ID and settings.OIDC_DISCOVERY_URL)


def _unavailable() -> OidcError:
    return OidcError(
        "provider_unavailable",
        _("%(provider)s ne répond pas pour le moment. Réessayez plus tard ou connectez-vous avec votre mot de passe.")
        % {"provider": settings.OIDC_PROVIDER_NAME},
    )


# --- Provider metadata and keys, cached per process ---

_lock = threading.Lock()
_discovery: dict[str, tuple[float, dict]] = {}
_jwks: dict[str, list[dict]] = {}


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT_SECONDS, verify=settings.OIDC_VERIFY_TLS)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("OIDC provider unreachable at %s: %s", url, exc)
        raise _unavailable() from exc


def provider_metadata() -> dict:
    url = settings.OIDC_DISCOVERY_URL
    with _lock:
        cached = _discovery.get(url)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL:
        return cached[1]
    metadata = _get_json(url)
    if settings.OIDC_ISSUER and metadata.get("issuer", "").rstrip("/") != settings.OIDC_ISSUER:
        logger.error("OIDC discovery issuer %r is not OIDC_ISSUER", metadata.get("issuer"))
        raise _unavailable()
    for field in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not metadata.get(field):
            raise _unavailable()
    with _lock:
        _discovery[url] = (time.monotonic(), metadata)
    return metadata


def _keys(*, refresh: bool) -> list[dict]:
    uri = provider_metadata()["jwks_uri"]
    with _lock:
        keys = None if refresh else _jwks.get(uri)
    if keys is None:
        keys = _get_json(uri).get("keys", [])
        with _lock:
            _jwks[uri] = keys
    return keys


def clear_caches() -> None:
    with _lock:
        _discovery.clear()
        _jwks.clear()


def _signing_key(header: dict) -> Any:
    """The provider's public key named by the token header; the JWKS is fetched again once if it is unknown."""
    kid, alg = header.get("kid"), header.get("alg")

    def find(keys: list[dict]) -> dict | None:
        for key in keys:
            if key.get("use", "sig") != "sig" or (key.get("alg") and key["alg"] != alg):
                continue
            if kid is None or key.get("kid") == kid:
                return key
        return None

    key = find(_keys(refresh=False))
    if key is None:
        key = find(_keys(refresh=True))  # key rotation: the provider may have published a new key
    if key is None:
        raise OidcError("unknown_key")
    try:
        return jwt.PyJWK(key, algorithm=alg).key
    except jwt.PyJWTError as exc:
        raise OidcError("unknown_key") from exc


def verify_jwt(token: str, *, nonce: str | None) -> dict:
    """Verify a JWT issued by the provider for this client (ID token, or userinfo as JWT)."""
    if not isinstance(token, str) or not token:
        raise OidcError("no_id_token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise OidcError("malformed_token") from exc
    alg = header.get("alg")
    allowed = [a for a in settings.OIDC_SIGNING_ALGORITHMS if a.lower() != "none" and not a.startswith("HS")]
    if alg not in allowed:
        raise OidcError("algorithm_refused")
    key = _signing_key(header)
    metadata = provider_metadata()
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=settings.OIDC_CLIENT_ID,
            issuer=metadata["issuer"],
            leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "sub", "exp", "iat"] if nonce is not None else ["iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise OidcError("expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise OidcError("audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise OidcError("issuer") from exc
    except jwt.InvalidSignatureError as exc:
        raise OidcError("signature") from exc
    except jwt.ImmatureSignatureError as exc:
        raise OidcError("not_yet_valid") from exc
    except jwt.PyJWTError as exc:
        raise OidcError("invalid_token") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != settings.OIDC_CLIENT_ID:
        raise OidcError("audience")
    if nonce is not None:
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
            raise OidcError("nonce")
        required_acr = settings.OIDC_ACR_VALUES.split()
        if required_acr and claims.get("acr") not in required_acr:
            raise OidcError("acr")
    return claims


# --- The flow ---


def redirect_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("accounts:oidc_callback"))


def authorization_url(request: HttpRequest, *, purpose: str, next_url: str = "") -> str:
    """Start a login (or a link): remember state, nonce and PKCE verifier, and return the provider URL."""
    metadata = provider_metadata()
    state = get_random_string(32)
    nonce = get_random_string(32)
    verifier = get_random_string(64)
    params = {
        "response_type": "code",
        "client_id": settings.OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri(request),
        "scope": settings.OIDC_SCOPES,
        "state": state,
        "nonce": nonce,
        "code_challenge": generate_code_challenge(verifier, "S256"),
        "code_challenge_method": "S256",
    }
    if settings.OIDC_ACR_VALUES:
        params["acr_values"] = settings.OIDC_ACR_VALUES
    add_state_and_verifier_and_nonce_to_session(request, state, params, verifier)
    extra = request.session.get(EXTRA_KEY, {})
    extra = {k: v for k, v in extra.items() if k in request.session.get(STATES_KEY, {})}
    extra[state] = {
        "purpose": purpose,
        "next": next_url,
        "user": request.user.pk if request.user.is_authenticated else None,
    }
    request.session[EXTRA_KEY] = extra
    return f"{metadata['authorization_endpoint']}?{urlencode(params)}"


@dataclass
class CallbackResult:
    purpose: str
    next_url: str
    user_pk: int | None
    id_token: str
    claims: dict


def _pop_state(request: HttpRequest, state: str) -> tuple[dict, dict]:
    """Take the state out of the session (one use only); refuse an unknown or stale one."""
    states = request.session.get(STATES_KEY, {})
    extras = request.session.get(EXTRA_KEY, {})
    entry = states.pop(state, None) if isinstance(state, str) and state else None
    extra = extras.pop(state, None) if entry is not None else None
    request.session[STATES_KEY] = states
    request.session[EXTRA_KEY] = extras
    if entry is None or extra is None:
        raise OidcError(
            "state",
            _(
                "Cette demande de connexion n'est pas reconnue ou a déjà servi. "
                "Aucune session n'a été ouverte : recommencez."
            ),
        )
    if time.time() - entry.get("added_on", 0) > STATE_MAX_AGE:
        raise OidcError(
            "state", _("Cette demande de connexion a expiré. Aucune session n'a été ouverte : recommencez.")
        )
    return entry, extra


def callback(request: HttpRequest) -> CallbackResult:
    """Check the provider's answer, redeem the code and return the verified claims."""
    state = request.GET.get("state", "")
    entry, extra = _pop_state(request, state)
    if request.GET.get("error"):
        raise OidcError(
            "provider_error",
            _("La connexion avec %(provider)s a été annulée ou refusée. Aucune session n'a été ouverte.")
            % {"provider": settings.OIDC_PROVIDER_NAME},
        )
    code = request.GET.get("code", "")
    if not code:
        raise OidcError("no_code")
    metadata = provider_metadata()
    try:
        response = requests.post(
            metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri(request),
                "code_verifier": entry.get("code_verifier") or "",
            },
            auth=(settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET),
            timeout=settings.OIDC_TIMEOUT_SECONDS,
            verify=settings.OIDC_VERIFY_TLS,
        )
    except requests.RequestException as exc:
        raise _unavailable() from exc
    if response.status_code != 200:
        logger.warning("OIDC token endpoint refused the code: %s %s", response.status_code, response.text[:200])
        raise OidcError(
            "code_refused",
            _(
                "%(provider)s a refusé ce code de connexion (déjà utilisé, expiré ou émis pour une autre demande). "
                "Aucune session n'a été ouverte : recommencez."
            )
            % {"provider": settings.OIDC_PROVIDER_NAME},
        )
    try:
        tokens = response.json()
    except ValueError as exc:
        raise OidcError("malformed_token") from exc
    id_token = tokens.get("id_token")
    claims = verify_jwt(id_token, nonce=entry.get("nonce") or "")
    userinfo = _userinfo(metadata, tokens.get("access_token"))
    if userinfo.get("sub") != claims["sub"]:
        raise OidcError("userinfo_subject")
    return CallbackResult(
        purpose=extra.get("purpose", "login"),
        next_url=extra.get("next") or "",
        user_pk=extra.get("user"),
        id_token=id_token,
        claims={**userinfo, "iss": claims["iss"], "sub": claims["sub"]},
    )


def _userinfo(metadata: dict, access_token: Any) -> dict:
    if not metadata.get("userinfo_endpoint") or not isinstance(access_token, str):
        raise OidcError("userinfo")
    try:
        response = requests.get(
            metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.OIDC_TIMEOUT_SECONDS,
            verify=settings.OIDC_VERIFY_TLS,
        )
    except requests.RequestException as exc:
        raise _unavailable() from exc
    if response.status_code != 200:
        raise OidcError("userinfo")
    if response.headers.get("content-type", "").lower().startswith("application/jwt"):
        return verify_jwt(response.text.strip(), nonce=None)  # FranceConnect v2 signs userinfo
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError) as exc:
        raise OidcError("userinfo") from exc
    if not isinstance(data, dict):
        raise OidcError("userinfo")
    return data


def end_session_url(request: HttpRequest, id_token: str) -> str | None:
    """Where to send the browser so that the provider ends its session too (None if it has no such endpoint)."""
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except OidcError:
        return None
    if not endpoint:
        return None
    params = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL)),
        "state": get_random_string(32),
    }
    return f"{endpoint}?{urlencode(params)}"
