import pytest

from guichet.appointments import demo
from guichet.appointments.models import Agenda, LotteryWindow, Slot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_agendas_load_and_loading_again_changes_nothing(territory):
    agent = UserFactory(agent=True)
    demo.load()
    counts = (Agenda.objects.count(), Slot.objects.count(), LotteryWindow.objects.count())
    demo.load()
    assert counts == (Agenda.objects.count(), Slot.objects.count(), LotteryWindow.objects.count())
    assert counts[0] == 7 and counts[1] > 100 and counts[2] == 1
    assert Agenda.objects.filter(agents=agent).count() == 7
    assert Slot.objects.bookable("online").exists()
