"""The 2026-12-07 migration: mandates given before the person's own confirmation was required."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from guichet.accounts.models import User
from guichet.mediation.enums import Family, MandateState
from guichet.mediation.models import Mandate
from tests.factories import UserFactory
from tests.mediation.factories import organisation, postal_person

BEFORE = ("mediation", "0001_initial")
AFTER = ("mediation", "0002_mandate_confirmed_by_the_person")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def migrator(transactional_db):
    yield _migrate
    executor = MigrationExecutor(connection)  # whatever happened, the next tests find the latest schema
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_mandates_given_before_are_kept_or_sent_back_to_the_person(migrator):
    now = timezone.now()
    old_account, by = UserFactory(), UserFactory(mediator=True)
    old_account.date_joined = now - datetime.timedelta(days=400)
    old_account.save()
    without_account = postal_person()
    later_account = postal_person()
    org = organisation()
    apps = migrator(BEFORE)
    OldMandate = apps.get_model("mediation", "Mandate")
    Authorization = apps.get_model("mediation", "Authorization")

    def given(person, method, *, consented_days_ago=10, revoked=False):
        start = now - datetime.timedelta(days=consented_days_ago) if consented_days_ago is not None else None
        mandate = OldMandate.objects.create(
            person_id=person.pk,
            organisation_id=org.pk,
            duration="12m",
            consent_method=method,
            consent_text="Mandat",
            consent_text_sha256=hashlib.sha256(b"Mandat").hexdigest(),
            consented_at=start,
            starts_at=start,
            expires_at=start + datetime.timedelta(days=365) if start else None,
            revoked_at=now if revoked else None,
            created_by_id=by.pk,
        )
        Authorization.objects.create(mandate=mandate, family=Family.SOCIAL_AIDS)
        return mandate.pk

    signed_for_an_account = given(old_account.person, "in_person")
    waiting_for_an_account = given(old_account.person, "in_person", consented_days_ago=None)
    revoked_for_an_account = given(old_account.person, "in_person", revoked=True)
    accepted_from_the_account = given(old_account.person, "remote_account")
    signed_without_account = given(without_account, "in_person")
    signed_then_taken_over = given(later_account, "in_person")
    # The takeover: an account opened after the signature, on the same record.
    later_account.user = User.objects.create(email="reprise@example.org")
    later_account.save()

    migrator(AFTER)

    def state(pk):
        return Mandate.objects.get(pk=pk)

    for pk in (signed_for_an_account, waiting_for_an_account):
        mandate = state(pk)
        assert mandate.state() == MandateState.PENDING
        assert mandate.consent_method == "remote_account" and mandate.starts_at is None
        assert mandate.confirm_before > now + datetime.timedelta(days=29)
    assert state(revoked_for_an_account).state() == MandateState.REVOKED
    assert state(accepted_from_the_account).consented_by == old_account
    assert state(signed_without_account).identity_document == "not_recorded"
    active = set(Mandate.objects.active().values_list("pk", flat=True))
    assert active == {accepted_from_the_account, signed_without_account, signed_then_taken_over}
