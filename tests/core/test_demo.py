import pytest
from django.core.management import call_command

from guichet.accounts.models import Household, User
from guichet.catalog.models import Commune, Place, Service
from guichet.core.management.commands.demo import demo_load

pytestmark = pytest.mark.django_db


def test_the_demo_loads_the_territory_and_accounts_and_can_run_twice(capsys):
    lines = demo_load()
    assert any("Métropole de démonstration" in line for line in lines)
    assert {"69123", "69266", "69259", "69256", "69029"} <= set(Commune.objects.values_list("insee_code", flat=True))
    assert Place.objects.count() == 3
    assert set(User.objects.values_list("role", flat=True)) == {"citizen", "mediator", "agent", "supervisor", "admin"}
    assert Household.objects.count() == 4
    amina = User.objects.get(email="amina.diallo@demo.guichet.fr")
    assert amina.check_password("demo-guichet-2026")
    # Changes made since are kept when the demo runs again.
    amina.person.first_name = "Aminata"
    amina.person.save()
    counts = (User.objects.count(), Service.objects.count(), Household.objects.count())
    demo_load()
    assert (User.objects.count(), Service.objects.count(), Household.objects.count()) == counts
    amina.person.refresh_from_db()
    assert amina.person.first_name == "Aminata"


def test_the_demo_command_sets_up_without_serving(capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "amina.diallo@demo.guichet.fr" in out
    assert "admin@demo.guichet.fr" in out


def test_the_demo_prints_a_working_enrolment_link_for_each_staff_account_not_enrolled(client):
    import re

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from guichet.accounts.demo import DEMO_PASSWORD

    lines = demo_load()
    links = dict(
        re.findall(
            r"^\s+(\S+@demo\.guichet\.fr)\s+http://127\.0\.0\.1:8000(/compte/securite/activation/\S+/)$",
            "\n".join(lines),
            re.M,
        )
    )
    assert set(links) == {
        "mediatrice@demo.guichet.fr",
        "agent@demo.guichet.fr",
        "superviseure@demo.guichet.fr",
        "admin@demo.guichet.fr",
        "agent.recours@demo.guichet.fr",
    }
    client.post("/compte/connexion/", {"email": "agent@demo.guichet.fr", "password": DEMO_PASSWORD})
    assert client.get(links["agent@demo.guichet.fr"])["Location"] == "/compte/securite/activation/"
    assert 'class="otp-secret"' in client.get("/compte/securite/activation/").content.decode()
    TOTPDevice.objects.filter(user__email="agent@demo.guichet.fr").update(confirmed=True)
    again = "\n".join(demo_load())
    assert "agent@demo.guichet.fr " not in again.split("Second facteur du personnel")[1]  # enrolled: no new link
    assert "admin@demo.guichet.fr " in again.split("Second facteur du personnel")[1]
