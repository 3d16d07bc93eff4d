"""PDF documents of a case (WeasyPrint): the receipt of submission and the decision letter."""

from django.http import HttpResponse
from django.utils import timezone

from guichet.notifications.channels.postal import render_letter
from guichet.procedures import questions


def response(content: bytes, filename: str) -> HttpResponse:
    answer = HttpResponse(content, content_type="application/pdf")
    answer["Content-Disposition"] = f'inline; filename="{filename}"'
    return answer


def receipt(application) -> bytes:
    """The receipt (accusé de réception): number, date, procedure, what was sent, the target delay."""
    return render_letter(
        template="procedures/pdf/receipt.html",
        context={
            "application": application,
            "person": application.applicant,
            "answers": questions.displayed(application.procedure, application.answers, application.applicant),
            "given": application.documents.select_related("document_type"),
        },
    )


def decision_letter(decision) -> bytes:
    """The decision letter, with its motivation and how to contest it (CRPA L211-2 and L411-2, CJA R421-1)."""
    application = decision.application
    return render_letter(
        template="procedures/pdf/decision.html",
        context={
            "decision": decision,
            "application": application,
            "person": application.applicant,
            "subscriptions": application.subscriptions.select_related("service")
            if application.procedure.is_pass_urbain
            else [],
            "decided_on": timezone.localdate(decision.signed_at or decision.created_at),
            "explanation": (decision.engine_explanation or {}).get("member", {}),
        },
    )
