"""Slots generated from opening hours, closures and absences, the daily share of kept seats; the lottery."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from guichet.appointments import lottery, services
from guichet.appointments.enums import LotteryRequestStatus, LotteryStatus
from guichet.appointments.models import AgendaHours, Closure, LotteryRequest, Seat, Slot
from guichet.notifications.models import Notification
from tests.appointments.factories import make_agenda, make_slot, make_window
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)  # generation starts the day after "today"
SUNDAY = MONDAY - datetime.timedelta(days=1)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def morning_agenda(territory):
    agenda = make_agenda(slot_minutes=30, seats_per_slot=2, horizon_days=7, reserved_percent=25)
    AgendaHours.objects.create(agenda=agenda, weekday=0, opens_at=datetime.time(9), closes_at=datetime.time(11))
    return agenda


def test_slots_follow_the_agenda_hours_over_the_horizon(morning_agenda):
    created = services.slots_generate(agenda=morning_agenda, today=SUNDAY)
    assert created == 4  # Monday 9:00, 9:30, 10:00, 10:30; no other day open
    starts = [timezone.localtime(s.starts_at).time() for s in Slot.objects.filter(agenda=morning_agenda)]
    assert starts == [datetime.time(9), datetime.time(9, 30), datetime.time(10), datetime.time(10, 30)]
    assert Seat.objects.filter(slot__agenda=morning_agenda).count() == 8


def test_generating_again_creates_nothing_new(morning_agenda):
    services.slots_generate(agenda=morning_agenda, today=SUNDAY)
    assert services.slots_generate(agenda=morning_agenda, today=SUNDAY) == 0


def test_without_agenda_hours_the_place_opening_hours_apply(territory):
    agenda = make_agenda(slot_minutes=30, horizon_days=7)
    services.slots_generate(agenda=agenda, today=SUNDAY)
    monday = Slot.objects.filter(agenda=agenda, day=MONDAY)
    assert monday.count() == 17  # Mairie de Villeurbanne: 8:30 to 17:00


def test_a_share_of_each_days_seats_is_kept_for_assisted_bookings(morning_agenda):
    services.slots_generate(agenda=morning_agenda, today=SUNDAY)
    kept = Seat.objects.filter(slot__agenda=morning_agenda, reserved=True)
    assert kept.count() == 2  # 25 % of 8 seats
    assert kept.values("slot").distinct().count() == 2  # spread over the day, not bunched


def test_a_closure_removes_slots_and_an_absence_removes_one_seat(morning_agenda):
    Closure.objects.create(agenda=morning_agenda, kind="closure", starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 10))
    Closure.objects.create(agenda=morning_agenda, kind="absence", starts_at=at(MONDAY, 10), ends_at=at(MONDAY, 11))
    with time_machine.travel(at(SUNDAY, 12)):
        services.slots_generate(agenda=morning_agenda, today=SUNDAY)
    slots = Slot.objects.filter(agenda=morning_agenda)
    assert slots.count() == 2
    assert all(s.seats.count() == 1 for s in slots)


def test_a_closure_added_later_closes_the_free_seats(morning_agenda):
    services.slots_generate(agenda=morning_agenda, today=SUNDAY)
    agent = UserFactory(agent=True)
    with time_machine.travel(at(SUNDAY, 12)):
        services.closure_add(
            agenda=morning_agenda, kind="closure", starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 10), reason="", by=agent
        )
    assert Seat.objects.filter(slot__agenda=morning_agenda, closed=True).count() == 4


# --- Lottery ---


@pytest.fixture
def window(territory):
    agenda = make_agenda()
    for _ in range(3):
        make_slot(agenda)
    return make_window(agenda)


def request_from(window, user):
    return services.lottery_request_create(window=window, person=user.person, by=user)


def test_online_booking_is_refused_for_days_given_by_draw(window):
    user = UserFactory()
    with pytest.raises(services.BookingRefused, match="tirage au sort"):
        services.booking_create(slot=window.agenda.slots.first(), person=user.person, by=user, channel="online")


def test_one_request_per_person(window, citizen):
    request_from(window, citizen)
    with pytest.raises(services.BookingRefused, match="déjà fait une demande"):
        request_from(window, citizen)


def test_unverified_accounts_cannot_request(window):
    with pytest.raises(services.BookingRefused):
        request_from(window, UserFactory(unverified=True))


def test_the_draw_gives_each_slot_to_one_request_and_tells_everyone(window):
    users = UserFactory.create_batch(5)
    for user in users:
        request_from(window, user)
    with time_machine.travel(window.requests_close_at + datetime.timedelta(minutes=1)):
        services.lottery_draw(window=window)
    window.refresh_from_db()
    assert window.status == LotteryStatus.DRAWN and len(window.seed) == 64
    won = LotteryRequest.objects.filter(window=window, status=LotteryRequestStatus.WON)
    assert won.count() == 3
    assert {r.booking.slot_id for r in won} == set(window.agenda.slots.values_list("pk", flat=True))
    assert LotteryRequest.objects.filter(window=window, status=LotteryRequestStatus.LOST).count() == 2
    assert Notification.objects.filter(kind="lottery_outcome").values("person").distinct().count() == 5
    # winners are the first three of the published order
    winners = {str(r.public_id) for r in won}
    assert set(window.draw_order[:3]) == winners


def test_the_draw_is_reproducible_from_the_published_seed(window):
    for user in UserFactory.create_batch(6):
        request_from(window, user)
    with time_machine.travel(window.requests_close_at + datetime.timedelta(minutes=1)):
        services.lottery_draw(window=window)
    window.refresh_from_db()
    request_ids = [str(i) for i in LotteryRequest.objects.filter(window=window).values_list("public_id", flat=True)]
    assert lottery.rank(window.seed, list(reversed(request_ids))) == window.draw_order
    assert lottery.rank(window.seed, request_ids) == window.draw_order
    assert lottery.rank("another seed", request_ids) != window.draw_order or len(request_ids) < 2


def test_the_draw_waits_for_the_requests_to_close_and_happens_once(window):
    with pytest.raises(Exception, match="pas encore closes"):
        services.lottery_draw(window=window)
    with time_machine.travel(window.requests_close_at + datetime.timedelta(minutes=1)):
        services.lottery_draw(window=window)
        with pytest.raises(Exception, match="déjà eu lieu"):
            services.lottery_draw(window=window)


def test_the_public_page_shows_the_seed_and_the_ranking(client, window):
    request = request_from(window, UserFactory())
    with time_machine.travel(window.requests_close_at + datetime.timedelta(minutes=1)):
        services.lottery_draw(window=window, seed="graine-de-test")
    response = client.get(f"/rendez-vous/tirages/{window.public_id}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "graine-de-test" in page and str(request.public_id) in page and lottery.ALGORITHM in page
    assert f"/rendez-vous/tirages/{window.public_id}/" in client.get("/rendez-vous/tirages/").content.decode()


def test_the_draw_command_runs_every_closed_window(window):
    from django.core.management import call_command

    request_from(window, UserFactory())
    with time_machine.travel(window.requests_close_at + datetime.timedelta(minutes=1)):
        call_command("appointments_draw", verbosity=0)
    window.refresh_from_db()
    assert window.status == LotteryStatus.DRAWN
