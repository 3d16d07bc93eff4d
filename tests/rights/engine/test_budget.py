"""The rights API's budget and time limit, below HTTP: the published payloads fit the budget; the time limit holds
in a thread that cannot receive signals."""

import copy
import json
import threading
import time

import pytest

from guichet.rights import budget
from guichet.rights.engine import mapping
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import web_api_calculate
from guichet.rights.engine.deadline import TimeLimitExceeded, time_limit
from tests.rights.engine.conftest import PERIOD


def one_adult(requests: dict) -> dict:
    return {
        "individus": {"a": {"date_naissance": {"ETERNITY": "1990-01-01"}, "salaire_net": {"2024-12": 1000}}},
        "familles": {"f": {"parents": ["a"], **requests}},
        "foyers_fiscaux": {"ff": {"declarants": ["a"]}},
        "menages": {"m": {"personne_de_reference": ["a"]}},
    }


def test_the_time_limit_holds_outside_the_main_thread(tbs):
    # The development server and thread pools cannot receive signals: every formula run checks the deadline.
    payload = one_adult({"rsa": dict.fromkeys(mapping.month_shift("2024-01", offset) for offset in range(12))})
    outcome = {}

    def run():
        try:
            with time_limit(0.5):
                web_api_calculate(payload)
            outcome["result"] = "finished"
        except TimeLimitExceeded:
            outcome["result"] = "stopped"

    started = time.perf_counter()
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert outcome["result"] == "stopped"
    assert time.perf_counter() - started < 3


def test_the_published_payloads_are_within_budget(households):
    # The catalogue's payload of every household of the tests and of the benchmark's households.
    limits = budget.Limits.from_settings()
    for household in households:
        payload = mapping.calculate_payload(household, get_benefits(), PERIOD)
        budget.check_size(len(json.dumps(payload)), limits)
        budget.check_situation(copy.deepcopy(payload), limits)
    from tests.rights.test_api import FAMILY

    budget.check_situation(FAMILY, limits)


def test_a_computation_within_its_time_limit_is_untouched(tbs):
    payload = one_adult({"rsa": {PERIOD: None}})
    with time_limit(30):
        answer = web_api_calculate(copy.deepcopy(payload))
    assert answer["familles"]["f"]["rsa"][PERIOD] == pytest.approx(
        web_api_calculate(payload)["familles"]["f"]["rsa"][PERIOD]
    )


def test_deeply_nested_json_is_measured_without_recursion():
    limits = budget.Limits.from_settings()
    with pytest.raises(budget.OverBudget, match="imbriqué"):
        budget.parse_json(b"[" * 200_000 + b"]" * 200_000, limits)
    # Brackets inside strings do not count.
    assert budget.parse_json(json.dumps({"a": "[" * 100}).encode(), limits) == {"a": "[" * 100}
