"""A rate-limit window opens with its first attempt and lasts its length, on every cache Guichet may run on: later
attempts neither extend it nor let it end early (the database and file caches store a key again with their default
timeout of 5 minutes on ``incr``)."""

import time

import pytest
import redis
import time_machine
from django.core.cache import cache
from django.test import override_settings

from guichet.core import ratelimit

pytestmark = pytest.mark.django_db

START = 1_800_000_000  # a fixed instant, moved by time_machine


@pytest.fixture(params=["database", "file", "local memory"])
def any_cache(request, tmp_path):
    backends = {
        "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "guichet_cache"},
        "file": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)},
        "local memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"},
    }
    with override_settings(CACHES={"default": backends[request.param]}):
        cache.clear()
        yield
        cache.clear()


def _count(key: str) -> int:
    """The attempts counted in the key's window, as the limit checks see them."""
    return next(count for count in range(100) if not ratelimit.is_limited(key, count + 1))


def test_a_long_window_outlives_the_caches_default_timeout(any_cache):
    key = ratelimit.make_key("test", "long")
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(3):
            assert ratelimit.hit(key, 3600)
            traveller.shift(400)  # more than the 300 s a database cache gives a key stored without a timeout
        assert _count(key) == 3
        assert ratelimit.is_limited(key, 3)
        traveller.move_to(START + 3590)
        assert ratelimit.is_limited(key, 3)
        traveller.move_to(START + 3601)
        assert _count(key) == 0
        assert not ratelimit.is_limited(key, 3)


def test_attempts_do_not_extend_a_short_window(any_cache):
    key = ratelimit.make_key("test", "short")
    with time_machine.travel(START, tick=False) as traveller:
        assert ratelimit.hit(key, 60)
        traveller.shift(50)
        assert ratelimit.hit(key, 60)
        assert _count(key) == 2
        traveller.move_to(START + 61)
        assert _count(key) == 0
        # The next attempt opens a new window of its own.
        assert ratelimit.hit(key, 60)
        traveller.shift(59)
        assert _count(key) == 1
        traveller.shift(2)
        assert _count(key) == 0


def test_a_reset_forgets_the_window(any_cache):
    key = ratelimit.make_key("test", "reset")
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            ratelimit.hit(key, 900)
        ratelimit.reset(key)
        assert _count(key) == 0
        traveller.shift(100)
        ratelimit.hit(key, 900)
        traveller.move_to(START + 100 + 899)
        assert _count(key) == 1
        traveller.move_to(START + 100 + 901)
        assert _count(key) == 0


def test_the_login_lockout_lasts_its_fifteen_minutes(any_cache, client, citizen, password, settings):
    """Five wrong passwords a minute apart lock the account on this device until fifteen minutes after the first,
    even ten minutes after the last; the right password is refused until then, and accepted after."""
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_LOCKOUT_SECONDS = 15 * 60
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            client.post("/compte/connexion/", {"email": citizen.email, "password": "pas le bon mot de passe"})
            traveller.shift(60)
        traveller.move_to(START + 14 * 60)  # ten minutes after the last failure
        response = client.post("/compte/connexion/", {"email": citizen.email, "password": password})
        assert "Trop de tentatives pour ce compte" in response.content.decode().replace("&#x27;", "'")
        assert "_auth_user_id" not in client.session
        traveller.move_to(START + 15 * 60 + 1)
        response = client.post("/compte/connexion/", {"email": citizen.email, "password": password})
        assert response.status_code == 302
        assert "_auth_user_id" in client.session


@pytest.fixture
def redis_cache():
    location = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(location).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    ):
        cache.clear()
        yield redis.Redis.from_url(location)
        cache.clear()


def test_on_redis_attempts_leave_the_end_of_the_window_where_it_was(redis_cache):
    key = ratelimit.make_key("test", "redis")
    assert ratelimit.hit(key, 60)
    time.sleep(3)
    assert ratelimit.hit(key, 60)
    assert _count(key) == 2
    # Redis keeps expiries in milliseconds, the window's end is kept to the second above: the key lives at most
    # a second past the end of its window, never another 60 s.
    assert 0 < redis_cache.pttl(cache.make_and_validate_key(key)) <= 59_000
