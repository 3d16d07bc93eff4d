"""Guichet's speed layer for OpenFisca: how the law is *executed*, never what it says.

OpenFisca-France stays the only source of the law. This package changes how openfisca-core runs its formulas, by
replacing a few of its internal functions with equivalent but faster ones (see ``patches``). Every replacement
returns exactly what the original returns (same arrays, same dtypes, same errors); the differential tests in
``tests/rights/engine/test_accel.py`` compare amounts with the layer on and off over generated households. ``build``
builds a simulation from a Web API situation in bulk, the very simulation OpenFisca's ``SimulationBuilder`` builds,
and ``build.release`` frees a simulation by reference counting once its results are read.

The layer is written for one openfisca-core version (``OPENFISCA_CORE_VERSION``): ``enable()`` refuses to patch any
other version, so an upgrade falls back to plain OpenFisca until the patches are reviewed again.

Switch: the environment variable ``GUICHET_RIGHTS_ACCEL`` (``1`` by default; ``0`` keeps plain OpenFisca), or
``enable()`` / ``disable()`` / ``enabled(flag)`` at run time (the tests flip it).
"""

import contextlib
import os
from collections.abc import Iterator

from guichet.rights.engine.accel import patches

OPENFISCA_CORE_VERSION = patches.OPENFISCA_CORE_VERSION


def is_enabled() -> bool:
    """Whether the speed layer is currently installed."""
    return patches.is_installed()


def enable() -> bool:
    """Install the speed layer; returns False (and changes nothing) on an openfisca-core it was not written for."""
    return patches.install()


def disable() -> None:
    """Restore plain openfisca-core."""
    patches.uninstall()


@contextlib.contextmanager
def enabled(flag: bool) -> Iterator[None]:
    """Run a block with the speed layer on (``True``) or off (``False``), restoring the previous state after."""
    previous = is_enabled()
    if flag:
        enable()
    else:
        disable()
    try:
        yield
    finally:
        if previous:
            enable()
        else:
            disable()


def enable_from_environment() -> bool:
    """Install the speed layer unless ``GUICHET_RIGHTS_ACCEL=0``; returns whether it is on."""
    if os.environ.get("GUICHET_RIGHTS_ACCEL", "1").strip().lower() in ("0", "false", "no", "off"):
        disable()
        return False
    return enable()
