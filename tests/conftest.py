import importlib

import pytest
from django.db import connection

from guichet.catalog.demo import load as load_territory
from tests import ratelimit_store
from tests.factories import PASSWORD, UserFactory


def pytest_configure(config):
    from django.conf import settings

    # Hashing passwords properly is slow by design; tests create many accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _translations_compiled():
    """The English catalogue is compiled from locale/*.po, as `guichet demo` does (.mo files are not committed)."""
    from django.core.management import call_command

    call_command("compilemessages", verbosity=0, ignore=[".venv", "node_modules"])


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in French: a request in English (the language switch) leaves English active in the thread."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def territory(db):
    load_territory()


@pytest.fixture
def citizen(db):
    return UserFactory()


@pytest.fixture
def citizen_client(client, citizen):
    client.force_login(citizen)
    return client


@pytest.fixture
def password():
    return PASSWORD


# The audit journal refuses DELETE and TRUNCATE in the database itself. Tests that commit for real
# (browser tests, live server, transaction=True) end with a flush of every table; pytest-django runs it after
# every function fixture is torn down, so no fixture can bracket it. The flush itself is wrapped instead:
# triggers lifted just for it, put back right after.
_TRIGGERS = importlib.import_module("guichet.audit.migrations.0005_sealed_events")


@pytest.fixture(scope="session", autouse=True)
def _flush_with_audit_triggers_lifted():
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        _audit_triggers(lifted=True)
        try:
            original(self)
        finally:
            _audit_triggers(lifted=False)

    TransactionTestCase._fixture_teardown = _fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original


def _audit_triggers(*, lifted: bool) -> None:
    if connection.vendor == "postgresql":
        statements = [f"ALTER TABLE audit_auditevent {'DISABLE' if lifted else 'ENABLE'} TRIGGER USER"]
    else:
        statements = _TRIGGERS.SQLITE_BACKWARD if lifted else _TRIGGERS.SQLITE_FORWARD
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def ratelimit_store_down():
    """The table of rate-limit counters cannot be reached for the whole test."""
    with ratelimit_store.unreachable():
        yield
