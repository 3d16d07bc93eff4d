"""A small but real OpenID Connect provider for the end-to-end tests, served over HTTP on loopback.

It speaks the authorization-code flow as FranceConnect does: discovery, JWKS, /authorize (PKCE S256
required, registered redirect URIs only, auto-consent as the configured test person), /token (client
secret, single-use codes, PKCE check, redirect URI check; a replayed code is refused and revokes what the
first use issued), /userinfo (Bearer), /session/end (end_session with id_token_hint and registered
post-logout URIs).

Tests steer it through /_admin/* (loopback only, never part of the protocol):
- ``POST /_admin/reset``: default mode, default person, fresh keys;
- ``POST /_admin/mode`` {"mode": ...}: how the next ID tokens are issued (``normal``, ``wrong_audience``,
  ``wrong_issuer``, ``expired``, ``nonce_mismatch``, ``bad_signature``, ``alg_none``, ``unknown_kid``,
  ``hs256_secret``, ``low_acr``);
- ``POST /_admin/person`` {claims}: who "logs in" at the provider;
- ``POST /_admin/rotate``: publish a new signing key and sign with it from now on;
- ``GET /_admin/state``: counters (JWKS fetches, replayed codes) and sessions.

Run: ``python -m tests.oidc_provider.provider --client-id ID --client-secret S --redirect-uri URI
--post-logout-uri URI``; it prints ``PORT <n>`` once listening on 127.0.0.1.
"""

import argparse
import base64
import hashlib
import json
import secrets
import sys
import threading
import time
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

DEFAULT_PERSON = {
    "sub": "fc-sub-0001",
    "given_name": "Angela Claire Louise",
    "family_name": "Dubois",
    "birthdate": "1962-08-24",
    "birthplace": "75107",
    "gender": "female",
    "email": "angela.dubois@example.fr",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Key:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    def jwk(self) -> dict:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "use": "sig", "alg": "RS256"}


