"""The pages: booking and its conflicts, bad input, rate limits that fail closed, the agents' pages."""

import datetime

import pytest
import time_machine
from django.test import override_settings

from guichet.appointments import services
from guichet.appointments.models import Booking
from tests.appointments.factories import make_agenda, make_booking, make_slot
from tests.factories import PersonFactory, UserFactory, login_verified

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


@pytest.fixture
def me(client, citizen):
    login_verified(client, citizen)
    return citizen


def book_url(agenda):
    return f"/rendez-vous/agendas/{agenda.public_id}/reserver/"


def test_a_citizen_sees_free_slots_and_books_one(client, me, agenda):
    slot = make_slot(agenda)
    assert str(slot.public_id) in page(client.get(f"/rendez-vous/agendas/{agenda.public_id}/"))
    response = client.post(book_url(agenda), {"slot": str(slot.public_id)})
    booking = Booking.objects.get(person=me.person)
    assert response.status_code == 302 and response["Location"] == f"/rendez-vous/mes-rendez-vous/{booking.public_id}/"
    assert "Au nom de" in page(client.get(response["Location"]))


def test_the_loser_of_a_race_is_told_and_offered_other_slots(client, me, agenda):
    taken, other = make_slot(agenda), make_slot(agenda)
    winner = UserFactory()
    services.booking_create(slot=taken, person=winner.person, by=winner, channel="online")
    response = client.post(book_url(agenda), {"slot": str(taken.public_id)})
    assert response.status_code == 409
    assert "Ce créneau vient d'être pris" in page(response)
    assert f'value="{other.public_id}"' in page(response)


@pytest.mark.parametrize("value", ["", "pas-un-uuid", "00000000-0000-0000-0000-000000000001"])
def test_bad_slot_values_get_a_clear_error_not_a_500(client, me, agenda, value):
    make_slot(agenda)
    response = client.post(book_url(agenda), {"slot": value})
    assert response.status_code == 400
    assert "Choisissez un créneau" in page(response)


def test_a_slot_of_another_agenda_is_refused(client, me, agenda):
    elsewhere = make_slot(make_agenda(place_name="CCAS de Vénissieux", service_slug="action-sociale"))
    make_slot(agenda)
    assert client.post(book_url(agenda), {"slot": str(elsewhere.public_id)}).status_code == 400


def test_the_limit_message_is_shown_and_the_choice_kept(client, me, agenda):
    first, second = make_slot(agenda), make_slot(agenda)
    client.post(book_url(agenda), {"slot": str(first.public_id)})
    response = client.post(book_url(agenda), {"slot": str(second.public_id)})
    assert response.status_code == 400 and "c'est le maximum" in page(response)
    assert f'value="{second.public_id}" checked' in page(response)


def test_a_citizen_reschedules_then_cancels(client, me, agenda):
    old, new = make_slot(agenda), make_slot(agenda)
    booking = services.booking_create(slot=old, person=me.person, by=me, channel="online")
    assert str(new.public_id) in page(client.get(f"/rendez-vous/mes-rendez-vous/{booking.public_id}/deplacer/"))
    response = client.post(f"/rendez-vous/mes-rendez-vous/{booking.public_id}/deplacer/", {"slot": str(new.public_id)})
    moved = Booking.objects.get(person=me.person, status="booked")
    assert moved.slot == new and response["Location"].endswith(f"{moved.public_id}/")
    assert client.post(f"/rendez-vous/mes-rendez-vous/{moved.public_id}/annuler/").status_code == 302
    assert not Booking.objects.filter(person=me.person, status="booked").exists()


def test_posting_a_person_changes_nothing_on_reschedule(client, me, agenda):
    old, new = make_slot(agenda), make_slot(agenda)
    other = UserFactory()
    booking = services.booking_create(slot=old, person=me.person, by=me, channel="online")
    client.post(
        f"/rendez-vous/mes-rendez-vous/{booking.public_id}/deplacer/",
        {"slot": str(new.public_id), "person": str(other.person.public_id)},
    )
    assert Booking.objects.get(slot=new).person == me.person


# --- Rate limits ---


@override_settings(APPOINTMENTS_SEARCHES_PER_ACCOUNT=3)
def test_availability_searches_are_limited_per_account(client, me, agenda):
    url = f"/rendez-vous/agendas/{agenda.public_id}/"
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "Trop de recherches" in page(client.get(url))


@override_settings(APPOINTMENTS_SEARCHES_PER_IP=2)
def test_availability_searches_are_limited_per_address(client, agenda):
    url = f"/rendez-vous/agendas/{agenda.public_id}/"
    statuses = []
    for _ in range(3):
        login_verified(client, UserFactory())
        statuses.append(client.get(url).status_code)
    assert statuses == [200, 200, 429]


