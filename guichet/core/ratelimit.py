"""Rate limits and locks, counted in a table of their own, failing closed: if it cannot be read or written, the
action is refused.

A counter counts the attempts of one window, which opens with its first attempt and lasts ``window_seconds``
whatever comes after: later attempts neither extend nor shorten it. Counters are rows of ``RateCounter``, not cache
keys: a cache evicts (Django's database cache culls a third of its keys past 300), and whoever fills it would lift
every lock (docs/decisions/2026-12-07-lockout-store.md). A row leaves only when its window is over and
``guichet ratelimits_purge`` runs, or when a lock is lifted on purpose.

Increments are single ``UPDATE ... SET count = count + 1`` statements, correct under concurrent requests on SQLite
and PostgreSQL. ``attempt`` counts before it answers, so parallel requests cannot all pass a check made before any
of them is counted. A counter written inside a transaction that is rolled back is rolled back too: count outside
the atomic block of the action being limited.
"""

import datetime
import hashlib
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from guichet.core.models import RateCounter

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address: behind ``TRUSTED_PROXIES`` proxies, the address the outermost of them saw.

    Each proxy appends the address of whoever connected to it to ``X-Forwarded-For``: counted from the right, the
    entry number ``TRUSTED_PROXIES`` is the one the outermost trusted proxy wrote; entries further left are the
    client's own words. Without trusted proxies, the connection's address.
    """
    proxies = settings.TRUSTED_PROXIES
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]
    return request.META.get("REMOTE_ADDR", "")


def make_key(scope: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def is_limited(key: str, limit: int) -> bool:
    """True when the counter has reached ``limit`` (or when the counters are unavailable)."""
    try:
        return RateCounter.objects.live().filter(key=key, count__gte=limit).exists()
    except Exception:
        logger.exception("rate-limit store unavailable, refusing")
        return True


def hit(key: str, window_seconds: int, *, limit: int | None = None, label: str = "") -> bool:
    """Count one attempt; False when the counters are unavailable (the caller must refuse).

    ``limit`` (the count at which the caller refuses) and ``label`` (who is counted: an account, an address) let the
    admin list the counter among the locks.
    """
    try:
        _count_one(key, window_seconds, limit=limit, label=label)
    except Exception:
        logger.exception("rate-limit store unavailable, refusing")
        return False
    return True


def attempt(key: str, *, limit: int, window_seconds: int, label: str = "") -> bool:
    """Count one attempt and say whether it is within ``limit``; False when over it or when the store is down.

    Counting first makes the check and the count one step: of many concurrent attempts, ``limit`` at most pass.
    """
    try:
        return _count_one(key, window_seconds, limit=limit, label=label) <= limit
    except Exception:
        logger.exception("rate-limit store unavailable, refusing")
        return False


def give_back(key: str) -> None:
    """Uncount one attempt that turned out not to be one to limit (a successful login, for a per-account ceiling)."""
    try:
        RateCounter.objects.live().filter(key=key, count__gt=0).update(count=F("count") - 1)
    except Exception:
        logger.exception("rate-limit store unavailable while giving an attempt back")


def reset(key: str) -> None:
    try:
        RateCounter.objects.filter(key=key).delete()
    except Exception:
        logger.exception("rate-limit store unavailable while resetting")


def purge() -> int:
    """Delete the counters whose window is over; returns how many. Run by ``guichet ratelimits_purge``."""
    deleted, _detail = RateCounter.objects.expired().delete()
    return deleted


def _scope(key: str) -> str:
    parts = key.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "rl" else key[:60]


def _count_one(key: str, window_seconds: int, *, limit: int | None, label: str) -> int:
    """Add one attempt to the key's live window, opening a new one if there is none; returns the new count."""
    now = timezone.now()
    extra = {"limit": limit} if limit is not None else {}
    with transaction.atomic():
        live = RateCounter.objects.filter(key=key, expires_at__gt=now)
        if live.update(count=F("count") + 1, **extra):
            return live.values_list("count", flat=True).get()
        fresh = {
            "scope": _scope(key),
            "label": label[:300],
            "count": 1,
            "limit": limit,
            "opened_at": now,
            "expires_at": now + datetime.timedelta(seconds=window_seconds),
        }
        if RateCounter.objects.filter(key=key, expires_at__lte=now).update(**fresh):
            return 1
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, **fresh)
            return 1
        except IntegrityError:
            # A concurrent request opened the window between the first update and this insert: count in it.
            live.update(count=F("count") + 1, **extra)
            return live.values_list("count", flat=True).get()
