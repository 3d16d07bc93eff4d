"""Benchmark of the rights engine.

    uv run python benchmarks/rights.py [--quick] [--repeat 10] [--guichet-url URL] [--served 30] [--tail 300]
                                     [--territory N]

(a) Warm latency of one household with the full catalogue through Guichet's ``POST /api/v1/calculate`` over HTTP
    (a gunicorn worker started here on 127.0.0.1 with the project's settings, or ``--guichet-url``) and through
    OpenFisca's own Web API (``openfisca serve``, started here on 127.0.0.1 with one worker): the same JSON request
    for both in each round, a DIFFERENT household in every round (salary and rent vary), median of ``--repeat``
    rounds, interleaved (the first request of the shape records what ``accel.fold`` reuses; it is the untimed
    round); then each server answering other households back to back (no request to the other server in between
    to evict its CPU caches). Before that, each server answers ``--served`` other households (30), untimed, as a
    server in service has answered many people: ``accel.fold`` learns from the values it met (ages, rates, flags).
    In-process figures with the speed layer on and off are printed for reference, and with the layer on the mean,
    99th percentile and slowest of ``--tail`` more households (300; garbage collections included). Then the whole
    path of the questionnaire: ``POST /api/v1/simulation`` (Guichet's plain household form: incomes solved, past
    benefits settled, every national and local aid with its reason), median of ``--repeat`` different households
    over HTTP and in process (``rights.simulation.simulate``). Then ``/trace``
    against Guichet's per-aid explanation: latency (median of ``--repeat``, a different household each time, after
    explaining ``--served`` others) and JSON size.
(b) Batch throughput in households per second for 1,000 and 10,000 synthetic households in one process
    (``--quick`` skips 10,000), then a synthetic territory of ``--territory`` households (20,000) screened over
    every CPU (``guichet.rights.engine.scale``), with the peak memory. Every household goes through the whole
    mapping (incomes solved, revenus fiscaux estimated, past benefits settled): about a hundred households a second
    a core, where nets alone gave tens of thousands (see docs/decisions/2026-12-07-rights-mapping.md). The
    households are drawn as arrays (``HouseholdColumns``), as a screening reads them from a data warehouse.
"""

import argparse
import contextlib
import copy
import datetime
import gc
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy

from guichet.rights.engine import accel, mapping, scale
from guichet.rights.engine.accel import fold
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import calculate_arrays, web_api_calculate, web_api_trace
from guichet.rights.engine.explain import explain
from guichet.rights.engine.situation import RESOURCE_ORDER, HouseholdColumns, HouseholdInput, MemberInput
from guichet.rights.engine.system import ensure_django_settings, versions, warm_up

PERIOD = "2025-01"
CHUNK = 50_000  # households per simulation group: larger groups of one shape share its fixed cost (see scale)
COMMUNES = ["69123", "69266", "69259", "69256", "69029"]
KINDS = {"employed": "salary", "unemployed": "unemployment", "retired": "pension"}  # the income of each situation