@override_settings(APPOINTMENTS_BOOKINGS_PER_ACCOUNT=2)
def test_booking_attempts_are_limited_per_account(client, me, agenda):
    slot = make_slot(agenda)
    statuses = [client.post(book_url(agenda), {"slot": "x"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert client.post(book_url(agenda), {"slot": str(slot.public_id)}).status_code == 429
    assert not Booking.objects.exists()


@override_settings(APPOINTMENTS_BOOKINGS_PER_IP=1)
def test_booking_attempts_are_limited_per_address(client, agenda):
    slot = make_slot(agenda)
    login_verified(client, UserFactory())
    client.post(book_url(agenda), {"slot": "x"})
    login_verified(client, UserFactory())
    response = client.post(book_url(agenda), {"slot": str(slot.public_id)})
    assert response.status_code == 429 and "Trop de tentatives" in page(response)


def test_rate_limits_fail_closed_when_the_counters_are_down(client, me, agenda, ratelimit_store_down):
    slot = make_slot(agenda)
    for _ in range(2):
        assert client.get(f"/rendez-vous/agendas/{agenda.public_id}/").status_code == 429
        assert client.post(book_url(agenda), {"slot": str(slot.public_id)}).status_code == 429
    assert not Booking.objects.exists()


# --- Agents ---


@pytest.fixture
def agent(client, agenda):
    user = UserFactory(agent=True)
    agenda.agents.add(user)
    login_verified(client, user)
    return user


def test_the_agent_sees_the_day_and_records_arrival_and_no_show(client, agent, agenda):
    first = make_booking(UserFactory().person, agenda=agenda)
    second = make_booking(UserFactory().person, agenda=agenda)
    day_url = f"/rendez-vous/agent/agendas/{agenda.public_id}/?jour={first.slot.day:%Y-%m-%d}"
    assert first.person.full_name in page(client.get(day_url))
    client.post(f"/rendez-vous/agent/rendez-vous/{first.public_id}/arrivee/")
    with time_machine.travel(second.slot.starts_at + datetime.timedelta(minutes=10)):
        login_verified(client, agent)
        client.post(f"/rendez-vous/agent/rendez-vous/{second.public_id}/absence/")
        rates = page(client.get("/rendez-vous/agent/absences/"))
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == ("checked_in", "no_show")
    assert "50\u00a0%" in rates


def test_a_bad_date_on_the_day_page_is_explained(client, agent, agenda):
    response = client.get(f"/rendez-vous/agent/agendas/{agenda.public_id}/?jour=31-02-2026")
    assert response.status_code == 200 and "Saisissez une date valide" in page(response)


def test_an_agent_finds_a_person_and_books_by_phone(client, agent, agenda):
    slot = make_slot(agenda)
    person = PersonFactory(first_name="Zoé", last_name="Quintard")
    url = f"/rendez-vous/agent/agendas/{agenda.public_id}/reserver/"
    assert "Quintard" in page(client.get(url, {"q": "quint"}))
    response = client.post(url, {"person": str(person.public_id), "slot": str(slot.public_id), "channel": "phone"})
    assert response.status_code == 302
    booking = Booking.objects.get(person=person)
    assert booking.channel == "phone" and booking.booked_by == agent


def test_bad_desk_booking_input_keeps_the_choices(client, agent, agenda):
    slot = make_slot(agenda)
    url = f"/rendez-vous/agent/agendas/{agenda.public_id}/reserver/"
    response = client.post(url, {"person": "nope", "slot": str(slot.public_id), "channel": "desk"})
    assert response.status_code == 400 and "Choisissez une personne" in page(response)
    assert f'value="{slot.public_id}" checked' in page(response)


def test_the_suspicious_patterns_report_lists_cancel_cycles_and_busy_addresses(client, agenda):
    cycler = UserFactory()
    for _ in range(3):
        booking = make_booking(cycler.person, agenda=agenda, origin="a" * 64)
        services.booking_cancel(booking=booking, by=cycler)
    for _ in range(3):
        make_booking(UserFactory().person, agenda=agenda, origin="a" * 64)
    login_verified(client, UserFactory(supervisor=True))
    report = page(client.get("/rendez-vous/agent/signalements/"))
    assert str(cycler.person.pseudonym) in report
    assert "a" * 12 in report


def test_a_supervisor_runs_a_closed_draw_from_the_agents_page(client, agenda):
    from tests.appointments.factories import make_window

    make_slot(agenda)
    window = make_window(agenda)
    requester = UserFactory()
    services.lottery_request_create(window=window, person=requester.person, by=requester)
    login_verified(client, UserFactory(supervisor=True))
    home = page(client.get("/rendez-vous/agent/"))
    assert "1 reçue)" in home and "Effectuer le tirage" not in home
    with time_machine.travel(window.requests_close_at + datetime.timedelta(minutes=1)):
        login_verified(client, UserFactory(supervisor=True))
        assert "Effectuer le tirage" in page(client.get("/rendez-vous/agent/"))
        response = client.post(f"/rendez-vous/agent/tirages/{window.public_id}/tirer/")
    assert response["Location"] == f"/rendez-vous/tirages/{window.public_id}/"
    assert Booking.objects.get(person=requester.person).slot.agenda == agenda


def test_a_citizen_requests_a_draw_once(client, me, agenda):
    from tests.appointments.factories import make_window

    window = make_window(agenda)
    assert "Participer au tirage" in page(client.get("/rendez-vous/prendre/"))
    client.post(f"/rendez-vous/tirages/{window.public_id}/demander/")
    response = client.post(f"/rendez-vous/tirages/{window.public_id}/demander/", follow=True)
    assert "déjà fait une demande" in page(response)
    assert window.requests.count() == 1
