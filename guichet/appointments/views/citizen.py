"""A citizen's appointments: find a free slot, book, see, move, cancel; take part in a draw."""

import itertools
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.appointments import ical, services
from guichet.appointments.enums import BookingChannel
from guichet.appointments.forms import SlotForm
from guichet.appointments.models import Agenda, Booking, LotteryRequest, LotteryWindow, Slot
from guichet.appointments.permissions import can_book_online, can_use_own_bookings
from guichet.audit.enums import AuditAction
from guichet.core import ratelimit
from guichet.mediation.acting import acting_for, person_for, record_action, require_authorization
from guichet.mediation.enums import Family

SEARCH_WINDOW_SECONDS = 600
# How many free slots an availability page lists at most.
MAX_SLOTS_SHOWN = 200


def limited(request: HttpRequest, kind: str) -> bool:
    """Count one search or booking attempt for the account and the address; True means refuse.

    Fails closed: when the counters cannot be reached, the attempt is refused.
    """
    ip = ratelimit.client_ip(request)
    if kind == "search":
        rules = [
            ("account", str(request.user.pk), settings.APPOINTMENTS_SEARCHES_PER_ACCOUNT, SEARCH_WINDOW_SECONDS),
            ("ip", ip, settings.APPOINTMENTS_SEARCHES_PER_IP, SEARCH_WINDOW_SECONDS),
        ]
    else:
        rules = [
            ("account", str(request.user.pk), settings.APPOINTMENTS_BOOKINGS_PER_ACCOUNT, 24 * 3600),
            ("ip", ip, settings.APPOINTMENTS_BOOKINGS_PER_IP, 3600),
        ]
    # Counted before the answer, one rule after the other: the first one refused stops the count.
    return not all(
        ratelimit.attempt(
            ratelimit.make_key(f"appointments-{kind}-{scope}", ident),
            limit=limit,
            window_seconds=window,
            label=request.user.email if scope == "account" else ip,
        )
        for scope, ident, limit, window in rules
    )


def free_days(agenda: Agenda, channel: str = BookingChannel.ONLINE, exclude: Slot | None = None) -> list:
    """The free slots of an agenda for a channel, grouped by day: [(day, [slot, ...]), ...]."""
    slots = Slot.objects.filter(agenda=agenda).bookable(channel).order_by("starts_at")
    if exclude is not None:
        slots = slots.exclude(pk=exclude.pk)
    slots = list(slots[:MAX_SLOTS_SHOWN])
    return [(day, list(group)) for day, group in itertools.groupby(slots, key=lambda s: s.day)]


