import pytest

from tests.appointments.factories import make_agenda, make_slot


@pytest.fixture
def agenda(territory):
    return make_agenda()


@pytest.fixture
def slot(agenda):
    return make_slot(agenda)
