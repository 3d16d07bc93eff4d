"""Honest expected delays: how long a procedure actually took, from its past decisions."""

import math
import statistics
from dataclasses import dataclass

from django.conf import settings

from guichet.procedures.models import Application

# Decisions looked at: the most recent ones, so the estimate follows the service's current pace.
WINDOW = 500


@dataclass(frozen=True)
class Delay:
    count: int
    median_days: float | None
    p90_days: float | None

    @property
    def enough(self) -> bool:
        return self.median_days is not None

    # Shown as "in N days or less": whole days, rounded up, so that the sentence stays true.
    @property
    def median_days_up(self) -> int | None:
        return None if self.median_days is None else math.ceil(self.median_days)

    @property
    def p90_days_up(self) -> int | None:
        return None if self.p90_days is None else math.ceil(self.p90_days)


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected_delay(procedure) -> Delay:
    """Median and 90th percentile, in days, from submission to first decision; None when too few decisions."""
    rows = (
        Application.objects.filter(procedure=procedure, decided_at__isnull=False, submitted_at__isnull=False)
        .order_by("-decided_at")
        .values_list("submitted_at", "decided_at")[:WINDOW]
    )
    days = [(decided - submitted).total_seconds() / 86400 for submitted, decided in rows]
    if len(days) < settings.PROCEDURE_DELAY_MIN_DECISIONS:
        return Delay(len(days), None, None)
    return Delay(len(days), round(statistics.median(days), 1), round(percentile(days, 0.9), 1))
