"""Agents' side: the day's agenda, check-in and no-show, booking for a person at the desk or on the phone,
the calendar feed link, no-show rates; for supervisors, the suspicious patterns report and the draws."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.accounts.models import Person
from guichet.appointments import reports, services
from guichet.appointments.enums import BookingChannel
from guichet.appointments.forms import DayForm, DeskBookingForm, PersonSearchForm
from guichet.appointments.models import Agenda, Booking, LotteryWindow
from guichet.appointments.permissions import can_supervise_appointments, is_desk_agent
from guichet.appointments.views.citizen import free_days
from guichet.core.policy import require


def _agenda(request: HttpRequest, public_id) -> Agenda:
    return get_object_or_404(
        Agenda.objects.run_by(request.user).select_related("service", "place"), public_id=public_id
    )


def _booking(request: HttpRequest, public_id) -> Booking:
    return get_object_or_404(
        Booking.objects.filter(slot__agenda__in=Agenda.objects.run_by(request.user)).select_related(
            "slot__agenda", "person"
        ),
        public_id=public_id,
    )


@require(is_desk_agent)
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "agendas": Agenda.objects.run_by(request.user).select_related("service", "place"),
        "windows": LotteryWindow.objects.filter(status="open").select_related("agenda__service", "agenda__place"),
        "can_supervise": can_supervise_appointments(request.user),
        "now": timezone.now(),
    }
    return render(request, "appointments/agent/home.html", context)


@require(is_desk_agent)
def day(request: HttpRequest, public_id) -> HttpResponse:
    agenda = _agenda(request, public_id)
    form = DayForm(request.GET or None)
    chosen = form.cleaned_data["jour"] if form.is_valid() else timezone.localdate()
    bookings = (
        Booking.objects.filter(slot__agenda=agenda)
        .holding()
        .on_day(chosen)
        .select_related("slot", "person__user")
        .order_by("slot__starts_at", "seat__number")
    )
    context = {
        "agenda": agenda,
        "form": form if form.is_bound else DayForm(initial={"jour": chosen}),
        "chosen": chosen,
        "previous": chosen - datetime.timedelta(days=1),
        "next": chosen + datetime.timedelta(days=1),
        "bookings": bookings,
        "now": timezone.now(),
    }
    return render(request, "appointments/agent/day.html", context)


def _back_to_day(booking: Booking) -> HttpResponse:
    url = reverse("appointments:agent_day", kwargs={"public_id": booking.slot.agenda.public_id})
    return redirect(f"{url}?jour={booking.slot.day:%Y-%m-%d}")


@require(is_desk_agent)
@require_POST
def check_in(request: HttpRequest, public_id) -> HttpResponse:
    booking = _booking(request, public_id)
    try:
        services.booking_check_in(booking=booking, by=request.user)
        messages.success(request, _("Arrivée enregistrée."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return _back_to_day(booking)


@require(is_desk_agent)
@require_POST
def no_show(request: HttpRequest, public_id) -> HttpResponse:
    booking = _booking(request, public_id)
    try:
        services.booking_mark_no_show(booking=booking, by=request.user)
        messages.success(request, _("Absence enregistrée."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return _back_to_day(booking)


@require(is_desk_agent)
@require_POST
def feed_rotate(request: HttpRequest, public_id) -> HttpResponse:
    agenda = _agenda(request, public_id)
    token = services.agenda_feed_token_rotate(agenda=agenda, by=request.user)
    url = request.build_absolute_uri(reverse("appointments:agenda_feed", kwargs={"token": token}))
    return render(request, "appointments/agent/feed.html", {"agenda": agenda, "url": url})


def _people(query: str):
    terms = query.split()
    people = Person.objects.select_related("user")
    for term in terms:
        people = people.filter(
            Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(user__email__icontains=term)
        )
    return people.order_by("last_name", "first_name")[:20]


@require(is_desk_agent)
def desk_book(request: HttpRequest, public_id) -> HttpResponse:
    """Book for a person who came to the counter or called: find them, choose a slot, book."""
    agenda = _agenda(request, public_id)
    search = PersonSearchForm(request.GET or None)
    people = _people(search.cleaned_data["q"]) if search.is_valid() else []
    form = DeskBookingForm(request.POST or None, agenda=agenda, initial={"channel": BookingChannel.DESK})
    status, error = 200, ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            person = Person.objects.filter(public_id=form.cleaned_data["person"]).first()
            if person is None:
                form.add_error("person", _("Choisissez une personne."))
            else:
                try:
                    booking = services.booking_create(
                        slot=form.cleaned_data["slot"],
                        person=person,
                        by=request.user,
                        channel=form.cleaned_data["channel"],
                    )
                except services.SlotTaken as exc:
                    status, error = 409, exc.messages[0]
                except services.BookingRefused as exc:
                    error = exc.messages[0]
                else:
                    messages.success(
                        request,
                        _("Rendez-vous réservé pour %(name)s le %(when)s.")
                        % {"name": person.full_name, "when": services._when(booking.slot)},
                    )
                    return _back_to_day(booking)
        # Keep the person chosen in the list, so that the form shows what was selected.
        chosen = form.cleaned_data.get("person")
        if chosen and all(p.public_id != chosen for p in people):
            people = [*people, *Person.objects.filter(public_id=chosen)]
    context = {
        "agenda": agenda,
        "search": search,
        "people": people,
        "form": form,
        "days": free_days(agenda, channel=BookingChannel.DESK),
        "error": error,
    }
    return render(request, "appointments/agent/book.html", context, status=status)


@require(is_desk_agent)
def no_show_rates(request: HttpRequest) -> HttpResponse:
    since = timezone.localdate() - datetime.timedelta(days=90)
    return render(
        request, "appointments/agent/no_show_rates.html", {"rates": reports.no_show_rates(since=since), "since": since}
    )


@require(can_supervise_appointments)
def report(request: HttpRequest) -> HttpResponse:
    context = {
        "patterns": reports.suspicious_patterns(days=30),
        "days": 30,
        "cancellations": reports.CANCELLATIONS_THRESHOLD,
        "per_origin": reports.BOOKINGS_PER_ORIGIN_THRESHOLD,
    }
    return render(request, "appointments/agent/report.html", context)


@require(can_supervise_appointments)
@require_POST
def draw(request: HttpRequest, public_id) -> HttpResponse:
    window = get_object_or_404(LotteryWindow.objects.due(), public_id=public_id)
    try:
        services.lottery_draw(window=window, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("appointments:agent_home")
    messages.success(request, _("Le tirage a eu lieu ; chaque demandeur est prévenu."))
    return redirect("appointments:lottery_public", public_id=window.public_id)