def for_person(*, booking: bool) -> Callable:
    """A citizen for themself (booking needs a verified address), or a mediator acting under an appointments mandate.

    In acting mode the mandate is checked on every request by the mediation app; the person is the mandate's.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @require_authorization(Family.APPOINTMENTS)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            allowed = can_book_online if booking else can_use_own_bookings
            if acting_for(request) is None and not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _channel(request: HttpRequest) -> BookingChannel:
    return BookingChannel.MEDIATOR if acting_for(request) is not None else BookingChannel.ONLINE


def _on_behalf(request: HttpRequest, action: AuditAction, booking: Booking, receipt: str) -> None:
    if acting_for(request) is not None:
        record_action(request_or_acting=request, action=action, target=booking, receipt=receipt)


def _agenda(public_id) -> Agenda:
    return get_object_or_404(Agenda.objects.active().select_related("service", "place"), public_id=public_id)


def _own_booking(request: HttpRequest, public_id) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("slot__agenda__service", "slot__agenda__place", "seat"),
        public_id=public_id,
        person=person_for(request),
    )


def _open_windows(agenda: Agenda):
    return LotteryWindow.objects.accepting().filter(agenda=agenda)


@for_person(booking=False)
def mine(request: HttpRequest) -> HttpResponse:
    person = person_for(request)
    bookings = Booking.objects.for_person(person).select_related("slot__agenda__service", "slot__agenda__place")
    now = timezone.now()
    context = {
        "upcoming": [b for b in bookings if b.is_upcoming],
        "past": [b for b in bookings.order_by("-slot__starts_at") if not b.is_upcoming][:20],
        "requests": LotteryRequest.objects.filter(person=person).select_related(
            "window__agenda__service", "window__agenda__place", "booking__slot"
        ),
        "now": now,
    }
    return render(request, "appointments/mine.html", context)


@for_person(booking=False)
def agendas(request: HttpRequest) -> HttpResponse:
    context = {
        "agendas": Agenda.objects.active().select_related("service", "place__commune"),
        "windows": LotteryWindow.objects.accepting().select_related("agenda__service", "agenda__place"),
    }
    return render(request, "appointments/agendas.html", context)


def _availability(request, agenda, *, form, status=200, error="", booking=None) -> HttpResponse:
    context = {
        "agenda": agenda,
        "form": form,
        "days": [] if status == 429 else free_days(agenda, exclude=booking.slot if booking else None),
        "error": error,
        "booking": booking,
        "windows": _open_windows(agenda),
        "limited": status == 429,
    }
    return render(request, "appointments/availability.html", context, status=status)


@for_person(booking=True)
def availability(request: HttpRequest, public_id) -> HttpResponse:
    agenda = _agenda(public_id)
    if limited(request, "search"):
        error = _("Trop de recherches de créneaux. Réessayez dans quelques minutes.")
        return _availability(request, agenda, form=SlotForm(agenda=agenda), status=429, error=error)
    return _availability(request, agenda, form=SlotForm(agenda=agenda))


@for_person(booking=True)
@require_POST
def book(request: HttpRequest, public_id) -> HttpResponse:
    agenda = _agenda(public_id)
    form = SlotForm(request.POST, agenda=agenda)
    if limited(request, "booking"):
        error = _("Trop de tentatives de réservation. Réessayez plus tard.")
        return _availability(request, agenda, form=form, status=429, error=error)
    if not form.is_valid():
        return _availability(request, agenda, form=form, status=400)
    try:
        booking = services.booking_create(
            slot=form.cleaned_data["slot"],
            person=person_for(request),
            by=request.user,
            channel=_channel(request),
            origin=services.origin_of(ratelimit.client_ip(request)),
        )
    except services.SlotTaken as exc:
        return _availability(request, agenda, form=form, status=409, error=exc.messages[0])
    except services.BookingRefused as exc:
        return _availability(request, agenda, form=form, status=400, error=exc.messages[0])
    _on_behalf(request, AuditAction.ON_BEHALF_BOOKED, booking, _("Un rendez-vous a été pris pour vous."))
    messages.success(request, _("Votre rendez-vous est réservé."))
    return redirect("appointments:detail", public_id=booking.public_id)


@for_person(booking=False)
def detail(request: HttpRequest, public_id) -> HttpResponse:
    booking = _own_booking(request, public_id)
    return render(request, "appointments/detail.html", {"booking": booking})


def booking_event(booking: Booking) -> ical.Event:
    agenda = booking.slot.agenda
    return ical.Event(
        uid=f"{booking.public_id}@guichet",
        starts_at=booking.slot.starts_at,
        ends_at=booking.slot.ends_at,
        summary=_("Rendez-vous : %(service)s") % {"service": agenda.service.name},
        location=f"{agenda.place.name}, {agenda.place.address_line}",
        cancelled=booking.status == "cancelled",
    )


@for_person(booking=False)
def booking_ics(request: HttpRequest, public_id) -> HttpResponse:
    booking = _own_booking(request, public_id)
    response = HttpResponse(
        ical.calendar([booking_event(booking)], name=_("Mon rendez-vous")), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="rendez-vous.ics"'
    return response


@for_person(booking=False)
def cancel(request: HttpRequest, public_id) -> HttpResponse:
    booking = _own_booking(request, public_id)
    if not booking.is_upcoming:
        messages.error(request, _("Ce rendez-vous ne peut plus être annulé."))
        return redirect("appointments:detail", public_id=booking.public_id)
    if request.method == "POST":
        try:
            services.booking_cancel(booking=booking, by=request.user)
        except services.BookingRefused as exc:
            messages.error(request, exc.messages[0])
            return redirect("appointments:detail", public_id=booking.public_id)
        _on_behalf(
            request, AuditAction.ON_BEHALF_BOOKING_CANCELLED, booking, _("Un rendez-vous a été annulé pour vous.")
        )
        messages.success(request, _("Votre rendez-vous est annulé."))
        return redirect("appointments:mine")
    return render(request, "appointments/cancel.html", {"booking": booking})


@for_person(booking=True)
def reschedule(request: HttpRequest, public_id) -> HttpResponse:
    booking = _own_booking(request, public_id)
    agenda = booking.slot.agenda
    if not booking.is_upcoming:
        messages.error(request, _("Ce rendez-vous ne peut plus être déplacé."))
        return redirect("appointments:detail", public_id=booking.public_id)
    if request.method != "POST":
        if limited(request, "search"):
            error = _("Trop de recherches de créneaux. Réessayez dans quelques minutes.")
            return _availability(
                request, agenda, form=SlotForm(agenda=agenda), status=429, error=error, booking=booking
            )
        return _availability(request, agenda, form=SlotForm(agenda=agenda), booking=booking)
    form = SlotForm(request.POST, agenda=agenda)
    if limited(request, "booking"):
        error = _("Trop de tentatives de réservation. Réessayez plus tard.")
        return _availability(request, agenda, form=form, status=429, error=error, booking=booking)
    if not form.is_valid():
        return _availability(request, agenda, form=form, status=400, booking=booking)
    try:
        new = services.booking_reschedule(
            booking=booking,
            slot=form.cleaned_data["slot"],
            by=request.user,
            origin=services.origin_of(ratelimit.client_ip(request)),
        )
    except services.SlotTaken as exc:
        return _availability(request, agenda, form=form, status=409, error=exc.messages[0], booking=booking)
    except services.BookingRefused as exc:
        return _availability(request, agenda, form=form, status=400, error=exc.messages[0], booking=booking)
    _on_behalf(request, AuditAction.ON_BEHALF_BOOKING_RESCHEDULED, new, _("Un rendez-vous a été déplacé pour vous."))
    messages.success(request, _("Votre rendez-vous est déplacé."))
    return redirect("appointments:detail", public_id=new.public_id)


@for_person(booking=True)
@require_POST
def lottery_request(request: HttpRequest, public_id) -> HttpResponse:
    window = get_object_or_404(LotteryWindow.objects.accepting().filter(agenda__is_active=True), public_id=public_id)
    try:
        services.lottery_request_create(window=window, person=person_for(request), by=request.user)
    except services.BookingRefused as exc:
        messages.error(request, exc.messages[0])
        return redirect("appointments:agendas")
    messages.success(request, _("Votre demande est enregistrée. Vous serez prévenu(e) du résultat du tirage."))
    return redirect("appointments:mine")
