"""A territory screened over several processes gives, household by household, what one batch gives."""

import numpy
import pytest

from guichet.rights.engine import calculate, scale
from guichet.rights.engine.accel import fold
from guichet.rights.engine.calculate import calculate_arrays
from tests.rights.engine.conftest import PERIOD
from tests.rights.engine.test_fold import variant

_HOUSEHOLDS = []  # set by the test before forking: workers inherit it, so nothing but indexes is pickled


def _chunk(bounds: tuple[int, int]) -> list:
    return _HOUSEHOLDS[bounds[0] : bounds[1]]


@pytest.fixture
def territory(households):
    _HOUSEHOLDS[:] = [
        variant(household, 0.3 + index / 7, 29 * index) for index in range(6) for household in households
    ]
    yield _HOUSEHOLDS
    _HOUSEHOLDS.clear()


def test_screening_over_two_processes_equals_one_batch(tbs, territory, monkeypatch):
    monkeypatch.setattr(calculate, "MIN_SHAPE_HOUSEHOLDS", 2)  # so that chunks of 8 fold their shapes
    fold.clear()
    chunks = [(start, min(start + 8, len(territory))) for start in range(0, len(territory), 8)]
    screened = scale.screen(_chunk, chunks, PERIOD, workers=2)
    assert screened.workers == 2 and screened.households == len(territory)
    # Every chunk ran in a worker, which recorded its own plans: this process computed nothing.
    assert fold.stats()["plans"] == 0
    alone = calculate_arrays(territory, PERIOD)
    assert set(screened.amounts) == set(alone.amounts)
    for key, values in alone.amounts.items():
        assert numpy.array_equal(screened.amounts[key], values), key
    for key, values in alone.local_eligible.items():
        eligible = numpy.bincount(alone.person_household, weights=values, minlength=len(territory)) > 0
        assert numpy.array_equal(screened.local_eligible[key], eligible), key
    assert screened.households_per_second > 0


def test_one_worker_runs_in_this_process(tbs, territory):
    screened = scale.screen(_chunk, [(0, 3)], PERIOD, workers=1)
    assert screened.households == 3 and screened.workers == 1
    assert numpy.array_equal(screened.amounts["rsa"], calculate_arrays(territory[:3], PERIOD).amounts["rsa"])
