"""Postal letters: a PDF rendered with WeasyPrint, kept outside the web root, queued for printing."""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from guichet.notifications.channels.base import DeliveryError
from guichet.notifications.enums import Status


def render_letter(*, template: str, context: dict) -> bytes:
    """Render an HTML template to a PDF letter."""
    from weasyprint import HTML

    html = render_to_string(template, {"today": timezone.localdate(), "site_url": settings.SITE_URL, **context})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def letters_dir() -> Path:
    path = Path(settings.PRIVATE_STORAGE_ROOT) / "letters"
    path.mkdir(parents=True, exist_ok=True)
    return path


class PostalChannel:
    def deliver(self, notification) -> str:
        person = notification.person
        if not (person.address_line and person.postal_code and person.city):
            raise DeliveryError("no postal address")
        context = {"notification": notification, "person": person}
        pdf = render_letter(template="notifications/letter.html", context=context)
        path = letters_dir() / f"{notification.public_id}.pdf"
        path.write_bytes(pdf)
        notification.letter = str(path.relative_to(settings.PRIVATE_STORAGE_ROOT))
        return Status.TO_PRINT
