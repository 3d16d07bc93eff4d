"""A time limit a computation cannot overrun.

``time_limit(seconds)`` raises ``TimeLimitExceeded`` inside the computation once the time is spent, wherever it is:

* in the main thread (a gunicorn sync worker serves every request there), a real-time timer's signal interrupts it
  between any two Python bytecodes, formulas and the speed layer included;
* in another thread (the development server, a thread pool), where signals cannot be delivered, every formula run
  checks the deadline first (``Simulation._run_formula`` is wrapped once: a clock read per formula, a few hundred
  nanoseconds).

``TimeLimitExceeded`` derives from ``BaseException``: the ``except Exception`` that turns any failure of OpenFisca
on a payload into a 400 does not swallow it, nor does anything else on the way up.
"""

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

from openfisca_core.simulations import Simulation


class TimeLimitExceeded(BaseException):
    """The computation took longer than its time limit."""


_local = threading.local()
_run_formula = Simulation._run_formula


def _checked_run_formula(self, variable, population, period):
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise TimeLimitExceeded
    return _run_formula(self, variable, population, period)


Simulation._run_formula = _checked_run_formula


def _interrupt(_signum, _frame) -> None:
    raise TimeLimitExceeded


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``TimeLimitExceeded`` in the block once ``seconds`` have passed (no limit when ``seconds`` <= 0)."""
    if seconds <= 0:
        yield
        return
    previous_deadline = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous_handler = None
    if in_main_thread:
        previous_handler = signal.signal(signal.SIGALRM, _interrupt)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if in_main_thread:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler)
        _local.deadline = previous_deadline
