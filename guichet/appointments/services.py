"""Writes for appointments: generating slots, booking, cancelling, rescheduling, check-in, lotteries.

The one rule that matters most lives in the database: a seat holds at most one live booking
(``booking_one_per_seat``). ``booking_create`` never checks that a seat is free and then saves: it tries to
insert, inside a savepoint, and a refusal from the database means someone else was faster.
"""

import datetime
import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.accounts.models import Person
from guichet.appointments import lottery
from guichet.appointments.enums import (
    ASSISTED_CHANNELS,
    BookingChannel,
    BookingStatus,
    ClosureKind,
    LotteryRequestStatus,
    LotteryStatus,
)
from guichet.appointments.models import (
    Agenda,
    Booking,
    Closure,
    LotteryRequest,
    LotteryWindow,
    Seat,
    Slot,
    hash_feed_token,
)
from guichet.appointments.permissions import is_desk_agent
from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record
from guichet.notifications.services import notification_send


class BookingRefused(ValidationError):
    """The booking is not allowed (limit, identity, closed agenda...): the message says why."""


class SlotTaken(BookingRefused):
    """Every seat of the slot went to someone else (possibly a split second earlier)."""

    def __init__(self) -> None:
        super().__init__(_("Ce créneau vient d'être pris. Choisissez un autre créneau ci-dessous."))


# --- Who may book for whom, by channel ---

ChannelCheck = Callable[[Any, Person], bool]


def _online_check(by: Any, person: Person) -> bool:
    # The name on a booking is the account holder's: a citizen books only for their own person.
    return bool(by is not None and by.email_verified_at is not None and getattr(by, "person", None) == person)


def _assisted_check(by: Any, person: Person) -> bool:
    return by is not None and is_desk_agent(by)


def _mediator_check(by: Any, person: Person) -> bool:
    # Booking on behalf of a person needs, at this very moment, an active mandate of one of the mediator's
    # organisations with an appointments authorisation that is not revoked.
    from guichet.mediation.enums import Family
    from guichet.mediation.models import Mandate

    if by is None or not getattr(by, "is_authenticated", False):
        return False
    return (
        Mandate.objects.active()
        .for_mediator(by)
        .for_person(person)
        .filter(authorizations__family=Family.APPOINTMENTS, authorizations__revoked_at__isnull=True)
        .exists()
    )


CHANNEL_CHECKS: dict[str, ChannelCheck] = {
    BookingChannel.ONLINE: _online_check,
    BookingChannel.DESK: _assisted_check,
    BookingChannel.PHONE: _assisted_check,
    BookingChannel.MEDIATOR: _mediator_check,
}


def channel_check_register(channel: BookingChannel, check: ChannelCheck) -> None:
    """Let another app (mediation) decide who may book on a channel, e.g. under a mandate."""
    CHANNEL_CHECKS[channel] = check


def origin_of(ip: str) -> str:
    """A keyed hash of a client address: equal addresses match, the address itself is not kept."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def _link(name: str, *args: Any) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _when(slot: Slot) -> str:
    return date_format(timezone.localtime(slot.starts_at), "l j F Y à H:i")


# --- Slots ---


def _day_hours(agenda: Agenda, day: datetime.date) -> list[tuple[datetime.time, datetime.time]]:
    hours = [h for h in agenda.hours.all() if h.weekday == day.weekday()]
    if not agenda.hours.exists():
        hours = [h for h in agenda.place.opening_hours.all() if h.weekday == day.weekday()]
    return [(h.opens_at, h.closes_at) for h in hours]


def _reserved_positions(total: int, percent: int) -> set[int]:
    """Which of the day's seats (0..total-1) are kept for assisted bookings: evenly spread over the day."""
    count = min(total, math.ceil(total * percent / 100))
    return {int((i + 0.5) * total / count) for i in range(count)} if count else set()


