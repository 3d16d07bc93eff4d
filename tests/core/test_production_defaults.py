"""What a public service sends and refuses by default: HSTS outside the demo, a Permissions-Policy on every
response, and uploads too large refused from their Content-Length before their body is read."""

import os
import subprocess
import sys

import pytest
from django.test import Client

from tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db

YEAR = 365 * 24 * 3600
HSTS = ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "DEBUG", "SECRET_KEY")


def _hsts_settings(**env) -> tuple[str, str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in HSTS and not k.startswith("AUDIT_")}
    environment.update({"SECRET_KEY": "x" * 50, "AUDIT_CHAIN_KEY": "k" * 40, **env})
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; "
            "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)",
        ],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return tuple(result.stdout.split())


def test_hsts_lasts_a_year_when_debug_is_off_and_is_off_in_the_demo(tmp_path):
    assert _hsts_settings(DEBUG="false") == (str(YEAR), "False", "False")
    assert _hsts_settings(DEBUG="true", GUICHET_DATA_DIR=str(tmp_path)) == ("0", "False", "False")


def test_hsts_length_subdomains_and_preload_are_set_from_the_environment():
    assert _hsts_settings(
        DEBUG="false", SECURE_HSTS_SECONDS="600", SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="true"
    ) == ("600", "True", "True")


def test_https_responses_carry_hsts(client, settings):
    assert settings.SECURE_HSTS_SECONDS == YEAR  # the tests run with DEBUG off, as production does
    assert client.get("/", secure=True)["Strict-Transport-Security"] == f"max-age={YEAR}"
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    fresh = Client()  # Django's security middleware reads its settings when it starts
    assert fresh.get("/", secure=True)["Strict-Transport-Security"] == f"max-age={YEAR}; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in fresh.get("/")  # never over plain HTTP


@pytest.mark.parametrize(
    "path,status",
    [("/", 200), ("/compte/", 302), ("/nulle-part/", 404), ("/compte/deconnexion/", 405), ("/api/v1/benefits", 200)],
)
def test_every_response_refuses_the_browser_features_no_page_uses(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    policy = [part.strip() for part in response["Permissions-Policy"].split(",")]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
        assert f"{feature}=()" in policy


def test_the_permissions_policy_is_set_from_the_environment(client, settings):
    settings.PERMISSIONS_POLICY = "camera=(self), microphone=()"
    assert client.get("/")["Permissions-Policy"] == "camera=(self), microphone=()"


class UnreadableBody:
    """A request body that fails the test if anything tries to read it."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, *args):
        self.reads += 1
        raise AssertionError("the body of an oversized request was read")

    readline = read


def _oversized_post(client, path: str, length: int, body: UnreadableBody):
    return client.generic(
        "POST",
        path,
        b"x",
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": body},
    )


def test_an_upload_over_the_limit_is_refused_with_413_before_its_body_is_read(client, settings):
    citizen = UserFactory()
    client.force_login(citizen)
    body = UnreadableBody()
    response = _oversized_post(client, "/demarches/", settings.UPLOAD_MAX_BYTES + 1, body)
    assert response.status_code == 413
    assert body.reads == 0
    html = response.content.decode().replace("&#x27;", "'")
    assert "Envoi trop lourd" in html
    assert "Ce que vous avez envoyé dépasse 51 Mo : rien n'a été reçu ni enregistré." in html
    assert "Chaque fichier peut peser jusqu'à 10 Mo." in html
    assert "Permissions-Policy" in response and "Content-Security-Policy" in response


def test_the_limit_is_read_before_login_and_csrf_checks(client, settings):
    settings.UPLOAD_MAX_BYTES = 3 * 1024 * 1024 // 2  # 1,5 Mo, written the French way
    body = UnreadableBody()
    response = _oversized_post(client, "/compte/connexion/", 2 * 1024 * 1024, body)
    assert (response.status_code, body.reads) == (413, 0)
    assert "dépasse 1,5 Mo" in response.content.decode()


def test_a_request_within_the_limit_is_served_as_before(client, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = client.post("/compte/connexion/", {"email": "a@b.fr", "password": "x"})
    assert response.status_code == 200
    assert 0 < int(response.wsgi_request.META["CONTENT_LENGTH"]) <= 1000
    assert "Adresse électronique ou mot de passe incorrect" in response.content.decode()


def test_a_staff_upload_over_the_limit_is_refused_too(client, settings):
    login_verified(client, UserFactory(agent=True))
    body = UnreadableBody()
    assert _oversized_post(client, "/compte/", settings.UPLOAD_MAX_BYTES + 1, body).status_code == 413
    assert body.reads == 0
