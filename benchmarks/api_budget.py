"""The rights API's work budget, measured over HTTP.

    uv run python benchmarks/api_budget.py

Starts a Guichet server (gunicorn, one worker, as ``benchmarks/rights.py`` does) and sends (a) requests over budget,
each of which must be refused before anything is computed (the time to the refusal and its status; 0 when the
server refused from the announced size and closed the connection before the whole body was sent), and (b) heavy
requests within budget: their status (200, or 422 when the time limit stops them) and time.
"""

import json
import statistics
import time
import urllib.error
import urllib.request

from rights import GuichetServer

from guichet.rights.engine import mapping
from guichet.rights.engine.system import ensure_django_settings


def send(url: str, body: bytes) -> tuple[int, float]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    except (urllib.error.URLError, ConnectionError):
        # The server answered 413 from the Content-Length and closed the connection while the body was still sent.
        status = 0
    return status, (time.perf_counter() - started) * 1000


def one_adult_payload(requests: dict) -> dict:
    return {
        "individus": {"a": {"date_naissance": {"ETERNITY": "1990-01-01"}, "salaire_net": {"2024-12": 1000}}},
        "familles": {"f": {"parents": ["a"], **requests}},
        "foyers_fiscaux": {"ff": {"declarants": ["a"]}},
        "menages": {"m": {"personne_de_reference": ["a"]}},
    }


def crowd(count: int) -> dict:
    persons = {f"p{index}": {"date_naissance": {"ETERNITY": "2010-01-01"}} for index in range(count)}
    return {
        "individus": persons,
        "familles": {"f": {"parents": ["p0"], "enfants": list(persons)[1:], "rsa": {"2025-01": None}}},
        "foyers_fiscaux": {"ff": {"declarants": ["p0"]}},
        "menages": {"m": {"personne_de_reference": ["p0"]}},
    }


def months(first: str, count: int) -> list[str]:
    return [mapping.month_shift(first, offset) for offset in range(count)]


def main() -> None:
    ensure_django_settings()
    over = {
        "rsa for 24 consecutive months": one_adult_payload({"rsa": dict.fromkeys(months("2025-01", 24))}),
        "rsa for 132 months in one period": one_adult_payload({"rsa": {"month:2015-01:132": None}}),
        "10,000 persons in one family": crowd(10_000),
        "100,000 persons in one family": crowd(100_000),
        "JSON nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
        "an integer of 5,000 digits": json.dumps(one_adult_payload({"rsa": {"2025-01": None}})).replace(
            "1000", "9" * 5000
        ),
        "a body of 2.6 MB": {"padding": "x" * 2_600_000},
    }
    within = {
        "rsa for 12 months (one adult)": one_adult_payload({"rsa": dict.fromkeys(months("2025-01", 12))}),
        "8 aids for 12 months (one adult, 96 computations)": one_adult_payload(
            {
                name: dict.fromkeys(months("2025-01", 12))
                for name in ("rsa", "ppa", "af", "cf", "asf", "aide_logement", "paje_base", "aspa")
            }
        ),
        "rsa on one month for 30 persons": crowd(30),
    }
    with GuichetServer() as server:
        url = server.url + "/api/v1/calculate"
        send(url, json.dumps(one_adult_payload({"rsa": {"2025-01": None}})).encode())  # warm
        print("(a) Over budget: refused before computing (median of 5)")
        for label, payload in over.items():
            body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            answers = [send(url, body) for _ in range(5)]
            status = answers[0][0]
            milliseconds = statistics.median(time for _status, time in answers)
            print(f"  {label:<50} {status:>4} {milliseconds:9.1f} ms  ({len(body) / 1024:,.0f} KB)")
        print("(b) Within budget")
        for label, payload in within.items():
            status, milliseconds = send(url, json.dumps(payload).encode())
            print(f"  {label:<50} {status:>4} {milliseconds:9.1f} ms")


if __name__ == "__main__":
    main()
