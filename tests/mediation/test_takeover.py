"""A person whose record a mediator created opens their account on it with a printed takeover code."""

import datetime
import re
import shutil
import subprocess

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from guichet.accounts.models import Person
from guichet.audit.models import AuditEvent
from guichet.mediation import demo, services
from guichet.mediation.models import Mandate, Membership, Organisation, TakeoverCode
from tests.factories import PASSWORD, UserFactory, login_verified
from tests.mediation.factories import active_mandate, mediator

pytestmark = pytest.mark.django_db
BIRTH = datetime.date(1948, 3, 9)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _form(code: str, **overrides) -> dict:
    return {
        "code": code,
        "birth_date": BIRTH.isoformat(),
        "email": "josette.perrin@example.org",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        **overrides,
    }


def test_a_person_takes_over_their_record_and_sees_what_was_done_for_them(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    mandate = active_mandate()
    person = mandate.person
    code = services.takeover_code_issue(person=person, by=mandate.created_by)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert services.normalise_takeover_code(code) not in TakeoverCode.objects.get().code_hash
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mediation:takeover"), _form(code.lower().replace("-", " ")))
    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert person.user.email == "josette.perrin@example.org"
    assert person.user.email_verified_at is None  # verified by the emailed link, as any registration
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(action="account_taken_over", subject=person.pseudonym).exists()
    person.user.email_verified_at = person.created_at
    person.user.save()
    client.force_login(person.user)
    html = client.get(reverse("mediation:mine")).content.decode()
    assert mandate.organisation.name in html
    assert "Mandat donné à une organisation de médiation" in html


def test_a_takeover_code_works_once():
    mandate = active_mandate()
    code = services.takeover_code_issue(person=mandate.person, by=mandate.created_by)
    services.account_takeover(code=code, birth_date=BIRTH, email="a@example.org", password=PASSWORD)
    with pytest.raises(services.CodeRefused):
        services.account_takeover(code=code, birth_date=BIRTH, email="b@example.org", password=PASSWORD)


def test_a_new_code_replaces_the_previous_one():
    mandate = active_mandate()
    first = services.takeover_code_issue(person=mandate.person, by=mandate.created_by)
    services.takeover_code_issue(person=mandate.person, by=mandate.created_by)
    with pytest.raises(services.CodeRefused):
        services.account_takeover(code=first, birth_date=BIRTH, email="a@example.org", password=PASSWORD)


def test_five_wrong_birth_dates_end_the_code():
    mandate = active_mandate()
    code = services.takeover_code_issue(person=mandate.person, by=mandate.created_by)
    for _try in range(5):
        with pytest.raises(services.CodeRefused, match="ne correspondent pas"):
            services.account_takeover(
                code=code, birth_date=datetime.date(1950, 1, 1), email="a@example.org", password=PASSWORD
            )
    with pytest.raises(services.CodeRefused, match="pas valide"):
        services.account_takeover(code=code, birth_date=BIRTH, email="a@example.org", password=PASSWORD)
    assert Person.objects.get(pk=mandate.person.pk).user is None


def test_no_takeover_code_for_a_person_who_has_an_account_or_for_another_organisation():
    holder = UserFactory()
    mandate = active_mandate(person=holder.person)
    with pytest.raises(ValidationError):
        services.takeover_code_issue(person=holder.person, by=mandate.created_by)
    other = active_mandate()
    with pytest.raises(ValidationError):
        services.takeover_code_issue(person=other.person, by=mediator())


@pytest.mark.parametrize(
    "bad",
    [
        {"code": "AAAA-BBBB-CCCC"},
        {"birth_date": "pas une date"},
        {"email": "pas-une-adresse"},
        {"password_confirm": "autre chose entièrement"},
        {"password": "court", "password_confirm": "court"},
    ],
)
def test_bad_input_on_the_takeover_form_is_explained_and_kept(client, bad):
    mandate = active_mandate()
    code = services.takeover_code_issue(person=mandate.person, by=mandate.created_by)
    response = client.post(reverse("mediation:takeover"), {**_form(code), **bad})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Le formulaire contient des erreurs" in html
    shown_email = bad.get("email", "josette.perrin@example.org")
    assert f'value="{shown_email}"' in html
    assert Person.objects.get(pk=mandate.person.pk).user is None


def test_the_takeover_letter_prints_the_code_that_works(client, tmp_path):
    mandate = active_mandate()
    login_verified(client, mandate.created_by)
    response = client.post(reverse("mediation:takeover_letter", args=[mandate.public_id]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    path = tmp_path / "lettre.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text).group(0)
    user = services.account_takeover(code=code, birth_date=BIRTH, email="c@example.org", password=PASSWORD)
    assert user.person == mandate.person


def test_the_demo_loads_twice_without_duplicates(territory):
    from guichet.accounts import demo as accounts_demo

    accounts_demo.load()
    demo.load()
    demo.load()
    assert Organisation.objects.count() == 3
    assert Membership.objects.filter(user__email=demo.MEDIATOR).count() == 1
    [mandate] = Mandate.objects.active().filter(person__user__email=demo.MANDATE_FOR)
    assert sorted(mandate.authorizations.values_list("family", flat=True)) == ["appointments", "social_aids"]
    assert mandate.organisation.place is not None
