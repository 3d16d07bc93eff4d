"""Readable explanations of one aid for one household, derived from OpenFisca's trace (CRPA L311-3-1).

The raw trace of a single aid weighs megabytes; an explanation keeps what a person (or an agent) needs: the inputs
that were used, the parameters applied with their values and legal references (from OpenFisca's parameter
metadata), the engine and model versions, and, when the aid is not due, the first condition it fails with its
figures (``reasons``) and its sentence (``guichet.rights.wording``). It stays well under 100 KB of JSON.
"""

from collections import deque
from collections.abc import Mapping

import numpy
from openfisca_core.parameters import ParameterNode
from openfisca_core.simulations import Simulation
from openfisca_core.tracers import FlatTrace, TraceNode

from guichet.rights.engine import local, mapping, reasons
from guichet.rights.engine.accel import build, fold
from guichet.rights.engine.benefits import BENEFITS_BY_ID
from guichet.rights.engine.situation import HouseholdInput
from guichet.rights.engine.system import get_tax_benefit_system, versions
from guichet.rights.wording import reason_text

MAX_PARAMETERS = 40
MAX_INPUTS = 30


def _jsonable(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    if isinstance(value, numpy.ndarray):
        return [_jsonable(item) for item in value.tolist()]
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, int | bool | str) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return str(value)


def _references(metadata: Mapping, instant: str = "9999-12-31") -> list[str]:
    reference = metadata.get("reference")
    if reference is None:
        return []
    if isinstance(reference, str):
        return [reference]
    if isinstance(reference, Mapping):  # {date: references}: the one in force at the instant
        dates = sorted(reference, key=str)
        applicable = [date for date in dates if str(date) <= instant] or dates[:1]
        return _references({"reference": reference[applicable[-1]]})
    if isinstance(reference, list):
        found = []
        for item in reference:
            if isinstance(item, Mapping):
                found.extend(str(value) for value in (item.get("title"), item.get("href")) if value)
            else:
                found.append(str(item))
        return found
    return [str(reference)]


def _parameter_metadata(name: str, instant: str) -> dict:
    node = get_tax_benefit_system().parameters
    for part in name.split("."):
        try:
            node = node.children[part] if isinstance(node, ParameterNode) else getattr(node, part)
        except (KeyError, AttributeError):
            return {}
    metadata = getattr(node, "metadata", {}) or {}
    return {
        "description": getattr(node, "description", None) or "",
        "references": _references(metadata, instant)[:3],
    }


def _instance_ids(simulation: Simulation, entity_key: str) -> list[str]:
    return [str(item) for item in simulation.populations[entity_key].ids]


def _first_nodes(simulation: Simulation, labels: dict | None = None) -> dict[tuple[str, str], TraceNode]:
    """The nodes of OpenFisca's flat trace by key (variable, period as text), without serialising every value.

    As ``FlatTrace.get_trace``: the first node of a key in the trace's order wins (a calculation comes before the
    cache reads of its value). ``labels``: periods already written as text, by period (filled here).
    """
    labels = {} if labels is None else labels
    first: dict[tuple[str, str], TraceNode] = {}
    pending = list(reversed(simulation.tracer.trees))  # ``browse_trace``'s order, without nested generators
    while pending:
        node = pending.pop()
        label = labels.get(node.period)
        if label is None:
            label = labels[node.period] = str(node.period)
        first.setdefault((node.name, label), node)
        pending.extend(reversed(node.children))
    return first


def _trace_summary(
    simulation: Simulation,
    root: tuple[str, str],
    input_keys: set[tuple[str, str]],
    given: fold.Traced,
) -> tuple[list[dict], list[dict]]:
    """Walk the trace breadth-first from ``root``: inputs reached and parameters applied (nearest first).

    ``given``: what the trace of nodes the speed layer gave without running their formula would have held
    (``fold.traced``).
    """
    labels: dict[object, str] = {}

    def label(period: object) -> str:
        text = labels.get(period)
        if text is None:
            text = labels[period] = str(period)
        return text

    trace = _first_nodes(simulation, labels)
    tbs = simulation.tax_benefit_system
    prefix = root[0].split("_")[0]
    seen = {root}
    queue = deque([root])
    inputs: dict[str, dict] = {}
    ids: dict[str, list[str]] = {}
    # The first read of each parameter: whether the aid's own formulas (same name prefix) read it, instant, value.
    found: dict[str, tuple[bool, str, object]] = {}
    while queue:
        key = queue.popleft()
        subtree = given.subtrees.get(key)
        node = trace.get(key)
        if subtree is None and node is None:
            continue
        name, period = key
        if subtree is not None:
            children, accessed = subtree
        else:
            children = [(child.name, label(child.period)) for child in node.children]
            accessed = given.parameters.get(key)
            if accessed is None:
                # As the flat trace: one entry per parameter and instant, the last value read (in the first read's
                # place).
                accessed = {
                    (parameter.name, label(parameter.period)): parameter.value for parameter in node.parameters
                }
        if node is not None and key in input_keys and len(inputs) < MAX_INPUTS * 13:
            variable = tbs.variables[name]
            entity = variable.entity.key
            entry = inputs.setdefault(
                name, {"variable": name, "label": variable.label, "entity": entity, "values": {}}
            )
            if entity not in ids:
                ids[entity] = _instance_ids(simulation, entity)
            values = node.value
            if hasattr(values, "decode_to_str"):
                values = values.decode_to_str()
            for instance, value in zip(ids[entity], numpy.asarray(values).tolist(), strict=False):
                entry["values"].setdefault(instance, {})[period] = _jsonable(value)
        for (parameter_name, instant), value in accessed.items():
            if parameter_name not in found:
                found[parameter_name] = (name.startswith(prefix), instant, value)
        for dependency in children:
            if dependency not in seen:
                seen.add(dependency)
                queue.append(dependency)
    kept = []
    for entry in inputs.values():
        # Zeros and defaults (no salary this month, no benefit received...) say little: keep what was declared.
        default = _jsonable(tbs.variables[entry["variable"]].default_value)
        values = {
            instance: dict(sorted(by_period.items()))
            for instance, by_period in entry["values"].items()
            if any(value not in (0, 0.0, False, default) for value in by_period.values())
        }
        if values:
            kept.append({**entry, "values": values})
    # The aid's own parameters first; the values and references of those shown only (hundreds are reached).
    ranked = sorted(found.items(), key=lambda item: not item[1][0])[:MAX_PARAMETERS]
    parameters = [
        {
            "name": parameter_name,
            "instant": instant,
            "value": _jsonable(FlatTrace.serialize(value)),
            **_parameter_metadata(parameter_name, instant),
        }
        for parameter_name, (_own, instant, value) in ranked
    ]
    return kept[:MAX_INPUTS], parameters


