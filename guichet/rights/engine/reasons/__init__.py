"""Why a national aid is not due, and how the amount of a due one is made up, read from the law's own variables.

``reason`` names the FIRST condition an aid's famille does not meet, in the order the law states them (age,
composition of the household, housing, activity, resources...), with the figures it depends on: the household's
value and the threshold. ``breakdown`` gives, for an aid that is due, the few figures a person needs to follow the
calculation, and they add up to the amount to the cent. ``local_reason`` does the same as ``reason`` for a local aid
and one person.

Everything is read from the simulation: the aid's eligibility variables, its resources, ceilings and intermediate
amounts, and the parameters of the month through ``simulation.tax_benefit_system.parameters``. No amount of the law
is copied here: where OpenFisca-France computes a ceiling inside a formula without a variable of its own (PAJE,
bourses, ARS), the same expression is evaluated from the same parameters.

This module is pure Python (numpy and openfisca-core): no Django, no wording. The sentences people read are built
from ``Reason.code`` / ``Line.code`` and their figures by ``guichet.rights.wording``; ``CODES``, ``LINE_CODES`` and
``LOCAL_CODES`` list every code, so that the wording and its tests can check none is left without words.

Conventions: the famille at index ``famille`` (0: the household's main famille); an aid computed on individuals (AAH)
is read for the members of that famille, an aid computed on the ménage (chèque énergie) for the ménage of its
demandeur. Money figures are euros rounded to the cent; rates are percentages; ``year`` figures are the income year
a resource is read on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guichet.rights.engine.reasons.conditions import REASONS
from guichet.rights.engine.reasons.famille import (
    CENT,
    CODES,
    LINE_CODES,
    LOCAL_CODES,
    Line,
    Reason,
    _aid_value,
    _Famille,
    _money,
    aid_value,
)
from guichet.rights.engine.reasons.lines import BREAKDOWNS
from guichet.rights.engine.reasons.local import local_reason

if TYPE_CHECKING:
    from openfisca_core.simulations import Simulation

    from guichet.rights.engine.benefits import Benefit

__all__ = ["CODES", "LINE_CODES", "LOCAL_CODES", "Line", "Reason", "aid_value", "breakdown", "local_reason", "reason"]


def reason(simulation: Simulation, benefit: Benefit, period_month: str, famille: int = 0) -> Reason | None:
    """The first condition of a national aid that the famille at index ``famille`` does not meet, or None if due.

    Conditions are checked in the order the law states them, each with the aid's own OpenFisca variables and
    parameters of the month. When none of the known conditions explains a zero amount, the code is
    ``"<aid>.other"`` (a last resort the tests check ordinary households never reach).
    """
    reader = _Famille(simulation, period_month, famille)
    if _aid_value(reader, benefit) > 0:
        return None
    found = REASONS[benefit.id](reader) if benefit.id in REASONS else None
    return found or Reason(f"{benefit.id}.other", {})


def breakdown(simulation: Simulation, benefit: Benefit, period_month: str, famille: int = 0) -> list[Line]:
    """The lines of the calculation of a due aid for the famille at index ``famille``; empty when it is not due.

    The amounts add up to the aid's value for that famille to the cent (for the free CSS, a cover and not money,
    the lines are worth 0 €). Where the law rounds (the housing aid is rounded down to the euro, the CF to the cent),
    a ``"<aid>.rounding"`` line says so instead of hiding it.
    """
    reader = _Famille(simulation, period_month, famille)
    value = _aid_value(reader, benefit)
    if value <= 0:
        return []
    lines = [Line(line.code, _money(line.amount), line.figures) for line in BREAKDOWNS[benefit.id](reader)]
    target = 0.0 if benefit.kind == "boolean" else _money(value)
    difference = _money(target - sum(line.amount for line in lines))
    if abs(difference) >= CENT and not any(line.code == f"{benefit.id}.rounding" for line in lines):
        # Cents lost by the law's own roundings (and by rounding each line to the cent), shown rather than hidden.
        lines.append(Line(f"{benefit.id}.rounding", difference))
    return lines
