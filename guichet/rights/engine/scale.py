"""Screening a whole territory: many vectorised simulations in chunks, over several processes.

A chunk is computed one simulation per household shape (``calculate.calculate_arrays``), each costing a fixed
~0.1 s plus ~15-25 µs per person once its shape is known: the larger the chunk, the larger each shape's group and
the smaller its share of that fixed cost, while memory grows with the chunk (~0.4 GB of peak RSS for 50,000
households); ``gc.collect()`` between chunks keeps it flat. A chunk is best given as columns
(``situation.HouseholdColumns``): its simulation is built from them in ~0.3 s for 50,000 households
(``mapping.build_batch``), where making 50,000 ``HouseholdInput`` objects and turning them into columns would take
~3 s, more than computing them. Chunks are independent, so they are spread over worker processes. Workers are
forked from a process whose tax and benefit system is already loaded and warm (copy-on-write), so no worker pays
the load again. Each worker records a shape the first time it meets it (~0.5 s per shape, nearly all on its first
chunk): the workers do it at the same time, none waits for another.

A chunk is described by a picklable ``(function, argument)`` pair that *builds* its households inside the worker:
households are never pickled across processes (building them is cheaper than shipping them). The same pair can be
submitted to a Dask cluster (``client.map``) when a territory outgrows one machine: ``screen_chunk`` is a pure
function of its arguments.
"""

import dataclasses
import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence

import numpy

from guichet.rights.engine.calculate import calculate_arrays
from guichet.rights.engine.situation import HouseholdColumns, HouseholdInput

ChunkBuilder = Callable[[object], HouseholdColumns | Sequence[HouseholdInput]]


@dataclasses.dataclass
class ChunkResult:
    """Amounts per household of one chunk (national aids summed per household; local aids: any member eligible)."""

    index: int
    households: int
    amounts: dict[str, numpy.ndarray]
    local_eligible: dict[str, numpy.ndarray]
    seconds: float
    peak_rss_mb: float


@dataclasses.dataclass
class ScreeningResult:
    """A territory's screening: one row per household, in chunk order."""

    households: int
    amounts: dict[str, numpy.ndarray]
    local_eligible: dict[str, numpy.ndarray]
    seconds: float
    workers: int
    peak_rss_mb: float

    @property
    def households_per_second(self) -> float:
        """Throughput of the whole screening, wall time."""
        return self.households / self.seconds if self.seconds else 0.0


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def screen_chunk(index: int, builder: ChunkBuilder, argument: object, period_month: str) -> ChunkResult:
    """Build one chunk's households and compute every catalogued national and local aid for them."""
    households = builder(argument)
    began = time.perf_counter()
    result = calculate_arrays(households, period_month)
    person_household = result.person_household
    local_eligible = {
        key: numpy.bincount(person_household, weights=values, minlength=len(households)) > 0
        for key, values in result.local_eligible.items()
    }
    chunk = ChunkResult(
        index=index,
        households=len(households),
        amounts=result.amounts,
        local_eligible=local_eligible,
        seconds=time.perf_counter() - began,
        peak_rss_mb=_peak_rss_mb(),
    )
    del result, households
    gc.collect()  # a simulation holds many arrays: free them before the next chunk
    return chunk


def _run(task: tuple) -> ChunkResult:
    return screen_chunk(*task)


def screen(
    builder: ChunkBuilder, arguments: Sequence[object], period_month: str, workers: int | None = None
) -> ScreeningResult:
    """Screen the households built by ``builder(argument)`` for each argument, over ``workers`` processes.

    ``workers`` defaults to the number of CPUs; 1 runs in this process. The engine must be warm in the calling
    process (``system.warm_up``) so forked workers inherit it.
    """
    workers = workers or os.cpu_count() or 1
    tasks = [(index, builder, argument, period_month) for index, argument in enumerate(arguments)]
    began = time.perf_counter()
    if workers == 1 or len(tasks) <= 1:
        chunks = [_run(task) for task in tasks]
        peak = _peak_rss_mb()
    else:
        # fork: workers start with the parent's warm tax and benefit system. Each records a household shape
        # (``accel.fold``) the first time it meets it, while the other does the same, rather than waiting for the
        # parent to record them all on one core. maxtasksperchild bounds the growth of a worker's memory over a long
        # screening.
        context = multiprocessing.get_context("fork")
        with context.Pool(processes=workers, maxtasksperchild=20) as pool:
            chunks = pool.map(_run, tasks, chunksize=1)
        peak = max([chunk.peak_rss_mb for chunk in chunks], default=0.0)
    seconds = time.perf_counter() - began
    chunks.sort(key=lambda chunk: chunk.index)
    keys = chunks[0].amounts.keys() if chunks else []
    local_keys = chunks[0].local_eligible.keys() if chunks else []
    return ScreeningResult(
        households=sum(chunk.households for chunk in chunks),
        amounts={key: numpy.concatenate([chunk.amounts[key] for chunk in chunks]) for key in keys},
        local_eligible={key: numpy.concatenate([chunk.local_eligible[key] for chunk in chunks]) for key in local_keys},
        seconds=seconds,
        workers=workers,
        peak_rss_mb=peak,
    )
