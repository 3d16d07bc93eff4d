"""A rate-limit window opens with its first attempt and lasts its length: later attempts neither extend it nor let it
end early. Counters are rows of their own table, counted atomically, purged once their window is over, and every
limit refuses when the table cannot be reached."""

import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections

from guichet.core import ratelimit
from guichet.core.models import RateCounter

pytestmark = pytest.mark.django_db

START = 1_800_000_000  # a fixed instant, moved by time_machine


def _count(key: str) -> int:
    """The attempts counted in the key's window, as the limit checks see them."""
    return next(count for count in range(100) if not ratelimit.is_limited(key, count + 1))


def test_a_long_window_lasts_its_length_whatever_comes_after():
    key = ratelimit.make_key("test", "long")
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(3):
            assert ratelimit.hit(key, 3600)
            traveller.shift(400)  # more than the 300 s the database cache gave a key stored again by its incr
        assert _count(key) == 3
        assert ratelimit.is_limited(key, 3)
        traveller.move_to(START + 3590)
        assert ratelimit.is_limited(key, 3)
        traveller.move_to(START + 3601)
        assert _count(key) == 0
        assert not ratelimit.is_limited(key, 3)


def test_attempts_do_not_extend_a_short_window():
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


def test_a_reset_forgets_the_window():
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


def test_the_login_lockout_lasts_its_fifteen_minutes(client, citizen, password, settings):
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


def test_of_many_attempts_only_the_limit_passes_and_the_window_is_kept():
    key = ratelimit.make_key("test", "attempt")
    with time_machine.travel(START, tick=False) as traveller:
        passed = [ratelimit.attempt(key, limit=3, window_seconds=60, label="quelqu'un") for _ in range(5)]
        assert passed == [True, True, True, False, False]
        counter = RateCounter.objects.get(key=key)
        assert (counter.scope, counter.label, counter.count, counter.limit) == ("test", "quelqu'un", 5, 3)
        assert counter.is_locked and RateCounter.objects.locked().filter(key=key).exists()
        traveller.shift(61)
        assert ratelimit.attempt(key, limit=3, window_seconds=60)
        assert _count(key) == 1


def test_an_attempt_given_back_is_no_longer_counted():
    key = ratelimit.make_key("test", "give-back")
    ratelimit.attempt(key, limit=3, window_seconds=60)
    ratelimit.attempt(key, limit=3, window_seconds=60)
    ratelimit.give_back(key)
    assert _count(key) == 1


def test_the_purge_deletes_only_the_counters_whose_window_is_over(capsys):
    with time_machine.travel(START, tick=False) as traveller:
        ratelimit.hit(ratelimit.make_key("test", "short"), 60)
        ratelimit.hit(ratelimit.make_key("test", "long"), 3600)
        traveller.shift(61)
        call_command("ratelimits_purge")
    assert "1 compteur(s) expiré(s) supprimé(s)." in capsys.readouterr().out
    assert list(RateCounter.objects.values_list("key", flat=True)) == [ratelimit.make_key("test", "long")]


def test_every_function_refuses_when_the_counters_cannot_be_reached(ratelimit_store_down):
    key = ratelimit.make_key("test", "down")
    assert ratelimit.is_limited(key, 5)
    assert not ratelimit.hit(key, 60)
    assert not ratelimit.attempt(key, limit=5, window_seconds=60)
    ratelimit.give_back(key)  # logged, not raised
    ratelimit.reset(key)


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_let_no_more_than_the_limit_through():
    """Twenty requests at once on one key, each on its own database connection: five pass, twenty are counted."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time: concurrency is PostgreSQL's to show")
    key = ratelimit.make_key("test", "concurrent")
    barrier = threading.Barrier(20)
    results: list[bool] = []

    def one() -> None:
        barrier.wait()
        try:
            results.append(ratelimit.attempt(key, limit=5, window_seconds=60))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True] * 5
    assert RateCounter.objects.get(key=key).count == 20


def _request(forwarded: str | None, remote: str = "10.0.0.2"):
    from django.test import RequestFactory

    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_behind_two_proxies_each_client_keeps_its_own_address(settings):
    # The outer proxy appends the client's address, the inner one the outer proxy's: counted from the right, the
    # second entry is the client. Taking the last entry would give every client the outer proxy's address.
    settings.TRUSTED_PROXIES = 2
    assert ratelimit.client_ip(_request("203.0.113.7, 10.0.0.1")) == "203.0.113.7"
    assert ratelimit.client_ip(_request("198.51.100.9, 10.0.0.1")) == "198.51.100.9"
    # What the client itself wrote on the left is not believed.
    assert ratelimit.client_ip(_request("6.6.6.6, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = 0
    assert ratelimit.client_ip(_request("6.6.6.6", remote="192.0.2.4")) == "192.0.2.4"
    settings.TRUSTED_PROXIES = 1
    assert ratelimit.client_ip(_request("6.6.6.6, 192.0.2.9")) == "192.0.2.9"
    assert ratelimit.client_ip(_request(None, remote="192.0.2.4")) == "192.0.2.4"
