"""Benchmark of the rights engine.

    uv run python benchmarks/rights.py [--quick] [--repeat 10] [--guichet-url http://127.0.0.1:8000]

(a) Warm latency of one household with the full catalogue through Guichet's ``web_api_calculate`` (in-process, or
    through HTTP at ``--guichet-url``/api/v1/calculate when given) and through OpenFisca's own Web API
    (``openfisca serve``, started here on 127.0.0.1 with one worker, and stopped at the end): same JSON request,
    median of ``--repeat`` runs each. Then ``/trace`` against Guichet's explanation: latency and JSON size.
(b) Batch throughput in households per second for 1,000, 10,000 and 100,000 synthetic households (``--quick``
    skips 100,000), in chunks of 10,000 with a garbage collection in between, and the peak memory of the process.
"""

import argparse
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
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy

from guichet.rights.engine import mapping
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import calculate_arrays, web_api_calculate, web_api_trace
from guichet.rights.engine.explain import explain
from guichet.rights.engine.situation import HouseholdInput, MemberInput
from guichet.rights.engine.system import ensure_django_settings, versions, warm_up

PERIOD = "2025-01"
CHUNK = 10_000
COMMUNES = ["69123", "69266", "69259", "69256", "69029"]


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


def sample_household() -> HouseholdInput:
    """A single parent of two, working part-time and renting: many aids apply."""
    resources = {month: {"salary": 950.0} for month in mapping.history_months(PERIOD)}
    return HouseholdInput(
        id="bench",
        members=[
            MemberInput("parent", "self", "1988-05-04", "employed", resources),
            MemberInput("child1", "child", "2013-09-01", "student"),
            MemberInput("child2", "child", "2019-02-11", "child"),
        ],
        housing="tenant",
        monthly_rent=640,
        commune_insee="69266",
    )