@transaction.atomic
def slots_generate(*, agenda: Agenda, today: datetime.date | None = None) -> int:
    """Create the slots and seats of every day of the horizon that has none yet; returns how many slots.

    A day is generated once and whole, so the share of seats kept for assisted bookings is computed on the
    whole day. Closures remove slots; each agent absence removes one seat from the slots it covers.
    """
    today = today or timezone.localdate()
    closures = list(agenda.closures.filter(ends_at__gt=timezone.now()))
    existing_days = set(agenda.slots.filter(day__gte=today).values_list("day", flat=True).distinct())
    created = 0
    now = timezone.now()
    for offset in range(1, agenda.horizon_days + 1):
        day = today + datetime.timedelta(days=offset)
        if day in existing_days:
            continue
        plan: list[tuple[datetime.datetime, datetime.datetime, int]] = []
        for opens, closes in _day_hours(agenda, day):
            start = timezone.make_aware(datetime.datetime.combine(day, opens))
            limit = timezone.make_aware(datetime.datetime.combine(day, closes))
            step = datetime.timedelta(minutes=agenda.slot_minutes)
            while start + step <= limit:
                end = start + step
                overlapping = [c for c in closures if c.starts_at < end and c.ends_at > start]
                if not any(c.kind == ClosureKind.CLOSURE for c in overlapping):
                    seats = agenda.seats_per_slot - sum(c.kind == ClosureKind.ABSENCE for c in overlapping)
                    if seats > 0:
                        plan.append((start, end, seats))
                start = end
        reserved = _reserved_positions(sum(s for _a, _b, s in plan), agenda.reserved_percent)
        position = 0
        for start, end, count in plan:
            slot = Slot.objects.create(agenda=agenda, starts_at=start, ends_at=end, day=day)
            seats = []
            for number in range(1, count + 1):
                seats.append(Seat(slot=slot, number=number, reserved=position in reserved, on_sale_from=now))
                position += 1
            Seat.objects.bulk_create(seats)
            created += 1
    return created


@transaction.atomic
def closure_add(
    *, agenda: Agenda, kind: ClosureKind, starts_at: datetime.datetime, ends_at: datetime.datetime, reason: str, by
) -> Closure:
    """Record a closure or an absence and close the free seats it takes from slots already generated.

    Bookings already made in the period are kept: the agent contacts those people (they are listed on the
    day's agenda).
    """
    if ends_at <= starts_at:
        raise ValidationError(_("La fin doit être après le début."))
    closure = Closure.objects.create(agenda=agenda, kind=kind, starts_at=starts_at, ends_at=ends_at, reason=reason)
    slots = agenda.slots.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    for slot in slots:
        free = Seat.objects.free().filter(slot=slot).order_by("-number")
        if kind == ClosureKind.ABSENCE:
            free = free[:1]
        Seat.objects.filter(pk__in=[s.pk for s in free]).update(closed=True)
    event_record(action=AuditAction.AGENDA_CLOSURE_ADDED, actor=by, target=agenda, data={"kind": kind})
    return closure


# --- Bookings ---


def _in_open_lottery(slot: Slot) -> bool:
    return LotteryWindow.objects.filter(
        agenda_id=slot.agenda_id, status=LotteryStatus.OPEN, first_day__lte=slot.day, last_day__gte=slot.day
    ).exists()


