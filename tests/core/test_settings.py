import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from guichet.core.env import env_bool, env_int, env_list


def _settings_import(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "SECURE_COOKIES"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.SESSION_COOKIE_SECURE)"],
        env=environment,
        capture_output=True,
        text=True,
    )


def test_secret_key_is_required_when_debug_is_off():
    result = _settings_import(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_production_cookies_are_secure():
    result = _settings_import(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.stdout.strip() == "True"


def test_the_demo_generates_its_key_in_the_data_directory(tmp_path):
    result = _settings_import(DEBUG="true", GUICHET_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    key = (tmp_path / "demo_secret_key").read_text()
    assert len(key) > 40
    assert oct((tmp_path / "demo_secret_key").stat().st_mode & 0o777) == "0o600"


def test_bad_values_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_INT", "abc")
    monkeypatch.setenv("X_BOOL", "peut-être")
    with pytest.raises(ImproperlyConfigured, match="X_INT must be an integer"):
        env_int("X_INT", 1)
    with pytest.raises(ImproperlyConfigured, match="X_BOOL must be a boolean"):
        env_bool("X_BOOL")


def test_env_helpers_parse_values(monkeypatch):
    monkeypatch.setenv("X_LIST", "a.fr, b.fr,,")
    monkeypatch.setenv("X_BOOL", "Yes")
    assert env_list("X_LIST") == ["a.fr", "b.fr"]
    assert env_bool("X_BOOL") is True
    assert env_int("X_MISSING", 7) == 7


@pytest.mark.django_db
def test_security_headers_are_sent(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


@pytest.mark.django_db
def test_french_by_default_and_english_on_request(client):
    assert '<html lang="fr">' in client.get("/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Your public services, in one place" in html


@pytest.mark.django_db
def test_errors_are_plain_french_pages(client):
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
