"""Agendas, slots and bookings for tests, built on the demo territory (the `territory` fixture)."""

import datetime

from django.utils import timezone

from guichet.appointments.models import Agenda, Booking, LotteryWindow, Seat, Slot
from guichet.catalog.models import Place, Service


def make_agenda(*, place_name: str = "Mairie de Villeurbanne", service_slug: str = "etat-civil", **fields) -> Agenda:
    place = Place.objects.get(name=place_name)
    service = Service.objects.get(slug=service_slug)
    fields.setdefault("reserved_percent", 0)
    agenda, _created = Agenda.objects.update_or_create(place=place, service=service, defaults=fields)
    return agenda


def make_slot(
    agenda: Agenda, *, starts_at: datetime.datetime | None = None, seats: int = 1, reserved: int = 0
) -> Slot:
    """A slot (tomorrow at 10:00 by default, or after the agenda's last slot) with its seats on sale."""
    if starts_at is None:
        last = agenda.slots.order_by("-starts_at").first()
        if last is not None:
            starts_at = last.ends_at
        else:
            tomorrow = timezone.localdate() + datetime.timedelta(days=1)
            starts_at = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(10)))
    ends_at = starts_at + datetime.timedelta(minutes=agenda.slot_minutes)
    slot = Slot.objects.create(
        agenda=agenda, starts_at=starts_at, ends_at=ends_at, day=timezone.localtime(starts_at).date()
    )
    on_sale = timezone.now() - datetime.timedelta(minutes=1)
    Seat.objects.bulk_create(
        Seat(slot=slot, number=n, reserved=n <= reserved, on_sale_from=on_sale) for n in range(1, seats + 1)
    )
    return slot


def make_booking(person, *, slot: Slot | None = None, agenda: Agenda | None = None, **fields) -> Booking:
    """A booking written directly (no service): for tests that need one without the booking rules."""
    slot = slot or make_slot(agenda or make_agenda())
    seat = slot.seats.order_by("number").first()
    fields.setdefault("channel", "online")
    return Booking.objects.create(seat=seat, slot=slot, person=person, **fields)


def make_window(agenda: Agenda, *, open_now: bool = True, **fields) -> LotteryWindow:
    now = timezone.now()
    today = timezone.localdate()
    defaults = {
        "first_day": today + datetime.timedelta(days=1),
        "last_day": today + datetime.timedelta(days=7),
        "requests_open_at": now - datetime.timedelta(hours=1),
        # Requests close within the hour, so a test travelling past the close still finds tomorrow's slots ahead.
        "requests_close_at": now + datetime.timedelta(hours=1) if open_now else now - datetime.timedelta(minutes=1),
    }
    defaults.update(fields)
    return LotteryWindow.objects.create(agenda=agenda, **defaults)