@transaction.atomic
def booking_create(
    *, slot: Slot, person: Person, by: Any, channel: BookingChannel | str, origin: str = "", _drawn: bool = False
) -> Booking:
    """Book one seat of ``slot`` for ``person``.

    ``by`` is the user acting: the person themself online, an agent at the desk or on the phone, and later a
    mediator under a mandate. Raises ``SlotTaken`` when no seat is left (the database decides, under any
    concurrency) and ``BookingRefused`` when the booking is not allowed.
    """
    channel = BookingChannel(channel)
    if not CHANNEL_CHECKS[channel](by, person):
        raise BookingRefused(_("Vous ne pouvez pas prendre ce rendez-vous pour cette personne."))
    now = timezone.now()
    agenda = slot.agenda
    if slot.starts_at <= now:
        raise BookingRefused(_("Ce créneau est passé. Choisissez un autre créneau."))
    if not agenda.is_active or not agenda.service.is_active:
        raise BookingRefused(_("Cet agenda n'est pas ouvert à la réservation."))
    in_lottery = not _drawn and _in_open_lottery(slot)
    if in_lottery and channel == BookingChannel.ONLINE:
        raise BookingRefused(
            _("Les rendez-vous de ces jours sont attribués par tirage au sort : faites une demande de tirage.")
        )
    # The per-person limit depends on rows this transaction is about to write: lock the person first.
    Person.objects.select_for_update().filter(pk=person.pk).first()
    active = Booking.objects.active(now).for_person(person).for_service(agenda.service).count()
    if active >= agenda.max_active_per_person:
        raise BookingRefused(
            ngettext(
                "Vous avez déjà %(count)s rendez-vous à venir pour ce service : c'est le maximum.",
                "Vous avez déjà %(count)s rendez-vous à venir pour ce service : c'est le maximum.",
                active,
            )
            % {"count": active}
        )
    seats = Seat.objects.on_sale(now).for_channel(channel).filter(slot=slot)
    if in_lottery:  # during a lottery, assisted bookings use only the seats kept for them
        seats = seats.filter(reserved=True)
    if _drawn:
        seats = seats.filter(reserved=False)
    # Assisted bookings use the kept seats first, leaving the others to people booking online.
    order = ["-reserved", "number"] if channel in ASSISTED_CHANNELS else ["number"]
    booking = None
    for seat in seats.order_by(*order):
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    seat=seat, slot=slot, person=person, channel=channel, booked_by=by, origin=origin
                )
            break
        except IntegrityError:  # another transaction took this seat first
            continue
    if booking is None:
        raise SlotTaken()
    event_record(
        action=AuditAction.BOOKING_CREATED,
        actor=by,
        subject=person,
        target=booking,
        data={"channel": channel, "slot": str(slot.public_id)},
    )
    notification_send(
        person=person,
        kind="appointment_booked",
        subject=_("Rendez-vous confirmé le %(when)s") % {"when": _when(slot)},
        body=_("Votre rendez-vous « %(service)s » à %(place)s est confirmé pour le %(when)s.")
        % {"service": agenda.service.name, "place": agenda.place.name, "when": _when(slot)},
        link=_link("appointments:detail", booking.public_id),
        key=f"appointment-booked:{booking.public_id}",
    )
    return booking


def _release(seat: Seat, now: datetime.datetime) -> None:
    # The freed seat goes back on sale after a random delay: whoever cancels cannot hand it over to a buyer
    # waiting to book it at a known moment.
    low, high = settings.APPOINTMENTS_RELEASE_DELAY_MINUTES
    delay = secrets.SystemRandom().randint(low * 60, high * 60)
    Seat.objects.filter(pk=seat.pk).update(on_sale_from=now + datetime.timedelta(seconds=delay))


def _cancel(booking: Booking, now: datetime.datetime) -> Booking:
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.save(update_fields=["status", "cancelled_at", "updated_at"])
    _release(booking.seat, now)
    return booking


