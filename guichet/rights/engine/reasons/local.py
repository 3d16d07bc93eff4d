"""Why a local aid is not given to one person: the first of its conditions the person does not meet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy

from guichet.rights.engine.reasons.famille import Figure, Reason, _money

if TYPE_CHECKING:
    from guichet.rights.engine.local import LocalAid


def local_reason(aid: LocalAid, features: Mapping[str, numpy.ndarray], person: int, period_month: str) -> Reason:
    """The condition of a local aid that one person does not meet, with figures (checked in the aid's order).

    ``features`` is what ``mapping.person_features`` returns. Codes: ``local.validity``, ``local.commune``,
    ``local.age_min``, ``local.age_max``, ``local.qf_min``, ``local.qf_max`` (above the aid's own ceiling),
    ``local.qf_bands`` (above the highest band's ceiling), ``local.receives``, ``local.not_receives``,
    ``local.student``, ``local.not_student``, ``local.disabled``, ``local.not_disabled``, and ``local.other``.
    """
    if not aid.valid_on(period_month):
        figures: dict[str, Figure] = {"month": period_month, "start": aid.start.isoformat()}
        if aid.end is not None:
            figures["end"] = aid.end.isoformat()
        return Reason("local.validity", figures)
    failed = _local_condition(aid.conditions, features, person)
    if failed:
        return failed
    # The aid applies to the person; no band matched: for a family-quotient grid, the QF is above its last ceiling.
    ceilings = [band.when["qf_max"] for band in aid.bands if "qf_max" in band.when]
    qf = float(features["qf"][person])
    if ceilings and qf > max(ceilings):
        return Reason("local.qf_bands", {"qf": _money(qf), "ceiling": _money(max(ceilings))})
    for band in aid.bands:
        failed = _local_condition(band.when, features, person)
        if failed and failed.code != "local.qf_max":
            return failed
    return Reason("local.other", {})


def _local_condition(conditions: Mapping, features: Mapping[str, numpy.ndarray], person: int) -> Reason | None:
    """The first condition of a mapping (the aid's own or a band's) that one person does not meet."""
    for name, value in conditions.items():
        if name == "communes":
            commune = str(features["commune"][person])
            if commune not in value:
                return Reason("local.commune", {"commune": commune, "communes": len(value)})
        elif name in ("age_min", "age_max"):
            age = int(features["age"][person])
            if (name == "age_min" and age < value) or (name == "age_max" and age > value):
                # Both bounds, when the aid has both, make one sentence ("from 15 to 25").
                bounds = {key: int(conditions[key]) for key in ("age_min", "age_max") if key in conditions}
                return Reason(f"local.{name}", {"age": age, **bounds})
        elif name in ("qf_min", "qf_max"):
            qf = float(features["qf"][person])
            if (name == "qf_min" and qf < value) or (name == "qf_max" and qf > value):
                return Reason(f"local.{name}", {"qf": _money(qf), "limit": _money(value)})
        elif name == "receives":
            if not any(bool(features[f"receives:{benefit}"][person]) for benefit in value):
                return Reason("local.receives", {"aids": ",".join(value)})
        elif name == "not_receives":
            received = [benefit for benefit in value if bool(features[f"receives:{benefit}"][person])]
            if received:
                return Reason("local.not_receives", {"aids": ",".join(received)})
        elif name in ("student", "disabled") and bool(features[name][person]) != value:
            return Reason(f"local.{name}" if value else f"local.not_{name}", {})
    return None
