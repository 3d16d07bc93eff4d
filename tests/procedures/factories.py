"""Building procedures and cases for tests, through the services where the rules matter."""

from django.core.files.uploadedfile import SimpleUploadedFile

from guichet.procedures import services
from guichet.procedures.enums import DecisionStatus
from guichet.procedures.models import Application, Decision, DocumentType, ProcedureType, Review, Team
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf_file(name: str = "justificatif.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def team(*members, slug: str | None = None) -> Team:
    created = Team.objects.create(name="Équipe", slug=slug or f"equipe-{Team.objects.count() + 1}")
    created.members.add(*members)
    return created


def document_type(slug: str = "justificatif-domicile", validity_days: int | None = 90) -> DocumentType:
    found, _created = DocumentType.objects.get_or_create(
        slug=slug, defaults={"name": "Justificatif de domicile", "validity_days": validity_days}
    )
    return found


def procedure(*, for_team: Team | None = None, documents=(), **fields) -> ProcedureType:
    defaults = {
        "slug": f"demarche-{ProcedureType.objects.count() + 1}",
        "name": "Demande de test",
        "questions": [{"name": "motif", "label": "Motif de la demande", "kind": "text", "required": True}],
        "target_delay_days": 10,
    }
    created = ProcedureType.objects.create(team=for_team or team(UserFactory(agent=True)), **{**defaults, **fields})
    created.documents.set(documents)
    return created


def draft(*, citizen=None, of: ProcedureType | None = None, answers=None) -> Application:
    citizen = citizen or UserFactory()
    of = of or procedure()
    application = services.application_start(procedure=of, applicant=citizen.person, by=citizen)
    return services.application_draft_save(
        application=application, by=citizen, answers=answers if answers is not None else {"motif": "Test"}, step=2
    )


def submitted(**kwargs) -> Application:
    application = draft(**kwargs)
    return services.application_submit(application=application, by=application.created_by)


def in_review(*, agent=None, **kwargs) -> Application:
    application = submitted(**kwargs)
    agent = agent or application.procedure.team.members.first()
    return services.application_take(application=application, by=agent)


def decided(*, outcome: str = "accepted", agent=None, **kwargs) -> Decision:
    application = in_review(agent=agent, **kwargs)
    agent = agent or application.procedure.team.members.first()
    return services.decision_propose(
        application=application, by=agent, outcome=outcome, motivation="Les conditions de la demande sont remplies."
    )


def awaiting_signature(**kwargs) -> Decision:
    """A decision of a procedure with a second signature, made by the team's agent."""
    agent = UserFactory(agent=True)
    supervisor = UserFactory(supervisor=True)
    of = procedure(for_team=team(agent, supervisor), requires_second_signature=True)
    decision = decided(of=of, agent=agent, **kwargs)
    assert decision.status == DecisionStatus.AWAITING_SIGNATURE
    return decision


def review(**kwargs) -> Review:
    decision = decided(**kwargs)
    citizen = decision.application.applicant.user
    return services.review_request(decision=decision, by=citizen, message="Je conteste : ma situation a changé.")


def upload(citizen, content: bytes = PDF, name: str = "piece.pdf"):
    return services.document_upload(owner=citizen.person, uploaded=pdf_file(name, content), by=citizen)


def status_of(application: Application) -> str:
    return Application.objects.get(pk=application.pk).status