class Provider:
    def __init__(self, *, client_id: str, client_secret: str, redirect_uris: list[str], logout_uris: list[str]):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = set(redirect_uris)
        self.logout_uris = set(logout_uris)
        self.issuer = ""
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.keys = [Key()]
            self.mode = "normal"
            self.person = dict(DEFAULT_PERSON)
            self.acr = "eidas1"
            self.codes: dict[str, dict] = {}
            self.access_tokens: dict[str, dict] = {}
            self.sessions: dict[str, dict] = {}
            self.jwks_fetches = 0
            self.replayed_codes = 0
            self.pkce_failures = 0

    # --- Helpers ---

    def json(self, data: dict, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, content_type="application/json")

    def error(self, error: str, description: str, status: int = 400) -> Response:
        return self.json({"error": error, "error_description": description}, status)

    def id_token(self, *, sub: str, nonce: str, sid: str, claims: dict) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "sub": sub,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 60,
            "nonce": nonce,
            "acr": self.acr,
            "sid": sid,
            "amr": ["pwd"],
        }
        key, kid = self.keys[-1].private, self.keys[-1].kid
        mode = self.mode
        if mode == "wrong_audience":
            payload["aud"] = "un-autre-client"
        elif mode == "wrong_issuer":
            payload["iss"] = "https://faux-fournisseur.example"
        elif mode == "expired":
            payload["iat"], payload["exp"] = now - 3600, now - 1800
        elif mode == "nonce_mismatch":
            payload["nonce"] = "nonce-d-une-autre-demande"
        elif mode == "low_acr":
            payload["acr"] = "eidas0"
        elif mode == "bad_signature":
            key = Key().private  # a key nobody published, under the published key id
        elif mode == "unknown_kid":
            stranger = Key()
            key, kid = stranger.private, stranger.kid
        elif mode == "alg_none":
            return jwt.encode(payload, None, algorithm="none")
        elif mode == "hs256_secret":
            # The classic confusion attack: an HMAC token "signed" with the client secret.
            return jwt.encode(payload, self.client_secret, algorithm="HS256", headers={"kid": kid})
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})

    def client_authenticated(self, request: Request) -> bool:
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            client_id, secret = auth.username, auth.password
        else:
            client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        return client_id == self.client_id and secrets.compare_digest(secret or "", self.client_secret)

    # --- Endpoints ---

    def __call__(self, environ, start_response):
        request = Request(environ)
        if not self.issuer:
            self.issuer = f"http://{request.host}"
        handler = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/token": self.token,
            "/userinfo": self.userinfo,
            "/session/end": self.end_session,
            "/_admin/reset": self.admin_reset,
            "/_admin/mode": self.admin_mode,
            "/_admin/person": self.admin_person,
            "/_admin/rotate": self.admin_rotate,
            "/_admin/state": self.admin_state,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def discovery(self, request: Request) -> Response:
        return self.json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "end_session_endpoint": f"{self.issuer}/session/end",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
                "scopes_supported": ["openid", "given_name", "family_name", "birthdate", "birthplace", "email"],
            }
        )

    def jwks(self, request: Request) -> Response:
        with self.lock:
            self.jwks_fetches += 1
            return self.json({"keys": [key.jwk() for key in self.keys]})

    def authorize(self, request: Request) -> Response:
        args = request.args
        redirect_uri = args.get("redirect_uri", "")
        if args.get("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            return Response("unknown client or redirect_uri", status=400)  # never redirect to an unknown URI

        def fail(error: str) -> Response:
            query = urlencode({"error": error, "state": args.get("state", "")})
            return Response(status=302, headers={"Location": f"{redirect_uri}?{query}"})

        if args.get("response_type") != "code" or "openid" not in args.get("scope", "").split():
            return fail("invalid_request")
        if args.get("code_challenge_method") != "S256" or len(args.get("code_challenge", "")) < 43:
            return fail("invalid_request")  # PKCE is mandatory
        if not args.get("nonce") or not args.get("state"):
            return fail("invalid_request")
        with self.lock:
            sid = secrets.token_urlsafe(16)
            self.sessions[sid] = {"sub": self.person["sub"], "active": True}
            code = secrets.token_urlsafe(32)
            self.codes[code] = {
                "redirect_uri": redirect_uri,
                "nonce": args["nonce"],
                "challenge": args["code_challenge"],
                "person": dict(self.person),
                "sid": sid,
                "expires": time.time() + 60,
                "used": False,
                "issued": [],
            }
        query = urlencode({"code": code, "state": args["state"]})
        return Response(status=302, headers={"Location": f"{redirect_uri}?{query}"})

    def token(self, request: Request) -> Response:
        if request.method != "POST":
            return self.error("invalid_request", "POST only", 405)
        if not self.client_authenticated(request):
            return self.error("invalid_client", "client authentication failed", 401)
        form = request.form
        if form.get("grant_type") != "authorization_code":
            return self.error("unsupported_grant_type", "authorization_code only")
        with self.lock:
            entry = self.codes.get(form.get("code", ""))
            if entry is None:
                return self.error("invalid_grant", "unknown code")
            if entry["used"]:
                # RFC 6749 4.1.2: a code used twice is refused, and what it issued is revoked.
                self.replayed_codes += 1
                for token in entry["issued"]:
                    self.access_tokens.pop(token, None)
                return self.error("invalid_grant", "code already used")
            entry["used"] = True
            if entry["expires"] < time.time():
                return self.error("invalid_grant", "code expired")
            if form.get("redirect_uri") != entry["redirect_uri"]:
                return self.error("invalid_grant", "redirect_uri mismatch")
            verifier = form.get("code_verifier", "")
            if _b64(hashlib.sha256(verifier.encode()).digest()) != entry["challenge"]:
                self.pkce_failures += 1
                return self.error("invalid_grant", "PKCE verification failed")
            person = entry["person"]
            access_token = secrets.token_urlsafe(32)
            entry["issued"].append(access_token)
            self.access_tokens[access_token] = person
            id_token = self.id_token(sub=person["sub"], nonce=entry["nonce"], sid=entry["sid"], claims=person)
        return self.json(
            {"access_token": access_token, "token_type": "Bearer", "expires_in": 60, "id_token": id_token}
        )

    def userinfo(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        with self.lock:
            person = (
                self.access_tokens.get(auth.removeprefix("Bearer ").strip()) if auth.startswith("Bearer ") else None
            )
        if person is None:
            return self.error("invalid_token", "unknown access token", 401)
        return self.json(person)

    def end_session(self, request: Request) -> Response:
        hint = request.args.get("id_token_hint", "")
        target = request.args.get("post_logout_redirect_uri", "")
        try:
            header = jwt.get_unverified_header(hint)
            key = next(k for k in self.keys if k.kid == header.get("kid"))
            claims = jwt.decode(
                hint,
                key.private.public_key(),
                algorithms=["RS256"],
                audience=self.client_id,
                options={"verify_exp": False},
            )
        except (jwt.PyJWTError, StopIteration):
            return Response("invalid id_token_hint", status=400)
        with self.lock:
            if claims.get("sid") in self.sessions:
                self.sessions[claims["sid"]]["active"] = False
        if target not in self.logout_uris:
            return Response("logged out", status=200)
        query = urlencode({"state": request.args.get("state", "")})
        return Response(status=302, headers={"Location": f"{target}?{query}"})

    # --- Test steering ---

    def admin_reset(self, request: Request) -> Response:
        self.reset()
        return self.json({"ok": True})

    def admin_mode(self, request: Request) -> Response:
        with self.lock:
            self.mode = request.get_json()["mode"]
        return self.json({"mode": self.mode})

    def admin_person(self, request: Request) -> Response:
        with self.lock:
            self.person = {**DEFAULT_PERSON, **request.get_json()}
        return self.json(self.person)

    def admin_rotate(self, request: Request) -> Response:
        with self.lock:
            self.keys.append(Key())
            self.keys = self.keys[-2:]
        return self.json({"kid": self.keys[-1].kid})

    def admin_state(self, request: Request) -> Response:
        with self.lock:
            return self.json(
                {
                    "jwks_fetches": self.jwks_fetches,
                    "replayed_codes": self.replayed_codes,
                    "pkce_failures": self.pkce_failures,
                    "sessions": self.sessions,
                    "kids": [key.kid for key in self.keys],
                }
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", action="append", default=[])
    parser.add_argument("--post-logout-uri", action="append", default=[])
    options = parser.parse_args(argv)
    provider = Provider(
        client_id=options.client_id,
        client_secret=options.client_secret,
        redirect_uris=options.redirect_uri,
        logout_uris=options.post_logout_uri,
    )
    server = make_server("127.0.0.1", options.port, provider, threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    print(f"PORT {server.server_port}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
