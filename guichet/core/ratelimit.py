"""Counters in the cache that fail closed: if the cache cannot be reached, the action is refused."""

import hashlib
import logging

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
        if cache.add(key, 1, timeout=window_seconds):
            return True
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window_seconds)
        return True
    except Exception:
        logger.exception("rate-limit cache unavailable, refusing")
        return False


def reset(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.exception("rate-limit cache unavailable while resetting")
