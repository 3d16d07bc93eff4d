"""Agendas, slots, seats and bookings; lottery windows and their requests.

A slot has as many ``Seat`` rows as people received at once. A booking takes one seat, and the database
refuses a second live booking on the same seat (a partial unique constraint): no double booking can come
from checking first and saving later, whatever the number of processes.
"""

import datetime
import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.appointments.enums import (
    BookingChannel,
    BookingStatus,
    ClosureKind,
    LotteryRequestStatus,
    LotteryStatus,
)
from guichet.catalog.enums import Weekday
from guichet.core.models import PublicModel, TimestampedModel

# Live bookings hold their seat; a cancelled one frees it.
HOLDING = [BookingStatus.BOOKED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW]


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AgendaQuerySet(models.QuerySet["Agenda"]):
    def active(self) -> "AgendaQuerySet":
        return self.filter(is_active=True, service__is_active=True)

    def run_by(self, user) -> "AgendaQuerySet":
        """The agendas a staff member may manage: their own, or all of them for supervisors and admins."""
        from guichet.accounts.enums import Role

        if user.role in (Role.SUPERVISOR, Role.ADMIN):
            return self.all()
        if user.role == Role.AGENT:
            return self.filter(agents=user)
        return self.none()


class Agenda(PublicModel):
    """The appointments of one service at one counter."""

    place = models.ForeignKey("catalog.Place", on_delete=models.PROTECT, related_name="agendas")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="agendas")
    slot_minutes = models.PositiveSmallIntegerField(_("durée d'un créneau (minutes)"), default=20)
    seats_per_slot = models.PositiveSmallIntegerField(_("personnes reçues par créneau"), default=1)
    horizon_days = models.PositiveSmallIntegerField(_("créneaux ouverts à l'avance (jours)"), default=14)
    reserved_percent = models.PositiveSmallIntegerField(
        _("part des places gardée pour le guichet, le téléphone et les médiateurs (%)"), default=20
    )
    max_active_per_person = models.PositiveSmallIntegerField(
        _("rendez-vous à venir par personne pour ce service"), default=1
    )
    is_active = models.BooleanField(_("ouvert à la réservation"), default=True)
    # Agents who run this agenda; supervisors and territory admins see every agenda.
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="appointment_agendas", verbose_name=_("agents")
    )
    # Calendar clients cannot log in: the agenda's feed is reached with a secret token, stored hashed.
    feed_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    objects = AgendaQuerySet.as_manager()

    class Meta:
        ordering = ["service__name", "place__name"]
        verbose_name = _("agenda")
        verbose_name_plural = _("agendas")
        constraints = [
            models.UniqueConstraint(fields=["place", "service"], name="agenda_one_per_place_and_service"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="agenda_slot_at_least_5_minutes"),
            models.CheckConstraint(condition=Q(seats_per_slot__gte=1), name="agenda_at_least_one_seat"),
            models.CheckConstraint(
                condition=Q(horizon_days__gte=1, horizon_days__lte=366), name="agenda_horizon_range"
            ),
            models.CheckConstraint(condition=Q(reserved_percent__lte=100), name="agenda_reserved_percent_range"),
            models.CheckConstraint(condition=Q(max_active_per_person__gte=1), name="agenda_limit_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.service} — {self.place}"


class AgendaHours(models.Model):
    """Hours when the agenda receives people; without any, the place's opening hours apply."""

    agenda = models.ForeignKey(Agenda, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    opens_at = models.TimeField(_("début"))
    closes_at = models.TimeField(_("fin"))

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name = _("horaire de rendez-vous")
        verbose_name_plural = _("horaires de rendez-vous")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="agenda_hours_closes_after_opens"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="agenda_hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Closure(TimestampedModel):
    """A closure of the counter (no slot) or an agent's absence (one seat fewer in each slot)."""

    agenda = models.ForeignKey(Agenda, on_delete=models.CASCADE, related_name="closures")
    kind = models.CharField(_("type"), max_length=16, choices=ClosureKind.choices, default=ClosureKind.CLOSURE)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("fermeture ou absence")
        verbose_name_plural = _("fermetures et absences")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="closure_ends_after_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class SeatQuerySet(models.QuerySet["Seat"]):
    def free(self) -> "SeatQuerySet":
        holding = Booking.objects.filter(seat=OuterRef("pk"), status__in=HOLDING)
        return self.filter(closed=False).exclude(Exists(holding))

    def on_sale(self, now: datetime.datetime) -> "SeatQuerySet":
        return self.free().filter(on_sale_from__lte=now)

    def for_channel(self, channel: str) -> "SeatQuerySet":
        """Online bookings never take the seats kept for people who don't book online."""
        return self.filter(reserved=False) if channel == BookingChannel.ONLINE else self


class SlotQuerySet(models.QuerySet["Slot"]):
    def upcoming(self, now: datetime.datetime | None = None) -> "SlotQuerySet":
        return self.filter(starts_at__gt=now or timezone.now())

    def on_day(self, day: datetime.date) -> "SlotQuerySet":
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        return self.filter(starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1))

    def outside_open_lotteries(self) -> "SlotQuerySet":
        windows = LotteryWindow.objects.filter(
            agenda=OuterRef("agenda"),
            status=LotteryStatus.OPEN,
            first_day__lte=OuterRef("day"),
            last_day__gte=OuterRef("day"),
        )
        return self.exclude(Exists(windows))

    def bookable(self, channel: str, now: datetime.datetime | None = None) -> "SlotQuerySet":
        """Future slots with at least one seat that this channel may take now."""
        now = now or timezone.now()
        seats = Seat.objects.on_sale(now).for_channel(channel).filter(slot=OuterRef("pk"))
        queryset = self.upcoming(now).filter(Exists(seats))
        if channel == BookingChannel.ONLINE:
            queryset = queryset.outside_open_lotteries()
        return queryset


class Slot(PublicModel):
    agenda = models.ForeignKey(Agenda, on_delete=models.PROTECT, related_name="slots")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    # Local calendar day of ``starts_at``: lottery windows and daily quotas work by day.
    day = models.DateField(_("jour"))

    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        constraints = [
            models.UniqueConstraint(fields=["agenda", "starts_at"], name="slot_unique_start_per_agenda"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_starts"),
        ]
        indexes = [models.Index(fields=["agenda", "day"])]

    def __str__(self) -> str:
        return f"{self.agenda} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class Seat(models.Model):
    """One person received in one slot. ``reserved`` seats are kept for desk, phone and mediator bookings."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="seats")
    number = models.PositiveSmallIntegerField(_("place"))
    reserved = models.BooleanField(_("gardée pour le guichet"), default=False)
    closed = models.BooleanField(_("fermée"), default=False)
    # A seat freed by a cancellation goes back on sale only from this time (a random delay).
    on_sale_from = models.DateTimeField(_("en vente à partir de"), default=timezone.now)

    objects = SeatQuerySet.as_manager()

    class Meta:
        ordering = ["slot", "number"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [models.UniqueConstraint(fields=["slot", "number"], name="seat_unique_number_per_slot")]

    def __str__(self) -> str:
        return f"{self.slot} #{self.number}"


class BookingQuerySet(models.QuerySet["Booking"]):
    def holding(self) -> "BookingQuerySet":
        return self.filter(status__in=HOLDING)

    def active(self, now: datetime.datetime | None = None) -> "BookingQuerySet":
        """Booked and still to come: what the per-person limit counts."""
        return self.filter(status=BookingStatus.BOOKED, slot__starts_at__gt=now or timezone.now())

    def for_person(self, person) -> "BookingQuerySet":
        return self.filter(person=person)

    def for_service(self, service) -> "BookingQuerySet":
        return self.filter(slot__agenda__service=service)

    def on_day(self, day: datetime.date) -> "BookingQuerySet":
        return self.filter(slot__day=day)


class Booking(PublicModel):
    """One person's appointment. The person is set once, at booking, and never changes (no transfer)."""

    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="bookings")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="bookings")
    channel = models.CharField(_("canal"), max_length=16, choices=BookingChannel.choices)
    status = models.CharField(_("état"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A keyed hash of the address the booking came from: enough to spot bulk booking, not to locate anyone.
    origin = models.CharField(_("origine (empreinte)"), max_length=64, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("arrivée le"), null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["slot__starts_at"]
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        constraints = [
            # The rule that makes double booking impossible: one live booking per seat, checked by the database.
            models.UniqueConstraint(fields=["seat"], condition=Q(status__in=HOLDING), name="booking_one_per_seat"),
            models.CheckConstraint(
                condition=Q(status=BookingStatus.CANCELLED) | Q(cancelled_at__isnull=True),
                name="booking_cancelled_at_only_when_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slot} — {self.get_status_display()}"

    @property
    def is_upcoming(self) -> bool:
        return self.status == BookingStatus.BOOKED and self.slot.starts_at > timezone.now()


class LotteryWindowQuerySet(models.QuerySet["LotteryWindow"]):
    def accepting(self, now: datetime.datetime | None = None) -> "LotteryWindowQuerySet":
        now = now or timezone.now()
        return self.filter(status=LotteryStatus.OPEN, requests_open_at__lte=now, requests_close_at__gt=now)

    def due(self, now: datetime.datetime | None = None) -> "LotteryWindowQuerySet":
        return self.filter(status=LotteryStatus.OPEN, requests_close_at__lte=now or timezone.now())

    def drawn(self) -> "LotteryWindowQuerySet":
        return self.filter(status=LotteryStatus.DRAWN)


class LotteryWindow(PublicModel):
    """For a service in high demand: the slots of these days are given by a draw among requests."""

    agenda = models.ForeignKey(Agenda, on_delete=models.PROTECT, related_name="lottery_windows")
    first_day = models.DateField(_("premier jour de rendez-vous"))
    last_day = models.DateField(_("dernier jour de rendez-vous"))
    requests_open_at = models.DateTimeField(_("ouverture des demandes"))
    requests_close_at = models.DateTimeField(_("clôture des demandes"))
    status = models.CharField(_("état"), max_length=16, choices=LotteryStatus.choices, default=LotteryStatus.OPEN)
    seed = models.CharField(_("graine publiée"), max_length=64, blank=True)
    # The request ids in the order the draw ranked them: with the seed, anyone can check the result.
    draw_order = models.JSONField(_("ordre du tirage"), default=list, blank=True)
    drawn_at = models.DateTimeField(_("tiré le"), null=True, blank=True)

    objects = LotteryWindowQuerySet.as_manager()

    class Meta:
        ordering = ["-requests_close_at"]
        verbose_name = _("tirage au sort")
        verbose_name_plural = _("tirages au sort")
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="lottery_days_in_order"),
            models.CheckConstraint(
                condition=Q(requests_close_at__gt=F("requests_open_at")), name="lottery_close_after_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agenda} {self.first_day:%Y-%m-%d}–{self.last_day:%Y-%m-%d}"

    def is_accepting(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == LotteryStatus.OPEN and self.requests_open_at <= now < self.requests_close_at


class LotteryRequest(PublicModel):
    window = models.ForeignKey(LotteryWindow, on_delete=models.PROTECT, related_name="requests")
    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="lottery_requests")
    status = models.CharField(
        _("état"), max_length=16, choices=LotteryRequestStatus.choices, default=LotteryRequestStatus.PENDING
    )
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="lottery_request"
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("demande de tirage")
        verbose_name_plural = _("demandes de tirage")
        constraints = [models.UniqueConstraint(fields=["window", "person"], name="lottery_one_request_per_person")]

    def __str__(self) -> str:
        return str(self.public_id)
