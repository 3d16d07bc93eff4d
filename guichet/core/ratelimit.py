"""Counters in the cache that fail closed: if the cache cannot be reached, the action is refused.

A counter counts the attempts of one window, which opens with its first attempt and lasts ``window_seconds``
whatever comes after: later attempts neither extend nor shorten it.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


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
        return int(cache.get(key, 0)) >= limit
    except Exception:
        logger.exception("rate-limit cache unavailable, refusing")
        return True


def hit(key: str, window_seconds: int) -> bool:
    """Count one attempt; False when the cache is unavailable (the caller must refuse)."""
    try:
        now = time.time()
        if cache.add(key, 1, timeout=window_seconds):
            cache.set(_end_key(key), now + window_seconds, timeout=window_seconds)
            return True
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            _open(key, now, window_seconds)
            return True
        # Redis and the local memory cache keep a key's expiry through incr(); the database and file caches (the
        # database is the default) store the key again with their default timeout, which would move the end of
        # the window. The counter is given back the time left in its window.
        end = cache.get(_end_key(key))
        if end is None:  # the window ended between incr and get
            _open(key, now, window_seconds)
        else:
            cache.touch(key, max(1, math.ceil(end - now)))
        return True
    except Exception:
        logger.exception("rate-limit cache unavailable, refusing")
        return False


def _end_key(key: str) -> str:
    return f"{key}:end"


def _open(key: str, now: float, window_seconds: int) -> None:
    """Start a new window with one attempt."""
    cache.set_many({key: 1, _end_key(key): now + window_seconds}, timeout=window_seconds)


def reset(key: str) -> None:
    try:
        cache.delete_many([key, _end_key(key)])
    except Exception:
        logger.exception("rate-limit cache unavailable while resetting")
