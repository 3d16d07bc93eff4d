"""Booking rules: identity binding, one winner per seat, the per-person limit, the kept seats, the delayed
release, cancelling and rescheduling."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from guichet.appointments import services
from guichet.appointments.enums import BookingStatus
from guichet.appointments.models import Booking, Seat
from guichet.audit.models import AuditEvent
from guichet.notifications.models import Notification
from tests.appointments.factories import make_agenda, make_slot
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def book(slot, user, channel="online", person=None):
    return services.booking_create(slot=slot, person=person or user.person, by=user, channel=channel)


def test_a_citizen_books_a_free_slot_and_it_is_journaled_and_confirmed(slot, citizen):
    booking = book(slot, citizen)
    assert booking.person == citizen.person
    assert booking.status == BookingStatus.BOOKED
    assert AuditEvent.objects.filter(action="booking_created", target_id=str(booking.public_id)).exists()
    assert Notification.objects.filter(person=citizen.person, kind="appointment_booked").exists()


def test_a_citizen_cannot_book_for_someone_else(slot, citizen):
    other = UserFactory()
    with pytest.raises(services.BookingRefused):
        services.booking_create(slot=slot, person=other.person, by=citizen, channel="online")
    assert not Booking.objects.exists()


def test_an_account_whose_email_is_not_verified_cannot_book(slot):
    user = UserFactory(unverified=True)
    with pytest.raises(services.BookingRefused):
        book(slot, user)


def test_a_mediator_booking_is_refused_until_mandates_exist(slot):
    mediator = UserFactory(mediator=True)
    with pytest.raises(services.BookingRefused):
        services.booking_create(slot=slot, person=PersonFactory(), by=mediator, channel="mediator")


def test_the_mediator_channel_accepts_a_registered_mandate_check(slot, monkeypatch):
    monkeypatch.setitem(services.CHANNEL_CHECKS, "mediator", lambda by, person: True)
    booking = services.booking_create(
        slot=slot, person=PersonFactory(), by=UserFactory(mediator=True), channel="mediator"
    )
    assert booking.channel == "mediator"


def test_an_agent_books_at_the_desk_for_a_person_without_an_account(slot):
    agent = UserFactory(agent=True)
    person = PersonFactory()
    booking = services.booking_create(slot=slot, person=person, by=agent, channel="desk")
    assert booking.person == person and booking.booked_by == agent


def test_a_citizen_cannot_use_the_desk_channel(slot, citizen):
    with pytest.raises(services.BookingRefused):
        book(slot, citizen, channel="desk")


def test_a_second_attempt_on_a_taken_seat_gets_slot_taken(slot, citizen):
    book(slot, citizen)
    with pytest.raises(services.SlotTaken) as error:
        book(slot, UserFactory())
    assert "Ce créneau vient d'être pris" in error.value.messages[0]
    assert Booking.objects.count() == 1


def test_the_database_refuses_a_second_live_booking_on_a_seat(slot, citizen):
    book(slot, citizen)
    seat = slot.seats.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(seat=seat, slot=slot, person=UserFactory().person, channel="online")


def test_one_winner_per_seat_even_when_the_free_seat_check_is_bypassed(slot, citizen, monkeypatch):
    """The rule holds because the database enforces it, not because the code looks first."""
    book(slot, citizen)
    monkeypatch.setattr(type(Seat.objects.all()), "on_sale", lambda self, now: self)
    with pytest.raises(services.SlotTaken):
        book(slot, UserFactory())
    assert Booking.objects.filter(slot=slot).count() == 1


def test_sequential_conflicting_attempts_leave_exactly_one_winner_per_seat(agenda):
    slots = [make_slot(agenda, seats=2) for _ in range(3)]
    users = UserFactory.create_batch(10)
    outcomes = {"won": 0, "taken": 0}
    for i, user in enumerate(users):
        try:
            book(slots[i % 3], user)
            outcomes["won"] += 1
        except services.SlotTaken:
            outcomes["taken"] += 1
    assert outcomes == {"won": 6, "taken": 4}
    for slot in slots:
        assert Booking.objects.filter(slot=slot).holding().count() == 2


def test_a_person_has_at_most_one_upcoming_booking_per_service(agenda, citizen):
    first, second = make_slot(agenda), make_slot(agenda)
    book(first, citizen)
    with pytest.raises(services.BookingRefused) as error:
        book(second, citizen)
    assert "maximum" in error.value.messages[0]


def test_the_per_person_limit_spans_every_counter_of_the_service(agenda, citizen):
    elsewhere = make_agenda(place_name="Espace France Services de Vaulx-en-Velin", service_slug="etat-civil")
    book(make_slot(agenda), citizen)
    with pytest.raises(services.BookingRefused):
        book(make_slot(elsewhere), citizen)


def test_the_per_person_limit_is_configurable(agenda, citizen):
    agenda.max_active_per_person = 2
    agenda.save()
    book(make_slot(agenda), citizen)
    book(make_slot(agenda), citizen)
    with pytest.raises(services.BookingRefused):
        book(make_slot(agenda), citizen)


def test_a_past_booking_does_not_count_towards_the_limit(agenda, citizen):
    book(make_slot(agenda), citizen)
    later = make_slot(agenda, starts_at=timezone.now() + datetime.timedelta(days=5))
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        book(later, citizen)


def test_online_bookings_never_take_the_kept_seats(agenda, citizen):
    slot = make_slot(agenda, seats=2, reserved=1)
    booking = book(slot, citizen)
    assert booking.seat.reserved is False
    with pytest.raises(services.SlotTaken):
        book(slot, UserFactory())


def test_desk_bookings_use_the_kept_seats_first(agenda):
    slot = make_slot(agenda, seats=2, reserved=1)
    booking = services.booking_create(slot=slot, person=PersonFactory(), by=UserFactory(agent=True), channel="phone")
    assert booking.seat.reserved is True


def test_a_cancelled_seat_goes_back_on_sale_only_after_a_random_delay(slot, citizen):
    booking = book(slot, citizen)
    services.booking_cancel(booking=booking, by=citizen)
    seat = Seat.objects.get(pk=booking.seat_id)
    delay = seat.on_sale_from - timezone.now()
    assert datetime.timedelta(minutes=4, seconds=59) <= delay <= datetime.timedelta(minutes=30)
    with pytest.raises(services.SlotTaken):
        book(slot, UserFactory())
    with time_machine.travel(seat.on_sale_from + datetime.timedelta(seconds=1)):
        assert book(slot, UserFactory()).seat == seat


def test_release_delays_vary_between_cancellations(agenda):
    delays = set()
    for _ in range(6):
        user = UserFactory()
        booking = book(make_slot(agenda), user)
        services.booking_cancel(booking=booking, by=user)
        delays.add(Seat.objects.get(pk=booking.seat_id).on_sale_from)
    assert len(delays) > 1


def test_rescheduling_moves_the_booking_in_one_step(agenda, citizen):
    old, new = make_slot(agenda), make_slot(agenda)
    booking = book(old, citizen)
    moved = services.booking_reschedule(booking=booking, slot=new, by=citizen)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert moved.slot == new and moved.person == citizen.person


def test_rescheduling_to_a_taken_slot_keeps_the_old_booking(agenda, citizen):
    old, taken = make_slot(agenda), make_slot(agenda)
    book(taken, UserFactory())
    booking = book(old, citizen)
    with pytest.raises(services.SlotTaken):
        services.booking_reschedule(booking=booking, slot=taken, by=citizen)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
    assert Seat.objects.get(pk=booking.seat_id).on_sale_from <= timezone.now()


def test_a_booking_cannot_change_hands_in_the_database(slot, citizen):
    booking = book(slot, citizen)
    with pytest.raises(Exception, match="cannot change hands"), transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(person=UserFactory().person)
    booking.refresh_from_db()
    assert booking.person == citizen.person


def test_nothing_offers_to_change_who_a_booking_is_for():
    from django.contrib import admin

    from guichet.appointments import forms, urls

    assert "person" in admin.site._registry[Booking].readonly_fields
    assert "person" not in forms.SlotForm.base_fields
    assert not [p for p in urls.urlpatterns if "transf" in str(p.pattern) or "ceder" in str(p.pattern)]
    assert not [name for name in dir(services) if "transfer" in name or "person_change" in name]


def test_a_booking_in_the_past_cannot_be_cancelled(slot, citizen):
    booking = book(slot, citizen)
    with time_machine.travel(slot.starts_at + datetime.timedelta(minutes=1)), pytest.raises(services.BookingRefused):
        services.booking_cancel(booking=booking, by=citizen)


def test_an_agent_records_check_in_and_no_show(agenda):
    agent = UserFactory(agent=True)
    booking = book(make_slot(agenda), UserFactory())
    with pytest.raises(services.BookingRefused):
        services.booking_mark_no_show(booking=booking, by=agent)  # not yet time
    with time_machine.travel(booking.slot.starts_at + datetime.timedelta(minutes=5)):
        assert services.booking_mark_no_show(booking=booking, by=agent).status == BookingStatus.NO_SHOW
        assert services.booking_check_in(booking=booking, by=agent).status == BookingStatus.CHECKED_IN