def _lock(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().select_related("slot__agenda", "seat").get(pk=booking.pk)


@transaction.atomic
def booking_cancel(*, booking: Booking, by: Any) -> Booking:
    """Cancel an upcoming booking; its seat goes back on sale after a random delay (5 to 30 minutes)."""
    booking = _lock(booking)
    if not booking.is_upcoming:
        raise BookingRefused(_("Ce rendez-vous ne peut plus être annulé."))
    now = timezone.now()
    _cancel(booking, now)
    event_record(action=AuditAction.BOOKING_CANCELLED, actor=by, subject=booking.person, target=booking)
    notification_send(
        person=booking.person,
        kind="appointment_cancelled",
        subject=_("Rendez-vous du %(when)s annulé") % {"when": _when(booking.slot)},
        body=_("Votre rendez-vous « %(service)s » du %(when)s est annulé.")
        % {"service": booking.slot.agenda.service.name, "when": _when(booking.slot)},
        link=_link("appointments:mine"),
        key=f"appointment-cancelled:{booking.public_id}",
    )
    return booking


@transaction.atomic
def booking_reschedule(*, booking: Booking, slot: Slot, by: Any, origin: str = "") -> Booking:
    """Move a booking to another slot of the same agenda: cancel and book in one transaction.

    If the new slot is taken, nothing changes: the old booking is kept.
    """
    booking = _lock(booking)
    if not booking.is_upcoming:
        raise BookingRefused(_("Ce rendez-vous ne peut plus être déplacé."))
    if slot.agenda_id != booking.slot.agenda_id:
        raise BookingRefused(_("Choisissez un créneau du même service, au même lieu."))
    if slot.pk == booking.slot_id:
        raise BookingRefused(_("Choisissez un autre créneau que celui de votre rendez-vous."))
    now = timezone.now()
    _cancel(booking, now)
    # The person moving their own booking books online; an agent keeps the channel it was made on.
    mine = getattr(by, "person", None) == booking.person
    channel = BookingChannel.ONLINE if mine else booking.channel
    new = booking_create(slot=slot, person=booking.person, by=by, channel=channel, origin=origin)
    event_record(
        action=AuditAction.BOOKING_RESCHEDULED,
        actor=by,
        subject=booking.person,
        target=new,
        data={"from": str(booking.public_id)},
    )
    return new


@transaction.atomic
def booking_check_in(*, booking: Booking, by: Any) -> Booking:
    """The person came: the agent records their arrival (also corrects a no-show recorded by mistake)."""
    booking = _lock(booking)
    if booking.status not in (BookingStatus.BOOKED, BookingStatus.NO_SHOW):
        raise BookingRefused(_("Ce rendez-vous est annulé."))
    booking.status = BookingStatus.CHECKED_IN
    booking.checked_in_at = timezone.now()
    booking.save(update_fields=["status", "checked_in_at", "updated_at"])
    event_record(action=AuditAction.BOOKING_CHECKED_IN, actor=by, subject=booking.person, target=booking)
    return booking


@transaction.atomic
def booking_mark_no_show(*, booking: Booking, by: Any) -> Booking:
    """The person did not come. Only once the slot has started."""
    booking = _lock(booking)
    if booking.status not in (BookingStatus.BOOKED, BookingStatus.CHECKED_IN):
        raise BookingRefused(_("Ce rendez-vous est annulé."))
    if booking.slot.starts_at > timezone.now():
        raise BookingRefused(_("Une absence s'enregistre une fois l'heure du rendez-vous passée."))
    booking.status = BookingStatus.NO_SHOW
    booking.checked_in_at = None
    booking.save(update_fields=["status", "checked_in_at", "updated_at"])
    event_record(action=AuditAction.BOOKING_NO_SHOW, actor=by, subject=booking.person, target=booking)
    return booking


def bookings_remind(*, now: datetime.datetime | None = None) -> int:
    """Remind everyone booked for tomorrow (by email, and SMS for those who chose it). Idempotent."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now).date() + datetime.timedelta(days=1)
    sent = 0
    bookings = (
        Booking.objects.filter(status=BookingStatus.BOOKED, slot__day=tomorrow)
        .select_related("slot__agenda__service", "slot__agenda__place", "person__user")
        .order_by("pk")
    )
    for booking in bookings:
        agenda = booking.slot.agenda
        created = notification_send(
            person=booking.person,
            kind="appointment_reminder",
            subject=_("Rappel : rendez-vous demain à %(time)s")
            % {"time": date_format(timezone.localtime(booking.slot.starts_at), "H:i")},
            body=_("Rappel : votre rendez-vous « %(service)s » a lieu le %(when)s à %(place)s, %(address)s.")
            % {
                "service": agenda.service.name,
                "when": _when(booking.slot),
                "place": agenda.place.name,
                "address": agenda.place.address_line,
            },
            link=_link("appointments:detail", booking.public_id),
            key=f"appointment-reminder:{booking.public_id}",
        )
        sent += bool(created)
    return sent


@transaction.atomic
def agenda_feed_token_rotate(*, agenda: Agenda, by: Any) -> str:
    """Make a new secret link for the agenda's calendar feed (the old one stops working); returns the token."""
    token = secrets.token_urlsafe(32)
    agenda.feed_token_hash = hash_feed_token(token)
    agenda.save(update_fields=["feed_token_hash", "updated_at"])
    event_record(action=AuditAction.AGENDA_FEED_ROTATED, actor=by, target=agenda)
    return token


# --- Lottery ---


@transaction.atomic
def lottery_request_create(*, window: LotteryWindow, person: Person, by: Any) -> LotteryRequest:
    """A person asks to take part in a draw: one request per person, from a verified account."""
    if not _online_check(by, person):
        raise BookingRefused(_("Seul le titulaire du compte, adresse vérifiée, peut faire cette demande."))
    if not window.is_accepting():
        raise BookingRefused(_("Les demandes pour ce tirage ne sont pas ouvertes."))
    try:
        with transaction.atomic():
            request = LotteryRequest.objects.create(window=window, person=person)
    except IntegrityError:
        raise BookingRefused(_("Vous avez déjà fait une demande pour ce tirage.")) from None
    event_record(action=AuditAction.LOTTERY_REQUESTED, actor=by, subject=person, target=window)
    return request


@transaction.atomic
def lottery_draw(*, window: LotteryWindow, by: Any = None, seed: str | None = None) -> LotteryWindow:
    """Rank the requests with a fresh seed, give each in turn the earliest free slot, tell everyone.

    The seed and the ranking are stored and published, so anyone can re-run the draw (see ``lottery``).
    """
    window = LotteryWindow.objects.select_for_update().get(pk=window.pk)
    if window.status != LotteryStatus.OPEN:
        raise ValidationError(_("Ce tirage a déjà eu lieu."))
    if window.requests_close_at > timezone.now():
        raise ValidationError(_("Les demandes ne sont pas encore closes."))
    requests = {str(r.public_id): r for r in window.requests.select_related("person__user")}
    window.seed = seed or lottery.new_seed()
    window.draw_order = lottery.rank(window.seed, list(requests))
    window.status = LotteryStatus.DRAWN
    window.drawn_at = timezone.now()
    window.save(update_fields=["seed", "draw_order", "status", "drawn_at", "updated_at"])
    slots = list(window.agenda.slots.filter(day__gte=window.first_day, day__lte=window.last_day).order_by("starts_at"))
    for request_id in window.draw_order:
        request = requests[request_id]
        booking = None
        for slot in slots:
            try:
                with transaction.atomic():
                    booking = booking_create(
                        slot=slot, person=request.person, by=request.person.user, channel="online", _drawn=True
                    )
                break
            except SlotTaken:
                continue
            except BookingRefused:
                break  # e.g. the person already has a booking for this service
        request.status = LotteryRequestStatus.WON if booking else LotteryRequestStatus.LOST
        request.booking = booking
        request.save(update_fields=["status", "booking", "updated_at"])
        _lottery_tell(window, request)
    event_record(
        action=AuditAction.LOTTERY_DRAWN,
        actor=by,
        target=window,
        data={"requests": len(requests), "seed": window.seed, "algorithm": lottery.ALGORITHM},
    )
    return window


def _lottery_tell(window: LotteryWindow, request: LotteryRequest) -> None:
    service = window.agenda.service.name
    if request.booking:
        subject = _("Tirage au sort : un rendez-vous vous est attribué")
        body = _("Le tirage au sort « %(service)s » vous a attribué un rendez-vous le %(when)s.") % {
            "service": service,
            "when": _when(request.booking.slot),
        }
    else:
        subject = _("Tirage au sort : votre demande n'a pas été retenue")
        body = _(
            "Le tirage au sort « %(service)s » ne vous a pas attribué de rendez-vous : il y avait plus de "
            "demandes que de créneaux. Le résultat et la façon de le vérifier sont publiés."
        ) % {"service": service}
    notification_send(
        person=request.person,
        kind="lottery_outcome",
        subject=subject,
        body=body,
        link=_link("appointments:lottery_public", window.public_id),
        key=f"lottery-outcome:{request.public_id}",
    )
