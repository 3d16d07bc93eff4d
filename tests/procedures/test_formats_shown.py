"""Amounts and delays on the procedures' pages and letters, written the French way ("1 234,56 €", "1 jour")."""

import datetime
import sys
import types
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.catalog.models import Service
from guichet.procedures import computation, pdf, services
from guichet.procedures.models import Application, Decision, Subscription
from tests.factories import login_verified
from tests.procedures import factories

pytestmark = pytest.mark.django_db

NNBSP, NBSP = "\u202f", "\u00a0"


class HtmlInsteadOfPdf:
    """Stands for WeasyPrint: the "PDF" is the letter's HTML, to read what it says."""

    def __init__(self, *, string: str, base_url: str) -> None:
        self.string = string

    def write_pdf(self) -> bytes:
        return self.string.encode()


@pytest.fixture
def letters_as_html(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", types.SimpleNamespace(HTML=HtmlInsteadOfPdf))


def _decided_with(value: str, **fields) -> Decision:
    decision = factories.decided()
    Decision.objects.filter(pk=decision.pk).update(computed_value=Decimal(value), **fields)
    decision.refresh_from_db()
    return decision


def test_the_case_page_shows_the_amount_in_the_french_way(client):
    decision = _decided_with("1234.56")
    login_verified(client, decision.application.applicant.user)
    page = client.get(reverse("procedures:detail", args=[decision.application.public_id])).content.decode()
    assert f"Montant calculé : 1{NNBSP}234,56{NBSP}€." in page


def test_the_case_page_in_english_shows_the_amount_in_the_english_way(client):
    decision = _decided_with("600.00")
    login_verified(client, decision.application.applicant.user)
    url = reverse("procedures:detail", args=[decision.application.public_id])
    page = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Calculated amount: €600." in page


def test_the_agent_sees_the_amount_in_the_french_way(client):
    decision = _decided_with("4.8", engine_period="2026-09")
    login_verified(client, decision.application.procedure.team.members.first())
    page = client.get(reverse("procedures:case", args=[decision.application.public_id])).content.decode()
    assert f"Montant calculé : 4,80{NBSP}€ (période 2026-09)." in page


def test_the_catalogue_says_one_day_and_several_days(client):
    factories.procedure(name="Démarche rapide", target_delay_days=1)
    factories.procedure(name="Démarche lente", target_delay_days=15)
    page = client.get(reverse("procedures:catalog")).content.decode()
    assert "Délai visé : 1 jour." in page
    assert "Délai visé : 15 jours." in page


def test_the_expected_delay_counts_whole_days_rounded_up(client, settings):
    settings.PROCEDURE_DELAY_MIN_DECISIONS = 3
    of = factories.procedure()
    now = timezone.now()
    for days in (2, 4, 6, 8, 30):
        application = factories.submitted(of=of)
        Application.objects.filter(pk=application.pk).update(
            submitted_at=now - datetime.timedelta(days=days), decided_at=now
        )
    mine = factories.submitted(of=of)
    login_verified(client, mine.applicant.user)
    page = client.get(reverse("procedures:detail", args=[mine.public_id])).content.decode()
    # Median 6 days, 90th percentile 21.2 days: "22 days or less" stays true.
    assert "décidées en 6 jours ou moins, et 9 sur 10 en 22 jours ou moins (sur les 5 dernières décisions)." in page


def test_the_review_page_says_one_day(client):
    decision = factories.decided()
    decision.application.procedure.review_delay_days = 1
    decision.application.procedure.save()
    login_verified(client, decision.application.applicant.user)
    page = client.get(reverse("procedures:review_request", args=[decision.public_id])).content.decode()
    assert "en 1 jour au plus." in page


def _subscription(application, service, price: str) -> Subscription:
    today = timezone.localdate()
    return Subscription.objects.create(
        person=application.applicant,
        application=application,
        service=service,
        member_first_name="Sam",
        member_birth_date=datetime.date(2015, 3, 2),
        price=Decimal(price),
        unit="par repas",
        valid_from=today,
        valid_until=today + datetime.timedelta(days=300),
    )


def test_the_subscriptions_table_shows_prices_to_the_cent(client, territory):
    decision = factories.decided()
    [canteen, pool] = Service.objects.filter(kind__in=["canteen", "pool"]).order_by("kind")[:2]
    _subscription(decision.application, canteen, "3")
    _subscription(decision.application, pool, "1234.5")
    login_verified(client, decision.application.applicant.user)
    page = client.get(reverse("procedures:subscriptions")).content.decode()
    assert f"<td>3,00{NBSP}€ (par repas)</td>" in page
    assert f"<td>1{NNBSP}234,50{NBSP}€ (par repas)</td>" in page


def test_the_decision_letter_writes_the_amount_and_the_family_quotient_the_french_way(letters_as_html):
    decision = _decided_with(
        "4.80",
        engine_period="2026-09",
        engine_explanation={
            "definition": {"unit": "par repas"},
            "member": {"inputs": {"quotient_familial": 1812.333}},
        },
    )
    letter = pdf.decision_letter(decision).decode()
    assert f"Montant calculé : 4,80{NBSP}€ par repas, pour la période 2026-09." in letter
    assert f"Quotient familial retenu : 1{NNBSP}812,33{NBSP}€." in letter


def test_the_receipt_says_one_day(letters_as_html):
    application = factories.submitted(of=factories.procedure(target_delay_days=1))
    assert "dans un délai de 1 jour ;" in pdf.receipt(application).decode()


def test_the_pass_urbain_decision_writes_each_price_the_french_way(family, territory, monkeypatch):
    of = factories.procedure(slug="pass-urbain", kind="pass_urbain", questions=[])
    application = factories.draft(citizen=family, of=of, answers={"selections": {"canteen": ["Sam|2015-03-02"]}})
    application = services.application_submit(application=application, by=family)
    price = computation.Price(
        member_key="Sam|2015-03-02",
        first_name="Sam",
        birth_date=datetime.date(2015, 3, 2),
        service_kind="canteen",
        aid_id="metropole_demo_cantine",
        value=Decimal("4.80"),
        unit="par repas",
        band="Tranche 2",
    )
    monkeypatch.setattr(
        computation, "pass_urbain_prices", lambda **kwargs: ([price], {"result": None, "explanations": {}})
    )
    decision = services.pass_urbain_decide(application=application)
    assert f": 4,80{NBSP}€ (par repas) — Tranche 2" in decision.motivation
