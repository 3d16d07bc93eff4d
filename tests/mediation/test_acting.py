"""Acting on someone's behalf: every request re-checks the mandate (expiry, revocation, scope, membership)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from guichet.accounts.services import household_save
from guichet.audit.models import AuditEvent
from guichet.mediation import services
from guichet.mediation.acting import SESSION_KEY, Acting, acting_for, record_action
from guichet.mediation.enums import Duration, Family
from guichet.mediation.models import Membership
from guichet.rights.models import SavedSimulation
from tests.factories import UserFactory, household_data, login_verified
from tests.mediation.factories import active_mandate, mediator, organisation, pending_mandate

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _act(client, mandate, family=Family.SIMULATION):
    login_verified(client, mandate.created_by)
    response = client.post(reverse("mediation:acting_start", args=[mandate.public_id]), {"family": family})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def _banner(response) -> bool:
    return "Vous agissez pour" in response.content.decode()


def test_the_banner_names_the_person_the_mandate_and_its_end_on_every_page(client):
    mandate = active_mandate()
    _act(client, mandate)
    for url in ("/", reverse("rights:start"), reverse("mediation:home")):
        html = client.get(url).content.decode()
        assert f"Vous agissez pour {mandate.person.full_name}" in html
        assert mandate.organisation.name in html
        assert reverse("mediation:acting_stop") in html


def test_the_session_keeps_only_the_ids_of_the_mandate_and_the_authorisation(client):
    mandate = active_mandate()
    _act(client, mandate)
    authorization = mandate.authorizations.get(family=Family.SIMULATION)
    assert client.session[SESSION_KEY] == {
        "mandate": str(mandate.public_id),
        "authorization": str(authorization.public_id),
    }


@pytest.mark.parametrize("seconds", [-1, 0, 1], ids=["one-second-before", "at-the-end", "one-second-after"])
def test_a_mandate_is_valid_strictly_before_its_end(client, seconds):
    with time_machine.travel(T0, tick=False) as traveller:
        mandate = active_mandate(duration=Duration.ONE_DAY)
        assert mandate.expires_at == T0 + datetime.timedelta(days=1)
        traveller.move_to(mandate.expires_at - datetime.timedelta(seconds=5))
        _act(client, mandate)
        traveller.move_to(mandate.expires_at + datetime.timedelta(seconds=seconds))
        response = client.get(reverse("rights:start"))
        if seconds < 0:
            assert response.status_code == 200
            assert _banner(response)
        else:
            assert response.status_code == 403
            assert "a expiré" in response.content.decode()
            assert SESSION_KEY not in client.session
            after = client.get(reverse("rights:start"))
            assert after.status_code == 200 and not _banner(after)


def test_revocation_by_the_person_takes_effect_on_the_very_next_request(client):
    holder = UserFactory()
    mandate = active_mandate(person=holder.person)
    _act(client, mandate)
    assert client.get(reverse("rights:start")).status_code == 200
    services.mandate_revoke(mandate=mandate, by=holder)
    response = client.post(reverse("rights:begin"), {"source": "empty"})
    assert response.status_code == 403
    assert "a été révoqué" in response.content.decode()
    assert SESSION_KEY not in client.session
    refused = AuditEvent.objects.get(action="acting_refused")
    assert refused.subject == mandate.person.pseudonym
    assert refused.data["reason"] == "revoked"


def test_revoking_the_authorisation_in_use_ends_the_acting_mode_at_the_next_request(client):
    mandate = active_mandate()
    _act(client, mandate)
    services.authorization_revoke(
        authorization=mandate.authorizations.get(family=Family.SIMULATION), by=mandate.created_by
    )
    response = client.get("/")
    assert response.status_code == 403
    assert "a retiré l&#x27;habilitation" in response.content.decode()


def test_a_mediator_who_leaves_the_organisation_can_no_longer_act(client):
    mandate = active_mandate()
    _act(client, mandate)
    Membership.objects.filter(user=mandate.created_by).update(ended_at=T0)
    response = client.get("/")
    assert response.status_code == 403
    assert "ne faites plus partie" in response.content.decode()


def test_an_action_outside_the_chosen_family_is_refused_with_a_clear_message(client):
    mandate = active_mandate(families=[Family.APPOINTMENTS, Family.HOUSING])
    _act(client, mandate, Family.APPOINTMENTS)
    response = client.get(reverse("rights:start"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "hors du champ" in html
    assert "Simulation de droits" in html
    assert client.session.get(SESSION_KEY)  # refused, but the acting mode goes on
    assert client.get("/").status_code == 200


def test_a_family_outside_the_mandate_cannot_be_chosen(client):
    mandate = active_mandate(families=[Family.APPOINTMENTS])
    login_verified(client, mandate.created_by)
    response = client.post(reverse("mediation:acting_start", args=[mandate.public_id]), {"family": "housing"})
    assert response.status_code == 400
    assert SESSION_KEY not in client.session


def test_a_mandate_waiting_for_consent_cannot_be_used(client):
    mandate = pending_mandate()
    login_verified(client, mandate.created_by)
    response = client.post(reverse("mediation:acting_start", args=[mandate.public_id]), {"family": "simulation"})
    assert response.status_code == 400
    assert "attend encore son consentement" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_mediator_of_another_organisation_sees_nothing(client):
    mandate = active_mandate()
    stranger = mediator(organisation())
    login_verified(client, stranger)
    assert mandate.person.full_name not in client.get(reverse("mediation:home")).content.decode()
    for name in ("mediation:mandate", "mediation:mandate_pdf"):
        assert client.get(reverse(name, args=[mandate.public_id])).status_code == 404
    for name in ("mediation:acting_start", "mediation:mandate_revoke", "mediation:takeover_letter"):
        assert client.post(reverse(name, args=[mandate.public_id]), {"family": "simulation"}).status_code == 404
    authorization = mandate.authorizations.first()
    response = client.post(reverse("mediation:authorization_revoke", args=[authorization.public_id]))
    assert response.status_code == 404
    assert SESSION_KEY not in client.session


def test_a_stolen_session_key_pointing_at_another_organisations_mandate_is_refused(client):
    mandate = active_mandate()
    stranger = mediator(organisation())
    login_verified(client, stranger)
    session = client.session
    session[SESSION_KEY] = {
        "mandate": str(mandate.public_id),
        "authorization": str(mandate.authorizations.first().public_id),
    }
    session.save()
    response = client.get("/")
    assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_garbage_in_the_session_ends_the_acting_mode_without_an_error(client):
    user = mediator()
    login_verified(client, user)
    session = client.session
    session[SESSION_KEY] = {"mandate": "not-a-uuid", "authorization": "x"}
    session.save()
    assert client.get("/").status_code == 403
    assert client.get("/").status_code == 200


def test_stopping_ends_the_acting_mode_and_is_journaled(client):
    mandate = active_mandate()
    _act(client, mandate)
    response = client.post(reverse("mediation:acting_stop"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert not _banner(client.get("/"))
    assert AuditEvent.objects.filter(action="acting_stopped", subject=mandate.person.pseudonym).exists()


def test_record_action_writes_to_the_persons_journal_with_the_mediator_organisation_and_mandate(rf):
    mandate = active_mandate()
    acting = Acting(
        person=mandate.person,
        mandate=mandate,
        authorization=mandate.authorizations.first(),
        mediator=mandate.created_by,
        organisation=mandate.organisation,
    )
    event = record_action(request_or_acting=acting, action="on_behalf_simulated", data={"period": "2026-03"})
    assert event.actor == mandate.created_by.person.pseudonym
    assert event.subject == mandate.person.pseudonym
    assert event.data["mandate"] == str(mandate.public_id)
    assert event.data["organisation"] == str(mandate.organisation.public_id)
    assert event.data["mediator"] == str(mandate.created_by.public_id)
    assert event in AuditEvent.objects.about(mandate.person.pseudonym)


def test_record_action_refuses_a_request_outside_acting_mode(rf):
    request = rf.get("/")
    request.session = {}
    request.user = UserFactory(mediator=True)
    assert acting_for(request) is None
    with pytest.raises(ValueError):
        record_action(request_or_acting=request, action="on_behalf_simulated")


def test_a_mediator_not_acting_for_anyone_cannot_save_a_simulation(client):
    login_verified(client, mediator())
    response = client.post(reverse("rights:save"))
    assert response.status_code == 403
    assert "Choisissez d&#x27;abord la personne" in response.content.decode()


def test_the_simulator_starts_from_the_persons_household_and_saves_to_their_account(
    client, territory, django_capture_on_commit_callbacks
):
    mandate = active_mandate()
    household_save(person=mandate.person, data=household_data(), by=mandate.created_by)
    _act(client, mandate)
    start = client.get(reverse("rights:start")).content.decode()
    assert "Nous utilisons votre foyer" in start and "<li>Alex (" in start
    assert client.post(reverse("rights:begin"), {"source": "household"}).status_code == 302
    results = client.get(reverse("rights:results"))
    assert results.status_code == 200
    assert f"Enregistrer dans le compte de {mandate.person.full_name}" in results.content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("rights:save"))
    assert response.status_code == 302
    saved = SavedSimulation.objects.get()
    assert saved.person == mandate.person
    actions = AuditEvent.objects.about(mandate.person.pseudonym).filter(data__mandate=str(mandate.public_id))
    assert {"on_behalf_simulated", "on_behalf_simulation_saved"} <= set(actions.values_list("action", flat=True))
    assert mandate.person.notifications.filter(kind="mediation_receipt", channel="postal").count() == 1
    assert callbacks  # the receipt letter is delivered after commit


def test_a_mediator_moving_to_another_person_never_sees_the_previous_answers(client, territory):
    first = active_mandate()
    household_save(person=first.person, data=household_data(), by=first.created_by)
    _act(client, first)
    client.post(reverse("rights:begin"), {"source": "household"})
    second = active_mandate(by=first.created_by)
    _act(client, second)
    html = client.get(reverse("rights:start")).content.decode()
    # The first person's household is not offered; "Alex" alone could be part of the second person's drawn name.
    assert "Nous utilisons votre foyer" not in html and "<li>Alex (" not in html
    assert client.get(reverse("rights:results")).status_code == 302  # nothing to show for this person yet


def test_a_mediator_whose_mandate_just_ended_can_still_stop_or_log_out(client):
    mandate = active_mandate()
    _act(client, mandate)
    services.mandate_revoke(mandate=mandate, by=mandate.created_by)
    response = client.post(reverse("mediation:acting_stop"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="acting_refused").count() == 1


def test_scope_refusal_checks_a_family_known_only_inside_a_view(rf, client):
    from guichet.mediation.acting import scope_refusal
    from guichet.mediation.enums import family_for_service_kind

    mandate = active_mandate(families=[Family.SCHOOL_CANTEEN, Family.SIMULATION])
    _act(client, mandate, Family.SCHOOL_CANTEEN)
    request = rf.get("/")
    request.session, request.user = client.session, mandate.created_by
    request.user.is_verified = lambda: True
    assert scope_refusal(request, family_for_service_kind("canteen")) is None
    assert scope_refusal(request, family_for_service_kind("transport")).status_code == 403
    assert family_for_service_kind("library") is None
    assert "ne peut pas être faite" in scope_refusal(request, family_for_service_kind("library")).content.decode()
