"""Session lifetimes: staff after 30 minutes idle and 12 hours at most; citizens 7 days after login."""

import pytest

from guichet.audit.models import AuditEvent
from tests.factories import UserFactory, login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, time_machine):
    time_machine.move_to("2026-03-02 08:00:00+01:00", tick=False)
    login_verified(client, UserFactory(agent=True))
    return client


def test_a_staff_session_survives_just_under_the_idle_limit(agent_client, time_machine):
    time_machine.move_to("2026-03-02 08:29:59+01:00", tick=False)
    assert agent_client.get("/compte/").status_code == 200


def test_a_staff_session_ends_after_thirty_minutes_without_activity(agent_client, time_machine):
    time_machine.move_to("2026-03-02 08:30:01+01:00", tick=False)
    response = agent_client.get("/compte/journal/")
    assert response["Location"] == "/compte/connexion/?next=%2Fcompte%2Fjournal%2F"
    assert "_auth_user_id" not in agent_client.session
    assert AuditEvent.objects.filter(action="session_expired").exists()
    page = agent_client.get(response["Location"]).content.decode()
    assert "Votre session a expiré" in page


def test_activity_keeps_a_staff_session_alive_up_to_twelve_hours(agent_client, time_machine):
    for hour in range(8, 20):
        for minute in (0, 25, 50):
            time_machine.move_to(f"2026-03-02 {hour:02d}:{minute:02d}:00+01:00", tick=False)
            assert agent_client.get("/compte/").status_code == 200, f"{hour}:{minute}"
    time_machine.move_to("2026-03-02 20:00:00+01:00", tick=False)
    assert agent_client.get("/compte/").status_code == 200  # exactly 12 h
    time_machine.move_to("2026-03-02 20:00:01+01:00", tick=False)
    assert agent_client.get("/compte/").status_code == 302
    assert "_auth_user_id" not in agent_client.session


def test_the_staff_limits_are_configurable(agent_client, time_machine, settings):
    settings.STAFF_SESSION_IDLE_SECONDS = 60
    time_machine.move_to("2026-03-02 08:01:01+01:00", tick=False)
    assert agent_client.get("/compte/").status_code == 302


def test_the_staff_session_cookie_follows_the_idle_limit(agent_client):
    assert 1800 <= agent_client.session.get_expiry_age() <= 1800 + 300


def test_a_citizen_session_lasts_seven_days_from_login(client, citizen, time_machine):
    time_machine.move_to("2026-03-02 08:00:00+01:00", tick=False)
    client.force_login(citizen)
    time_machine.move_to("2026-03-05 08:00:00+01:00", tick=False)
    assert client.get("/compte/").status_code == 200  # days of inactivity are fine for a citizen
    time_machine.move_to("2026-03-09 07:59:59+01:00", tick=False)
    assert client.get("/compte/").status_code == 200
    time_machine.move_to("2026-03-09 08:00:01+01:00", tick=False)
    assert client.get("/compte/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_every_login_gets_a_new_session_key(client, citizen, password):
    client.get("/")
    client.session.save()
    planted = client.session.session_key
    client.post("/compte/connexion/", {"email": citizen.email, "password": password})
    assert client.session.session_key != planted