def synthetic_households(count: int, seed: int) -> list[HouseholdInput]:
    """Random but plausible households (vectorised draws, then plain objects)."""
    rng = numpy.random.default_rng(seed)
    history = mapping.history_months(PERIOD)
    situations = ["employed", "employed", "employed", "unemployed", "retired", "inactive", "disabled", "student"]
    kinds = {"employed": "salary", "unemployed": "unemployment", "retired": "pension"}
    housings = ["tenant", "tenant", "social_tenant", "social_tenant", "owner", "hosted"]
    couples = rng.random(count) < 0.45
    children = rng.choice([0, 0, 1, 1, 2, 2, 3, 4], size=count)
    incomes = numpy.round(rng.gamma(2.0, 700.0, size=(count, 2)), 2)
    ages = rng.integers(19, 85, size=(count, 2))
    household_list = []
    for index in range(count):
        members = []
        for adult in range(2 if couples[index] else 1):
            situation = situations[rng.integers(len(situations))]
            if ages[index, adult] >= 65:
                situation = "retired"
            kind = kinds.get(situation)
            resources = {month: {kind: float(incomes[index, adult])} for month in history} if kind else {}
            birth = datetime.date(2025 - int(ages[index, adult]), 1 + index % 12, 1 + index % 28)
            members.append(MemberInput(f"a{adult}", "self" if adult == 0 else "partner", birth, situation, resources))
        for child in range(int(children[index])):
            birth = datetime.date(2006 + (index + 3 * child) % 19, 1 + child, 1 + index % 28)
            members.append(MemberInput(f"c{child}", "child", birth, "student"))
        housing = housings[index % len(housings)]
        household_list.append(
            HouseholdInput(
                id=str(index),
                members=members,
                housing=housing,
                monthly_rent=float(300 + (index * 37) % 700) if housing in ("tenant", "social_tenant") else None,
                commune_insee=COMMUNES[index % len(COMMUNES)],
                last_year_taxable_income=None if index % 3 else float(incomes[index].sum() * 12),
            )
        )
    return household_list


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latency(args: argparse.Namespace) -> None:
    """Part (a): one household, Guichet vs OpenFisca's Web API; then /trace vs explanation."""
    household = sample_household()
    payload = mapping.calculate_payload(household, get_benefits(), PERIOD)
    if args.guichet_url:
        url = args.guichet_url.rstrip("/")
        url = url if url.endswith("/calculate") else url + "/api/v1/calculate"
        guichet_label = f"Guichet HTTP {url}"

        def guichet() -> object:
            return post_json(url, payload)
    else:
        guichet_label = "Guichet web_api_calculate (in-process)"

        def guichet() -> object:
            return web_api_calculate(copy.deepcopy(payload))

    trace_payload = copy.deepcopy(payload)
    trace_ms = median_ms(lambda: web_api_trace(copy.deepcopy(trace_payload)), max(3, args.repeat // 3))
    # Compact separators, as Flask sends it.
    trace_size = len(json.dumps(web_api_trace(copy.deepcopy(trace_payload)), separators=(",", ":")).encode())
    explain_ms = median_ms(lambda: explain(household, "rsa", PERIOD), max(3, args.repeat // 3))
    explain_size = len(json.dumps(explain(household, "rsa", PERIOD), ensure_ascii=False).encode())
    explain_all_ms = median_ms(
        lambda: [explain(household, benefit.id, PERIOD) for benefit in get_benefits()], max(3, args.repeat // 3)
    )

    count = len(get_benefits())
    print(f"\n(a) One household, full catalogue of national aids ({count} aids), median of {args.repeat}")
    with OpenFiscaServer() as server:

        def openfisca() -> object:
            return post_json(server.url + "/calculate", payload)

        def batch_one() -> object:
            return calculate_arrays([household], PERIOD, local_aid_ids=[])

        # Interleaved runs: the machine is shared, so load changes hit every contender alike.
        timings = interleaved({"guichet": guichet, "openfisca": openfisca, "batch": batch_one}, args.repeat)
        guichet_ms, openfisca_ms, batch_one_ms = timings["guichet"], timings["openfisca"], timings["batch"]
        served = json.loads(post_json(server.url + "/calculate", payload))
        same = served == web_api_calculate(copy.deepcopy(payload))
        openfisca_trace_ms = median_ms(lambda: post_json(server.url + "/trace", payload), max(3, args.repeat // 3))
        openfisca_trace_size = len(post_json(server.url + "/trace", payload))
    rows = [(guichet_label, guichet_ms)]
    rows.append((f"OpenFisca Web API {server.url}/calculate (1 worker)", openfisca_ms))
    rows.append(("Guichet calculate_arrays (array path, the same household)", batch_one_ms))
    for label, value in rows:
        print(f"  {label:<70} {value:9.1f} ms")
    print(f"  {'ratio OpenFisca / Guichet':<70} {openfisca_ms / guichet_ms:9.2f} x")
    print(f"  {'same JSON answer':<70} {same!s:>9}")
    print("\n    Explanations (one household)")
    print(f"  {'OpenFisca Web API /trace':<50} {openfisca_trace_ms:9.1f} ms {openfisca_trace_size / 1024:10.1f} KB")
    print(f"  {'Guichet web_api_trace (in-process)':<50} {trace_ms:9.1f} ms {trace_size / 1024:10.1f} KB")
    print(f"  {'Guichet explain(rsa)':<50} {explain_ms:9.1f} ms {explain_size / 1024:10.1f} KB")
    print(f"  {'Guichet explain(every aid of the catalogue)':<50} {explain_all_ms:9.1f} ms")


def throughput(args: argparse.Namespace) -> None:
    """Part (b): households per second through the vectorised batch path, national and local aids."""
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
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


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the 100,000 households batch")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per latency measure (default 10)")
    parser.add_argument("--guichet-url", help="measure Guichet through HTTP at URL/api/v1/calculate")
    parser.add_argument("--skip-latency", action="store_true", help="only the batch throughput")
    args = parser.parse_args()

    ensure_django_settings()
    began = time.perf_counter()
    warm_up(PERIOD)
    print(f"Engine {versions()}; warm-up {time.perf_counter() - began:.1f} s; {os.cpu_count()} CPU(s)")
    if not args.skip_latency:
        latency(args)
    throughput(args)
    print(f"\nPeak memory: {peak_memory_mb():,.0f} MB")


if __name__ == "__main__":
    main()
