"""Benchmark of booking under contention: many people, few seats, through HTTP, on PostgreSQL.

    uv run python benchmarks/booking.py [--clients 200] [--slots 20] [--rounds 10] [--workers 4] [--threads 4]

Creates a fresh PostgreSQL database (``guichet_bench`` on 127.0.0.1:5432, user postgres), migrates it, creates
``--slots`` slots of one seat each and ``--clients`` verified accounts with a session each, then starts Guichet
under gunicorn (``--workers`` processes of ``--threads`` threads) on a free loopback port. From this process,
``--clients`` threads, released together, each post one booking of slot ``i % slots`` with their session cookie
(logins are not part of the measurement). Bookings are reset between rounds.

Prints, per round: attempts, successes (302), conflicts (409 "Ce créneau vient d'être pris"), 5xx, other
answers, throughput and p95 latency. Exits non-zero unless every round shows exactly one booking per slot in
the database, as many successes, and no 5xx. Only loopback traffic; the database is dropped at the end unless
``--keep``.
"""

import argparse
import datetime
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "guichet_bench"
PG = "postgres://postgres@127.0.0.1:5432"
CSRF_TOKEN = secrets.token_hex(16)  # 32 characters: Django accepts the same value as cookie and header
REQUEST_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env() -> dict[str, str]:
    return {
        "DATABASE_URL": f"{PG}/{DATABASE}",
        "DATABASE_CONN_MAX_AGE": "60",
        "SECRET_KEY": "benchmark-only-" + secrets.token_hex(16),
        "AUDIT_CHAIN_KEY": "benchmark-only-" + secrets.token_hex(16),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "RIGHTS_WARM_UP": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        # One address (loopback) stands for 200 people here: the per-address limits would stop the benchmark.
        "APPOINTMENTS_BOOKINGS_PER_IP": "1000000",
        "APPOINTMENTS_SEARCHES_PER_IP": "1000000",
        "APPOINTMENTS_BOOKINGS_PER_ACCOUNT": "1000000",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def set_up(clients: int, slots: int):
    """Migrate, then create the agenda, its slots and the accounts with their sessions. Returns what clients need."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from guichet.accounts.middleware import LOGIN_AT, SEEN_AT
    from guichet.accounts.models import Person, User
    from guichet.appointments.models import Agenda, Seat, Slot
    from guichet.catalog.demo import load as load_territory
    from guichet.catalog.models import Place, Service

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    load_territory()
    agenda = Agenda.objects.create(
        place=Place.objects.get(name="Mairie de Villeurbanne"),
        service=Service.objects.get(slug="etat-civil"),
        reserved_percent=0,
        slot_minutes=15,
    )
    start = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=1), datetime.time(9))
    )
    slot_ids = []
    for index in range(slots):
        starts_at = start + datetime.timedelta(minutes=15 * index)
        slot = Slot.objects.create(
            agenda=agenda,
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(minutes=15),
            day=timezone.localtime(starts_at).date(),
        )
        Seat.objects.create(slot=slot, number=1, on_sale_from=timezone.now() - datetime.timedelta(minutes=1))
        slot_ids.append(str(slot.public_id))
    now = timezone.now()
    users = [User(email=f"bench{i}@example.org", email_verified_at=now) for i in range(clients)]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    users = list(User.objects.filter(email__startswith="bench").order_by("pk"))
    Person.objects.bulk_create(Person(user=u, first_name="Test", last_name=f"Banc {i}") for i, u in enumerate(users))
    sessions = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "guichet.accounts.backends.EmailBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[LOGIN_AT] = store[SEEN_AT] = int(time.time())
        store.create()
        sessions.append(store.session_key)
    return str(agenda.public_id), slot_ids, sessions


def reset_round() -> None:
    from django.core.cache import cache
    from django.utils import timezone

    from guichet.appointments.models import Booking, Seat

    Booking.objects.all().delete()
    Seat.objects.update(on_sale_from=timezone.now() - datetime.timedelta(minutes=1))
    cache.clear()


def holding_per_slot() -> dict[str, int]:
    from django.db.models import Count

    from guichet.appointments.models import Booking

    rows = Booking.objects.holding().values("slot__public_id").annotate(n=Count("pk"))
    return {str(r["slot__public_id"]): r["n"] for r in rows}


def start_server(port: int, workers: int, threads: int, log) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=gthread",
        "--backlog=2048",
        "--timeout=120",
        "--log-level=warning",
    ]
    # The server's log (a warning for each expected 409) goes to a file, shown only when a round fails.
    server = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ}, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start (exit {server.returncode})")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/sante/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def run_round(port: int, agenda: str, slot_ids: list[str], sessions: list[str]) -> dict:
    clients = len(sessions)
    barrier = threading.Barrier(clients + 1)
    results: list[tuple[int, float]] = [(0, 0.0)] * clients
    path = f"/rendez-vous/agendas/{agenda}/reserver/"

    def client(index: int) -> None:
        body = urlencode({"slot": slot_ids[index % len(slot_ids)]})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={sessions[index]}; csrftoken={CSRF_TOKEN}",
            "X-CSRFToken": CSRF_TOKEN,
        }
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        barrier.wait()
        started = time.perf_counter()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = -1
        finally:
            connection.close()
        results[index] = (status, time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    statuses = [s for s, _t in results]
    latencies = sorted(t for _s, t in results)
    return {
        "attempts": clients,
        "successes": statuses.count(302),
        "conflicts": statuses.count(409),
        "server_errors": sum(1 for s in statuses if s >= 500),
        "other": sum(1 for s in statuses if s not in (302, 409) and s < 500),
        "elapsed": elapsed,
        "throughput": clients / elapsed,
        "p95_ms": statistics.quantiles(latencies, n=100)[94] * 1000 if len(latencies) > 1 else latencies[0] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database at the end")
    args = parser.parse_args()
    if not 1 <= args.slots <= args.clients <= 1000 or not 1 <= args.rounds <= 50:
        parser.error("bounded: 1 <= slots <= clients <= 1000, 1 <= rounds <= 50")

    os.environ.update(app_env())
    sys.path.insert(0, str(ROOT))
    print(f"PostgreSQL database {DATABASE}: created, migrated; {args.clients} accounts, {args.slots} slots")
    recreate_database()
    agenda, slot_ids, sessions = set_up(args.clients, args.slots)
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="guichet-bench-", suffix=".log", delete=False)  # noqa: SIM115
    server = start_server(port, args.workers, args.threads, log)
    print(f"gunicorn on 127.0.0.1:{port}: {args.workers} workers x {args.threads} threads\n")
    header = f"{'round':>5} {'attempts':>8} {'successes':>9} {'conflicts':>9} {'5xx':>4} {'other':>5} "
    header += f"{'db bookings':>11} {'req/s':>7} {'p95 ms':>7}  ok"
    print(header)
    failures = 0
    try:
        from django.db import connection

        for number in range(1, args.rounds + 1):
            reset_round()
            connection.close()  # no idle connection from this process during the round
            result = run_round(port, agenda, slot_ids, sessions)
            per_slot = holding_per_slot()
            in_db = sum(per_slot.values())
            ok = (
                result["successes"] == args.slots
                and in_db == args.slots
                and all(per_slot.get(s) == 1 for s in slot_ids)
                and result["server_errors"] == 0
                and result["other"] == 0
            )
            failures += not ok
            print(
                f"{number:>5} {result['attempts']:>8} {result['successes']:>9} {result['conflicts']:>9} "
                f"{result['server_errors']:>4} {result['other']:>5} {in_db:>11} {result['throughput']:>7.1f} "
                f"{result['p95_ms']:>7.0f}  {'yes' if ok else 'NO'}"
            )
    finally:
        stop_server(server)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database()
    log.seek(0)
    server_errors = [line for line in log if "Conflict:" not in line]
    log.close()
    os.unlink(log.name)
    if failures and server_errors:
        print("\nServer log (without the expected 409 lines):\n" + "".join(server_errors[-40:]))
    print(f"\n{args.rounds - failures}/{args.rounds} rounds with exactly {args.slots} bookings and no 5xx")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
