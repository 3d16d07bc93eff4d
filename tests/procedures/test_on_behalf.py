"""A mediator files an application for a person, under a mandate covering the procedure's family."""

import pytest
from django.urls import reverse

from guichet.audit.models import AuditEvent
from guichet.catalog.models import Service
from guichet.mediation.enums import Family
from guichet.procedures.enums import ApplicationStatus
from guichet.procedures.models import Application
from tests.factories import UserFactory, login_verified
from tests.mediation.factories import active_mandate
from tests.procedures import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def transport_procedure(territory):
    return factories.procedure(slug="pass-transport", service=Service.objects.get(slug="transports"))


def _act(client, mandate, family):
    login_verified(client, mandate.created_by)
    client.post(reverse("mediation:acting_start", args=[mandate.public_id]), {"family": family})
    return client


def test_a_mediator_starts_and_submits_an_application_for_the_person(client, transport_procedure, mailoutbox):
    mandate = active_mandate(families=(Family.TRANSPORT,))
    _act(client, mandate, Family.TRANSPORT)
    response = client.post(reverse("procedures:start", args=[transport_procedure.slug]))
    application = Application.objects.get()
    assert application.applicant == mandate.person
    assert response.status_code == 302
    client.post(reverse("procedures:step", args=[application.public_id, 1]), {"motif": "Trajets vers l'hôpital"})
    client.post(reverse("procedures:recap", args=[application.public_id]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    actions = set(AuditEvent.objects.about(mandate.person.pseudonym).values_list("action", flat=True))
    assert {"on_behalf_application_started", "on_behalf_application_submitted"} <= actions


def test_a_procedure_outside_the_chosen_family_is_refused_with_a_reason(client, transport_procedure):
    mandate = active_mandate(families=(Family.SIMULATION, Family.TRANSPORT))
    _act(client, mandate, Family.SIMULATION)
    response = client.post(reverse("procedures:start", args=[transport_procedure.slug]))
    assert response.status_code == 403
    assert "hors du champ" in response.content.decode()
    assert not Application.objects.exists()


def test_a_mediator_without_a_mandate_for_the_person_cannot_file_even_through_the_service(transport_procedure):
    from django.core.exceptions import PermissionDenied

    from guichet.procedures import services

    mandate = active_mandate(families=(Family.APPOINTMENTS,))
    with pytest.raises(PermissionDenied):
        services.application_start(procedure=transport_procedure, applicant=mandate.person, by=mandate.created_by)


def test_acting_lists_only_the_applications_of_the_chosen_family(client, transport_procedure):
    canteen_procedure = factories.procedure(
        slug="cantine", name="Inscription à la cantine", service=Service.objects.get(slug="cantine")
    )
    holder = UserFactory()
    transport = factories.submitted(citizen=holder, of=transport_procedure)
    canteen = factories.submitted(citizen=holder, of=canteen_procedure)
    mandate = active_mandate(person=holder.person, families=(Family.TRANSPORT, Family.SIMULATION))
    _act(client, mandate, Family.TRANSPORT)
    html = client.get(reverse("procedures:mine")).content.decode()
    assert transport.receipt_number in html and transport_procedure.name in html
    assert canteen.receipt_number not in html and canteen_procedure.name not in html
    _act(client, mandate, Family.SIMULATION)  # a family without procedures: no application at all
    html = client.get(reverse("procedures:mine")).content.decode()
    assert transport.receipt_number not in html and canteen.receipt_number not in html
    client.force_login(holder)  # the person themself sees all of them
    html = client.get(reverse("procedures:mine")).content.decode()
    assert transport.receipt_number in html and canteen.receipt_number in html
