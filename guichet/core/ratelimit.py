"""Counters in the cache that fail closed: if the cache cannot be reached, the action is refused.

A counter counts the attempts of one window, which opens with its first attempt and lasts ``window_seconds``
whatever comes after: later attempts neither extend nor shorten it. Redis, Memcached and the local memory cache
increment a key in place, keeping its expiry. The database and file caches (the database is the default) have only
Django's generic ``incr``, which stores the key again with the cache's default timeout (5 minutes): there the
counter is stored again with the time left in its window, read from its value, ``end * COUNT_SPAN + count``.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

COUNT_SPAN = 10**9  # attempts a window can count; ends up to the year 2262 keep a value within 63 bits


def client_ip(request: HttpRequest) -> str:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def make_key(scope: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def is_limited(key: str, limit: int) -> bool:
    """True when the counter has reached ``limit`` (or when the cache is unavailable)."""
    try:
        return int(cache.get(key, 0)) % COUNT_SPAN >= limit
    except Exception:
        logger.exception("rate-limit cache unavailable, refusing")
        return True


def hit(key: str, window_seconds: int) -> bool:
    """Count one attempt; False when the cache is unavailable (the caller must refuse)."""
    try:
        now = time.time()
        opening = math.ceil(now + window_seconds) * COUNT_SPAN + 1
        if cache.add(key, opening, timeout=window_seconds):
            return True
        try:
            _increment(key, now)
        except ValueError:  # expired between add and incr
            cache.set(key, opening, timeout=window_seconds)
        return True
    except Exception:
        logger.exception("rate-limit cache unavailable, refusing")
        return False


def _increment(key: str, now: float) -> None:
    if type(caches["default"]).incr is not BaseCache.incr:
        cache.incr(key)  # in place: the expiry stays
        return
    # What Django's generic incr does (read, then store), with the time left in the window instead of the default.
    value = cache.get(key)
    if value is None:
        raise ValueError(key)
    cache.set(key, value + 1, timeout=max(1, math.ceil(value // COUNT_SPAN - now)))


def reset(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.exception("rate-limit cache unavailable while resetting")
