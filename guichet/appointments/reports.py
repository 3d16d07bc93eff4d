"""Reports for agents and supervisors: no-show rates, and patterns that suggest scalping or resale."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from guichet.appointments.enums import BookingStatus
from guichet.appointments.models import Booking

# Thresholds of the suspicious patterns report (over the period looked at).
CANCELLATIONS_THRESHOLD = 3
BOOKINGS_PER_ORIGIN_THRESHOLD = 5


@dataclass(frozen=True)
class NoShowRate:
    service: str
    past: int
    no_shows: int

    @property
    def percent(self) -> int:
        return round(100 * self.no_shows / self.past) if self.past else 0


def no_show_rates(*, since: datetime.date, now: datetime.datetime | None = None) -> list[NoShowRate]:
    """For each service: past appointments (checked in or missed) and no-shows, since ``since``."""
    now = now or timezone.now()
    rows = (
        Booking.objects.filter(
            slot__day__gte=since,
            slot__starts_at__lte=now,
            status__in=[BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW],
        )
        .values("slot__agenda__service__name")
        .annotate(past=Count("pk"), no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)))
        .order_by("slot__agenda__service__name")
    )
    return [NoShowRate(r["slot__agenda__service__name"], r["past"], r["no_shows"]) for r in rows]


@dataclass(frozen=True)
class SuspiciousPatterns:
    cancel_cycles: list[dict]  # person pseudonym, cancellations, bookings
    busy_origins: list[dict]  # origin fingerprint (shortened), bookings, distinct persons


def suspicious_patterns(*, days: int = 30, now: datetime.datetime | None = None) -> SuspiciousPatterns:
    """Many cancel-and-rebook cycles by one person; many bookings for different people from one address.

    People appear by pseudonym and addresses by a keyed fingerprint: an agent follows up through the audit
    journal, not through this page.
    """
    since = (now or timezone.now()) - datetime.timedelta(days=days)
    recent = Booking.objects.filter(created_at__gte=since)
    cycles = (
        recent.values("person__pseudonym")
        .annotate(
            cancellations=Count("pk", filter=Q(status=BookingStatus.CANCELLED)),
            bookings=Count("pk"),
        )
        .filter(cancellations__gte=CANCELLATIONS_THRESHOLD)
        .order_by("-cancellations")
    )
    origins = (
        recent.exclude(origin="")
        .values("origin")
        .annotate(bookings=Count("pk"), persons=Count("person", distinct=True))
        .filter(bookings__gte=BOOKINGS_PER_ORIGIN_THRESHOLD, persons__gte=2)
        .order_by("-bookings")
    )
    return SuspiciousPatterns(
        cancel_cycles=[
            {"pseudonym": r["person__pseudonym"], "cancellations": r["cancellations"], "bookings": r["bookings"]}
            for r in cycles
        ],
        busy_origins=[
            {"origin": r["origin"][:12], "bookings": r["bookings"], "persons": r["persons"]} for r in origins
        ],
    )
