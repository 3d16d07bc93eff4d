import pytest

from guichet.accounts.services import household_save
from tests.factories import UserFactory, household_data, login_verified


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def family(db):
    """A citizen with a household: Alex and their child Sam (born 2015), in Lyon."""
    user = UserFactory()
    household_save(person=user.person, data=household_data(), by=user)
    return user


@pytest.fixture
def agent(db):
    return UserFactory(agent=True)


@pytest.fixture
def agent_client(client, agent):
    return login_verified(client, agent)
