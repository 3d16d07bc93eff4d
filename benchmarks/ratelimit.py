"""Benchmark of the rate-limit counters (guichet/core/ratelimit.py) on SQLite and PostgreSQL.

    uv run python benchmarks/ratelimit.py [--database sqlite|postgresql] [--operations 2000] [--threads 8]

Creates a fresh database with the counters' table only (SQLite: a temporary file; PostgreSQL: ``guichet_bench_rl``
on 127.0.0.1:5432, user postgres, dropped at the end), then prints the time of one ``attempt`` that opens a window
(an insert), of one that counts in a live window (an update), and of ``guichet ratelimits_purge`` over the expired
rows. Last, ``--threads`` threads released together make ``--operations`` attempts in all on one key with a limit of
5: it exits non-zero unless exactly 5 passed and every attempt was counted (SQLite runs one writer at a time, so
there the threads queue; PostgreSQL shows the row lock at work).
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_NAME = "guichet_bench_rl"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    if args.database == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
            admin.execute(f"CREATE DATABASE {PG_NAME}")
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ["GUICHET_DATA_DIR"] = tmp.name
    import django

    django.setup()
    import time_machine
    from django.db import connection, connections

    from guichet.core import ratelimit
    from guichet.core.models import RateCounter

    with connection.schema_editor() as editor:
        editor.create_model(RateCounter)
    n = args.operations
    try:
        start = time.perf_counter()
        for index in range(n):
            ratelimit.attempt(ratelimit.make_key("bench", str(index)), limit=5, window_seconds=60)
        opened = (time.perf_counter() - start) / n
        start = time.perf_counter()
        for _ in range(n):
            ratelimit.attempt(ratelimit.make_key("bench", "one"), limit=5, window_seconds=60)
        counted = (time.perf_counter() - start) / n
        with time_machine.travel(time.time() + 120):
            start = time.perf_counter()
            purged = ratelimit.purge()
            purge_seconds = time.perf_counter() - start
        print(f"{connection.vendor}: {n} attempts each")
        print(f"  attempt opening a window (insert):  {opened * 1e3:.3f} ms")
        print(f"  attempt within a live window (update): {counted * 1e3:.3f} ms")
        print(f"  ratelimits_purge of {purged} expired rows: {purge_seconds * 1e3:.1f} ms")

        key = ratelimit.make_key("bench", "concurrent")
        barrier = threading.Barrier(args.threads)
        passed: list[bool] = []
        per_thread = n // args.threads

        def worker() -> None:
            barrier.wait()
            try:
                passed.extend(ratelimit.attempt(key, limit=5, window_seconds=60) for _ in range(per_thread))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        total = per_thread * args.threads
        counted_rows = RateCounter.objects.get(key=key).count
        print(
            f"  {args.threads} threads, {total} attempts on one key with a limit of 5: {sum(passed)} passed, "
            f"{counted_rows} counted, {total / elapsed:.0f} attempts/s"
        )
        return 0 if sum(passed) == 5 and counted_rows == total == len(passed) else 1
    finally:
        connections.close_all()
        if args.database == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
