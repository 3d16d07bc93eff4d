"""The process-wide OpenFisca-France tax and benefit system.

Loading OpenFisca-France takes a few seconds (it parses thousands of variables and parameters), and the first
calculation is slower still because formulas and parameters are resolved lazily. One system is therefore shared by
the whole process, loaded once under a lock, and ``warm_up()`` is called at start-up so that no user pays that cost.
The system is read-only once loaded, so simulations built on it from several threads are safe.
"""

import threading
from importlib import metadata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem

_lock = threading.Lock()
_system: "TaxBenefitSystem | None" = None


def get_tax_benefit_system() -> "TaxBenefitSystem":
    """Return the shared OpenFisca-France system, loading it on first use (thread-safe)."""
    global _system
    system = _system
    if system is not None:
        return system
    with _lock:
        if _system is None:
            # Imported here: importing openfisca_france is itself slow, and most processes (migrations, shell)
            # never compute a right.
            from openfisca_france import CountryTaxBenefitSystem

            from guichet.rights.engine import accel

            # The speed layer changes how openfisca-core executes, never the law (see accel/); GUICHET_RIGHTS_ACCEL=0
            # keeps plain OpenFisca.
            accel.enable_from_environment()
            _system = CountryTaxBenefitSystem()
        return _system


def warm_up(period_month: str | None = None) -> None:
    """Load the system and compute a few households of every kind of income, so that formulas are resolved, the
    speed layer has its plans and the salary regimes of the months are known before anyone asks."""
    # Late imports: calculate imports this module.
    import datetime

    from guichet.rights.engine.calculate import calculate_households
    from guichet.rights.engine.mapping import history_months
    from guichet.rights.engine.situation import HouseholdInput, MemberInput

    get_tax_benefit_system()
    month = period_month or f"{datetime.date.today():%Y-%m}"

    def income(kind: str, amount: float) -> dict:
        return {past: {kind: amount} for past in history_months(month)}

    employee = MemberInput("warm-up", "self", "1980-01-01", "employed", income("salary", 1500.0))
    pensioner = MemberInput("warm-up", "self", "1950-01-01", "retired", income("pension", 1000.0))
    unemployed = MemberInput("partner", "partner", "1960-01-01", "unemployed", income("unemployment", 900.0))
    for members in ([employee], [pensioner, unemployed]):
        household = HouseholdInput(members=members, housing="tenant", monthly_rent=500, commune_insee="69123")
        calculate_households([household], month)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # pragma: no cover - both are hard dependencies
        return "unknown"


ENGINE_NAME = "openfisca-core"
MODEL_NAME = "openfisca-france"
ENGINE_VERSION = _version(ENGINE_NAME)
MODEL_VERSION = _version(MODEL_NAME)


def versions() -> dict[str, str]:
    """The engine and model versions, stored with every result so it can be recomputed identically."""
    return {
        "engine": ENGINE_NAME,
        "engine_version": ENGINE_VERSION,
        "model": MODEL_NAME,
        "model_version": MODEL_VERSION,
    }


def ensure_django_settings() -> None:
    """Configure minimal Django settings when the engine runs outside Django (scripts, benchmarks).

    User-facing strings are lazy translations; without settings they could not be rendered. Inside Guichet the
    project's settings are already configured and this does nothing.
    """
    from django.conf import settings

    if not settings.configured:
        # Without i18n, gettext returns the French source strings, which are what we want here.
        settings.configure(USE_I18N=False, LANGUAGE_CODE="fr")