def _input_keys(situation: dict) -> set[tuple[str, str]]:
    keys = set()
    for instances in situation.values():
        for variables in instances.values():
            for name, values in variables.items():
                if isinstance(values, dict):
                    keys.update((name, str(period)) for period in values)
    return keys


def explain_benefit(household: HouseholdInput, benefit_id: str, period_month: str) -> dict:
    """Explain one national aid of the catalogue for one household and one month."""
    benefit = BENEFITS_BY_ID[benefit_id]
    situation = mapping.situation_dict(household, period_month)
    tbs = get_tax_benefit_system()
    simulation = build.build_from_entities(tbs, situation)
    simulation.trace = True
    period = benefit.period_for(period_month)
    try:
        # Only what depends on the household is computed and traced; what does not is the same for every household
        # of its shape, and was traced once (``fold.traced``).
        with fold.traced(simulation, ("explain", benefit.id, period_month)) as given:
            values = numpy.asarray(simulation.calculate(benefit.variable, period), dtype=numpy.float64)
            amount = round(float(values.sum()), 2)
            eligible = amount > 0
            # Mostly values the aid computed already. Asked for after it, they add nothing to its part of the trace.
            found = None if eligible else reasons.reason(simulation, benefit, period_month)
        inputs, parameters = _trace_summary(simulation, (benefit.variable, period), _input_keys(situation), given)
    finally:
        build.release(simulation)
    return {
        "aid": benefit.id,
        "label": str(benefit.label),
        "period": period,
        "amount": amount,
        "eligible": eligible,
        "reason": None if found is None else reason_text(found),
        "reason_code": None if found is None else found.code,
        "figures": {} if found is None else found.figures,
        "inputs": inputs,
        "parameters": parameters,
        "references": benefit.references,
        "claim": benefit.as_dict(),
        "versions": versions(),
    }


def explain_local_aid(household: HouseholdInput, aid_id: str, period_month: str) -> dict:
    """Explain one local aid for one household: per member, the value, the band applied or the unmet condition."""
    aid = local.local_aids()[aid_id]
    batch = mapping.build_batch([household], period_month)
    try:
        features = mapping.person_features(batch.simulation, period_month, local.benefits_needed([aid]))
    finally:
        build.release(batch.simulation)
    result = local.evaluate(aid, features, period_month)
    members = {}
    for person, member_id in enumerate(batch.person_member_id):
        band = int(result.band[person])
        members[member_id] = {
            "value": round(float(result.value[person]), 2),
            "eligible": bool(result.eligible[person]),
            "band": aid.bands[band].label if band >= 0 else None,
            "reason": None
            if result.eligible[person]
            else reason_text(reasons.local_reason(aid, features, person, period_month)),
            "inputs": {
                "age": int(features["age"][person]),
                "commune": str(features["commune"][person]),
                "quotient_familial": round(float(features["qf"][person]), 2),
                **{key: bool(value[person]) for key, value in features.items() if key.startswith("receives:")},
            },
        }
    return {
        "aid": aid.id,
        "label": aid.label,
        "period": period_month,
        "eligible": any(member["eligible"] for member in members.values()),
        "members": members,
        "deliberation": {key: str(value) for key, value in aid.deliberation.items()},
        "definition": aid.as_dict(),
        "versions": {**versions(), "rules_version": local.rules_version()},
    }


def explain(household: HouseholdInput, aid_id: str, period_month: str) -> dict:
    """Explain a national aid (catalogue id) or a local aid (local aid id) for one household."""
    if aid_id in BENEFITS_BY_ID:
        return explain_benefit(household, aid_id, period_month)
    return explain_local_aid(household, aid_id, period_month)