def median_ms(function: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls, in milliseconds (after one untimed call)."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def interleaved(functions: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall time in ms of each function, calling them in turn ``repeat`` times (after one untimed round)."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for round_index in range(repeat + 1):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            if round_index:
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def post_json(url: str, payload: dict) -> bytes:
    """POST a JSON payload and return the raw response body."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return response.read()


def free_port() -> int:
    """A free 4-digit TCP port on 127.0.0.1 (``openfisca serve`` rewrites the last 4 characters of its bind)."""
    for port in range(8765, 9999):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port")


class OpenFiscaServer:
    """``openfisca serve`` in a subprocess, for the duration of a ``with`` block."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "OpenFiscaServer":
        command = [
            str(Path(sys.executable).parent / "openfisca"),
            "serve",
            "--country-package",
            "openfisca_france",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("openfisca serve stopped while starting")
            try:
                urllib.request.urlopen(self.url + "/", timeout=2)
            except urllib.error.HTTPError:  # the root answers 300: the server is up
                return self
            except OSError:
                time.sleep(0.5)
                continue
            return self
        raise RuntimeError("openfisca serve did not start within 180 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: gunicorn and its worker
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class GuichetServer:
    """Guichet under gunicorn (one worker, like ``openfisca serve`` here), for the duration of a ``with`` block."""

    def __init__(self) -> None:
        self.data_dir = tempfile.TemporaryDirectory(prefix="guichet-benchmark-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "GuichetServer":
        root = Path(__file__).resolve().parents[1]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only-secret-key-" + "x" * 40),
            "AUDIT_CHAIN_KEY": os.environ.get("AUDIT_CHAIN_KEY", "benchmark-only-audit-chain-key-" + "x" * 40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "RIGHTS_API_RATE_LIMIT": "1000000",  # the benchmark is one client sending many requests
            "DATABASE_CONN_MAX_AGE": "60",  # as deployed (and as ``benchmarks/booking.py`` runs it)
            # A database of its own, for the rate limiter's counters: the demo's data is never touched.
            "GUICHET_DATA_DIR": self.data_dir.name,
            "DATABASE_URL": f"sqlite:///{self.data_dir.name}/benchmark.sqlite3",
        }
        # The rate limiter's counters (a table) and the cache must exist, or the API refuses every request.
        for command in (["migrate", "--no-input"], ["createcachetable"]):
            subprocess.run(
                [str(Path(sys.executable).parent / "guichet"), *command],
                cwd=root,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "1",
            "--timeout",
            "600",
        ]
        self.process = subprocess.Popen(
            command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped while starting")
            try:
                urllib.request.urlopen(self.url + "/api/v1/benefits", timeout=5)
                return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("gunicorn did not start within 180 s")

    def __exit__(self, *exc: object) -> None:
        OpenFiscaServer.__exit__(self, *exc)
        self.data_dir.cleanup()


def sample_household(salary: float = 950.0, rent: float = 640, days: int = 0) -> HouseholdInput:
    """A single parent of two, working part-time and renting: many aids apply (birth dates moved by ``days``)."""
    resources = {month: {"salary": salary} for month in mapping.history_months(PERIOD)}
    born = [datetime.date(1988, 5, 4), datetime.date(2013, 9, 1), datetime.date(2019, 2, 11)]
    born = [date + datetime.timedelta(days=days) for date in born]
    return HouseholdInput(
        id="bench",
        members=[
            MemberInput("parent", "self", born[0], "employed", resources),
            MemberInput("child1", "child", born[1], "student"),
            MemberInput("child2", "child", born[2], "child"),
        ],
        housing="tenant",
        monthly_rent=rent,
        commune_insee="69266",
    )


def varied_household(index: int) -> HouseholdInput:
    """The sample household with salary, rent and birth dates changed by ``index``."""
    return sample_household(900.0 + 13.37 * index, 600 + 7 * index, 41 * index)


def simulation_body(index: int) -> dict:
    """A ``/api/v1/simulation`` request for the varied household ``index``."""
    return {"month": PERIOD, "household": varied_household(index).to_dict()}


def varied_payloads(count: int, start: int = 0) -> list[dict]:
    """``count`` distinct one-household requests (salary, rent and birth dates change): no answer is ever reused."""
    return [
        mapping.calculate_payload(varied_household(index), get_benefits(), PERIOD)
        for index in range(start, start + count)
    ]


def served_payloads(count: int) -> list[dict]:
    """``count`` other one-household requests than the measured ones (negative indices): what a server in service
    has answered before (what ``accel.fold`` learnt from other people's values)."""
    return [
        mapping.calculate_payload(varied_household(-index), get_benefits(), PERIOD) for index in range(1, count + 1)
    ]


def synthetic_households(count: int, seed: int) -> HouseholdColumns:
    """Random but plausible households, drawn as columns (as a territory's screening reads them): one or two adults
    (employed, unemployed, retired past 65...) with a year of steady income, up to four children, a housing."""
    rng = numpy.random.default_rng(seed)
    situations = numpy.array(
        ["employed", "employed", "employed", "unemployed", "retired", "inactive", "disabled", "student"]
    )
    housings = numpy.array(["tenant", "tenant", "social_tenant", "social_tenant", "owner", "hosted"])
    couples = rng.random(count) < 0.45
    children = rng.choice([0, 0, 1, 1, 2, 2, 3, 4], size=count)
    incomes = numpy.round(rng.gamma(2.0, 700.0, size=(count, 2)), 2)
    ages = rng.integers(19, 85, size=(count, 2))
    drawn = rng.integers(len(situations), size=(count, 2))
    index = numpy.arange(count)
    adults = 1 + couples.astype(numpy.int64)
    sizes = adults + children
    household = numpy.repeat(index, sizes)
    rank = numpy.arange(int(sizes.sum())) - numpy.repeat(numpy.cumsum(sizes) - sizes, sizes)
    adult = rank < adults[household]
    which = numpy.minimum(rank, 1)  # the first or second adult
    child = rank - adults[household]
    age = ages[household, which]
    situation = numpy.where(
        adult, numpy.where(age >= 65, "retired", situations[drawn[household, which]]), "student"
    ).astype(str)
    # The kind of income of each adult, the same amount every month of the past year.
    kinds = {situation: RESOURCE_ORDER.index(kind) for situation, kind in KINDS.items()}
    kind = numpy.array([kinds.get(name, -1) for name in situation.tolist()])
    earning = adult & (kind >= 0)
    history = len(mapping.history_months(PERIOD))
    resources = numpy.zeros((len(household), len(RESOURCE_ORDER), history + 1))
    resources[earning, kind[earning], :history] = incomes[household[earning], which[earning], None]
    month_given = numpy.zeros((len(household), history + 1), dtype=bool)
    month_given[earning, :history] = True
    day = 1 + household % 28
    year = numpy.where(adult, 2025 - age, 2006 + (household + 3 * child) % 19)
    month = numpy.where(adult, 1 + household % 12, 1 + child)
    birth = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)
    birth = birth.astype("datetime64[D]") + (day - 1)
    letters = numpy.where(adult, "a", "c")
    numbers = numpy.where(adult, which, child).astype(str)
    housing = housings[index % len(housings)]
    renting = numpy.isin(housing, ["tenant", "social_tenant"])
    return HouseholdColumns(
        months=tuple(mapping.situation_months(PERIOD)),
        housing=housing,
        commune_insee=numpy.array(COMMUNES)[index % len(COMMUNES)],
        monthly_rent=numpy.where(renting, 300 + (index * 37) % 700, numpy.nan),
        last_year_taxable_income=numpy.where(index % 3 == 0, (incomes[:, 0] + incomes[:, 1]) * 12, numpy.nan),
        member_household=household,
        member_id=numpy.char.add(letters, numbers).tolist(),
        relationship=numpy.where(adult, numpy.where(rank == 0, "self", "partner"), "child"),
        birth_date=birth,
        situation=situation,
        resources=resources,
        month_given=month_given,
        household_id=index.astype(str).tolist(),
    )


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latency(args: argparse.Namespace) -> None:
    """Part (a): one household, Guichet's HTTP API vs OpenFisca's Web API; then /trace vs explanation."""
    household = sample_household()
    payload = mapping.calculate_payload(household, get_benefits(), PERIOD)
    payloads = varied_payloads(args.repeat + 1)
    rounds = iter(range(10**9))

    trace_payload = copy.deepcopy(payload)
    trace_ms = median_ms(lambda: web_api_trace(copy.deepcopy(trace_payload)), max(3, args.repeat // 3))
    # Compact separators, as Flask sends it.
    trace_size = len(json.dumps(web_api_trace(copy.deepcopy(trace_payload)), separators=(",", ":")).encode())
    # A different household each time, as for /calculate: what the speed layer reuses must not be the answers. As a
    # server in service, the engine first explained other households (untimed): ``accel.fold`` learns from them.
    for index in range(1, args.served + 1):
        explain(varied_household(-index), "rsa", PERIOD)
    explained = iter(range(1, 10**9))
    explain_ms = median_ms(lambda: explain(varied_household(next(explained)), "rsa", PERIOD), args.repeat)
    explain_size = len(json.dumps(explain(household, "rsa", PERIOD), ensure_ascii=False).encode())
    explain_all_ms = median_ms(
        lambda: [explain(varied_household(next(explained)), benefit.id, PERIOD) for benefit in get_benefits()],
        max(3, args.repeat // 3),
    )
    from guichet.rights.simulation import simulate  # Django settings are configured by now

    simulated = iter(range(3000, 4000))
    for _ in range(args.served // 3):
        simulate(varied_household(next(simulated)), PERIOD)
    simulate_ms = median_ms(lambda: simulate(varied_household(next(simulated)), PERIOD), args.repeat)
    served = served_payloads(args.served)
    in_process = {}
    for flag in (True, False):
        with accel.enabled(flag):
            for one in served if flag else []:
                web_api_calculate(copy.deepcopy(one))
            in_process[flag] = median_ms(
                lambda: web_api_calculate(copy.deepcopy(payloads[next(rounds) % len(payloads)])), args.repeat
            )
    tail = []
    for one in varied_payloads(args.tail, start=1000):
        one = copy.deepcopy(one)
        start = time.perf_counter()
        web_api_calculate(one)
        tail.append((time.perf_counter() - start) * 1000)
    tail.sort()

    count = len(get_benefits())
    print(f"\n(a) One household, full catalogue of national aids ({count} aids), median of {args.repeat}")
    print(f"    (each server, and the in-process engine, first answered {args.served} other households, untimed)")
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(OpenFiscaServer())
        guichet_url = args.guichet_url or stack.enter_context(GuichetServer()).url
        guichet_url = guichet_url.rstrip("/")
        guichet_url = guichet_url if guichet_url.endswith("/calculate") else guichet_url + "/api/v1/calculate"
        state = {"round": 0}

        def guichet() -> object:
            return post_json(guichet_url, payloads[state["round"]])

        def openfisca() -> object:
            answer = post_json(server.url + "/calculate", payloads[state["round"]])
            state["round"] = (state["round"] + 1) % len(payloads)  # next round: a new household for both
            return answer

        for one in served:  # both servers first answer other households, untimed
            post_json(guichet_url, one)
            post_json(server.url + "/calculate", one)
        # Interleaved runs: the machine is shared, so load changes hit every contender alike.
        timings = interleaved({"guichet": guichet, "openfisca": openfisca}, args.repeat)
        guichet_ms, openfisca_ms = timings["guichet"], timings["openfisca"]
        # Each server answering other households back to back, with no request to the other server in between
        # (whose work evicts the first one's CPU caches): what a busy server sees.
        consecutive = iter(varied_payloads(2 * (args.repeat + 1), start=args.repeat + 1))
        back_to_back = {
            name: median_ms(lambda url=url: post_json(url, next(consecutive)), args.repeat)
            for name, url in (("guichet", guichet_url), ("openfisca", server.url + "/calculate"))
        }
        same = all(
            json.loads(post_json(server.url + "/calculate", one)) == json.loads(post_json(guichet_url, one))
            for one in payloads[:3]
        )
        simulation_url = guichet_url.removesuffix("/calculate") + "/simulation"
        bodies = iter(simulation_body(index) for index in range(2000, 3000))
        for _ in range(args.served // 3):  # other households first, untimed
            post_json(simulation_url, next(bodies))
        simulation_ms = median_ms(lambda: post_json(simulation_url, next(bodies)), args.repeat)
        openfisca_trace_ms = median_ms(lambda: post_json(server.url + "/trace", payload), max(3, args.repeat // 3))
        openfisca_trace_size = len(post_json(server.url + "/trace", payload))
    rows = [(f"Guichet HTTP {guichet_url} (gunicorn, 1 worker)", guichet_ms)]
    rows.append((f"OpenFisca Web API {server.url}/calculate (1 worker)", openfisca_ms))
    rows.append(("Guichet web_api_calculate in-process, speed layer on", in_process[True]))
    rows.append(("Guichet web_api_calculate in-process, speed layer off (plain)", in_process[False]))
    for label, value in rows:
        print(f"  {label:<70} {value:9.1f} ms")
    if tail:
        print(
            f"  {f'in-process, layer on, {len(tail)} households: mean, 99th percentile, slowest':<50} "
            f"{statistics.mean(tail):9.1f} {tail[int(0.99 * (len(tail) - 1))]:9.1f} {tail[-1]:9.1f} ms"
        )
    print(f"  {'ratio OpenFisca / Guichet (HTTP, distinct households)':<70} {openfisca_ms / guichet_ms:9.2f} x")
    print(
        f"  {'each server back to back: Guichet / OpenFisca (ms), ratio':<50} {back_to_back['guichet']:9.1f} "
        f"{back_to_back['openfisca']:9.1f} {back_to_back['openfisca'] / back_to_back['guichet']:9.2f} x"
    )
    print(f"  {'same JSON answers (3 households)':<70} {same!s:>9}")
    print("\n    The questionnaire's whole path (one household, every national and local aid with its reason)")
    print(f"  {'Guichet HTTP /api/v1/simulation':<50} {simulation_ms:9.1f} ms")
    print(f"  {'Guichet simulate() in-process':<50} {simulate_ms:9.1f} ms")
    print("\n    Explanations (one household)")
    print(f"  {'OpenFisca Web API /trace':<50} {openfisca_trace_ms:9.1f} ms {openfisca_trace_size / 1024:10.1f} KB")
    print(f"  {'Guichet web_api_trace (in-process)':<50} {trace_ms:9.1f} ms {trace_size / 1024:10.1f} KB")
    print(f"  {'Guichet explain(rsa)':<50} {explain_ms:9.1f} ms {explain_size / 1024:10.1f} KB")
    print(f"  {'ratio /trace / explain(rsa)':<50} {openfisca_trace_ms / explain_ms:9.2f} x")
    print(f"  {'Guichet explain(every aid of the catalogue)':<50} {explain_all_ms:9.1f} ms")


def _territory_chunk(argument: tuple[int, int]) -> HouseholdColumns:
    count, seed = argument
    return synthetic_households(count, seed)


def throughput(args: argparse.Namespace) -> None:
    """Part (b): households per second through the vectorised batch path, national and local aids."""
    sizes = [1_000] if args.quick else [1_000, 10_000]
    print(f"\n(b) Batch throughput (all {len(get_benefits())} national aids + local aids), chunks of {CHUNK:,}")
    print(f"  {'households':>12} {'seconds':>10} {'households/s':>14} {'peak RSS (MB)':>15}")
    for size in sizes:
        gc.collect()
        elapsed = 0.0
        eligible = 0
        for start in range(0, size, CHUNK):
            chunk = synthetic_households(min(CHUNK, size - start), seed=start + size)
            began = time.perf_counter()
            result = calculate_arrays(chunk, PERIOD)
            elapsed += time.perf_counter() - began
            eligible += int((result.amounts["rsa"] > 0).sum())
            del chunk, result
            gc.collect()
        print(
            f"  {size:>12,} {elapsed:>10.1f} {size / elapsed:>14,.0f} {peak_memory_mb():>15,.0f}   (RSA: {eligible:,})"
        )
    if args.territory:
        size = args.territory
        gc.collect()
        chunk = min(CHUNK, max(1, size // (2 * args.workers)))  # every worker gets chunks
        arguments = [(min(chunk, size - start), 10**6 + start) for start in range(0, size, chunk)]
        result = scale.screen(_territory_chunk, arguments, PERIOD, workers=args.workers)
        eligible = int((result.amounts["rsa"] > 0).sum())
        print(
            f"  {size:>12,} {result.seconds:>10.1f} {result.households_per_second:>14,.0f} "
            f"{result.peak_rss_mb:>15,.0f}   (territory, {result.workers} processes, wall time incl. building; "
            f"peak RSS per worker; RSA: {eligible:,})"
        )


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the 10,000 households batch")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per latency measure (default 10)")
    parser.add_argument("--guichet-url", help="measure Guichet through HTTP at URL/api/v1/calculate")
    parser.add_argument(
        "--served", type=int, default=30, help="other households each server answers before the timed rounds"
    )
    parser.add_argument("--tail", type=int, default=300, help="households of the in-process tail latency (0: none)")
    parser.add_argument("--skip-latency", action="store_true", help="only the batch throughput")
    parser.add_argument("--territory", type=int, default=20_000, help="households of the territory run (0: none)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes of the territory run")
    args = parser.parse_args()

    ensure_django_settings()
    began = time.perf_counter()
    warm_up(PERIOD)
    print(f"Engine {versions()}; warm-up {time.perf_counter() - began:.1f} s; {os.cpu_count()} CPU(s)")
    print(f"Speed layer: {'on' if accel.is_enabled() else 'off'}; load average {os.getloadavg()}")
    if not args.skip_latency:
        latency(args)
    throughput(args)
    print(f"\nFolding (accel.fold) in this process: {fold.stats()}")
    print(f"Peak memory: {peak_memory_mb():,.0f} MB")


if __name__ == "__main__":
    main()
