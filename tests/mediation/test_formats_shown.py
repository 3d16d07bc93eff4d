"""The takeover letter counts its days with the right plural."""

import sys
import types

import pytest
from django.core.cache import cache
from django.urls import reverse

from guichet.mediation import services
from tests.factories import login_verified
from tests.mediation.factories import active_mandate

pytestmark = pytest.mark.django_db


class HtmlInsteadOfPdf:
    """Stands for WeasyPrint: the "PDF" is the letter's HTML, to read what it says."""

    def __init__(self, *, string: str, base_url: str) -> None:
        self.string = string

    def write_pdf(self) -> bytes:
        return self.string.encode()


@pytest.fixture(autouse=True)
def _letters_as_html(monkeypatch):
    cache.clear()
    monkeypatch.setitem(sys.modules, "weasyprint", types.SimpleNamespace(HTML=HtmlInsteadOfPdf))


def _letter(client) -> str:
    mandate = active_mandate()
    login_verified(client, mandate.created_by)
    response = client.post(reverse("mediation:takeover_letter", args=[mandate.public_id]))
    return response.content.decode().replace("&#x27;", "'")


def test_the_takeover_letter_says_how_many_days_the_code_lasts(client):
    assert f"expire dans {services.TAKEOVER_CODE_DAYS} jours." in _letter(client)


def test_a_code_lasting_one_day_is_said_in_the_singular(client, monkeypatch):
    monkeypatch.setattr(services, "TAKEOVER_CODE_DAYS", 1)
    assert "expire dans 1 jour." in _letter(client)
