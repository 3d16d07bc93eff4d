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
