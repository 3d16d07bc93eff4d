"""The audit key comes from the environment: refused when missing or short in production, generated for the demo."""

import os
import subprocess
import sys

_AUDIT_VARIABLES = {"AUDIT_CHAIN_KEY", "AUDIT_CHAIN_OLD_KEYS", "DEBUG", "SECRET_KEY", "GUICHET_DATA_DIR"}


def _settings_import(**env):
    environment = {k: v for k, v in os.environ.items() if k not in _AUDIT_VARIABLES}
    environment.update(env)
    code = "import config.settings as s; from guichet.audit.keys import key_id_of; print(key_id_of(s.AUDIT_CHAIN_KEY))"
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)


def test_production_refuses_to_start_without_the_audit_key(tmp_path):
    result = _settings_import(DEBUG="false", SECRET_KEY="x" * 50, GUICHET_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "AUDIT_CHAIN_KEY must be set when DEBUG is off" in result.stderr
    assert not (tmp_path / "demo_audit_chain_key").exists()


def test_a_short_audit_key_is_refused():
    result = _settings_import(DEBUG="false", SECRET_KEY="x" * 50, AUDIT_CHAIN_KEY="too-short")
    assert result.returncode != 0
    assert "AUDIT_CHAIN_KEY: every key must be at least 32 characters long." in result.stderr
    assert "too-short" not in result.stderr


def test_a_short_old_audit_key_is_refused():
    result = _settings_import(
        DEBUG="false", SECRET_KEY="x" * 50, AUDIT_CHAIN_KEY="k" * 32, AUDIT_CHAIN_OLD_KEYS=f"{'o' * 32},short"
    )
    assert result.returncode != 0
    assert "AUDIT_CHAIN_OLD_KEYS: every key must be at least 32 characters long." in result.stderr


def test_production_starts_with_the_audit_key_from_the_environment():
    result = _settings_import(DEBUG="false", SECRET_KEY="x" * 50, AUDIT_CHAIN_KEY="k" * 32)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) == 16


def test_the_demo_generates_its_audit_key_in_the_data_directory_and_keeps_it(tmp_path):
    first = _settings_import(DEBUG="true", GUICHET_DATA_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    path = tmp_path / "demo_audit_chain_key"
    assert len(path.read_text()) >= 32
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    again = _settings_import(DEBUG="true", GUICHET_DATA_DIR=str(tmp_path))
    assert again.stdout == first.stdout
