"""Supporting documents: checked by content and size, stored outside the web root, served only to those allowed."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from guichet.procedures import services
from guichet.procedures.forms import DocumentsForm
from tests.factories import UserFactory, login_verified
from tests.procedures import factories

pytestmark = pytest.mark.django_db


def test_a_text_file_named_pdf_is_refused_by_its_content(citizen):
    fake = factories.pdf_file("avis.pdf", b"Bonjour, ceci n'est pas un PDF.")
    with pytest.raises(ValidationError, match="n'est ni un PDF, ni une image JPEG ou PNG"):
        services.document_upload(owner=citizen.person, uploaded=fake, by=citizen)


def test_an_oversized_file_is_refused(citizen, settings):
    settings.DOCUMENT_MAX_BYTES = 20
    with pytest.raises(ValidationError, match="trop lourd"):
        services.document_upload(owner=citizen.person, uploaded=factories.pdf_file(), by=citizen)


def test_a_png_is_accepted_and_stored_outside_the_web_root(citizen, settings):
    document = factories.upload(citizen, content=factories.PNG, name="photo.png")
    assert document.content_type == "image/png"
    stored = settings.PRIVATE_STORAGE_ROOT / document.path
    assert stored.read_bytes() == factories.PNG
    assert not str(stored).startswith(str(settings.STATIC_ROOT))


def test_the_owner_downloads_their_document(client, citizen):
    document = factories.upload(citizen)
    response = login_verified(client, citizen).get(reverse("procedures:document", args=[document.public_id]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == factories.PDF
    response.close()


def test_another_citizen_gets_a_404_for_my_document(client, citizen):
    document = factories.upload(citizen)
    response = login_verified(client, UserFactory()).get(reverse("procedures:document", args=[document.public_id]))
    assert response.status_code == 404


def test_an_agent_of_the_team_sees_a_document_of_a_submitted_case_only(client):
    of = factories.procedure(documents=[factories.document_type()])
    application = factories.draft(of=of)
    citizen = application.applicant.user
    document = services.document_upload(
        owner=citizen.person, uploaded=factories.pdf_file(), by=citizen, document_type=of.documents.get()
    )
    services.application_document_attach(application=application, document=document, by=citizen)
    agent = of.team.members.first()
    url = reverse("procedures:document", args=[document.public_id])
    assert login_verified(client, agent).get(url).status_code == 404  # still a draft: private
    services.application_submit(application=application, by=citizen)
    assert login_verified(Client(), UserFactory(agent=True)).get(url).status_code == 404
    response = client.get(url)
    assert response.status_code == 200
    response.close()  # last: closing a streamed response ends the request, and its database connection


def test_a_valid_document_is_offered_again_in_a_later_application(citizen):
    of = factories.procedure(documents=[factories.document_type()])
    document = services.document_upload(
        owner=citizen.person, uploaded=factories.pdf_file(), by=citizen, document_type=of.documents.get()
    )
    later = factories.draft(citizen=citizen, of=of)
    form = DocumentsForm(application=later)
    reuse = form.fields["reuse_justificatif-domicile"]
    assert str(document.public_id) in dict(reuse.choices)


def test_an_expired_document_is_not_offered_again(citizen):
    of = factories.procedure(documents=[factories.document_type()])
    document = services.document_upload(
        owner=citizen.person, uploaded=factories.pdf_file(), by=citizen, document_type=of.documents.get()
    )
    document.valid_until = datetime.date(2020, 1, 1)
    document.save()
    form = DocumentsForm(application=factories.draft(citizen=citizen, of=of))
    assert "reuse_justificatif-domicile" not in form.fields


def test_a_wrong_file_in_the_step_gets_a_clear_error_and_keeps_the_answers(client, citizen):
    of = factories.procedure(documents=[factories.document_type()])
    application = factories.draft(citizen=citizen, of=of, answers={"motif": "Déménagement"})
    login_verified(client, citizen)
    url = reverse("procedures:step", args=[application.public_id, 2])
    response = client.post(url, {"action": "next", "file_justificatif-domicile": factories.pdf_file("a.pdf", b"MZ")})
    assert response.status_code == 200
    assert "n&#x27;est ni un PDF" in response.content.decode()
    application.refresh_from_db()
    assert application.answers["motif"] == "Déménagement"
    assert not application.documents.exists()


def test_a_document_sent_in_the_step_is_attached_and_the_draft_moves_on(client, citizen):
    of = factories.procedure(documents=[factories.document_type()])
    application = factories.draft(citizen=citizen, of=of)
    login_verified(client, citizen)
    url = reverse("procedures:step", args=[application.public_id, 2])
    response = client.post(url, {"action": "next", "file_justificatif-domicile": factories.pdf_file()})
    assert response.status_code == 302
    assert application.documents.get().document_type.slug == "justificatif-domicile"


def test_a_tampered_reuse_choice_naming_someone_elses_document_is_refused(client, citizen):
    of = factories.procedure(documents=[factories.document_type()])
    services.document_upload(
        owner=citizen.person, uploaded=factories.pdf_file(), by=citizen, document_type=of.documents.get()
    )
    stranger = UserFactory()
    theirs = factories.upload(stranger)
    application = factories.draft(citizen=citizen, of=of)
    login_verified(client, citizen)
    url = reverse("procedures:step", args=[application.public_id, 2])
    response = client.post(url, {"action": "next", "reuse_justificatif-domicile": str(theirs.public_id)})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not application.documents.exists()
