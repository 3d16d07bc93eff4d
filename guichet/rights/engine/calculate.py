"""Calculating rights: many households at once, and the OpenFisca Web API ``/calculate`` and ``/trace``.

* ``calculate_households`` computes the catalogue of national aids and the local aids for many households in ONE
  vectorised OpenFisca simulation (see ``mapping.build_batch``).
* ``web_api_calculate`` and ``web_api_trace`` accept and return exactly the JSON of OpenFisca's Web API
  (``openfisca serve``): an OpenFisca client works unchanged against Guichet. On top of OpenFisca's variables, the
  territory's local aids can be requested on ``individus`` by their id (see ``local``). Any error becomes a
  ``WebApiError`` carrying OpenFisca's error body and HTTP status (400, or 404 for an unknown variable).
"""

import copy
import dataclasses
import datetime
from collections.abc import Callable, Iterable, Sequence

import dpath
import numpy
from openfisca_core.errors import PeriodMismatchError, SituationParsingError
from openfisca_core.indexed_enums import Enum
from openfisca_core.simulations import Simulation
from werkzeug.http import http_date

from guichet.rights.engine import local, mapping
from guichet.rights.engine.accel import build, fold
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.situation import HouseholdColumns, HouseholdInput
from guichet.rights.engine.system import get_tax_benefit_system, versions


class WebApiError(Exception):
    """A payload OpenFisca cannot compute; ``error`` is the JSON body and ``code`` the HTTP status to answer."""

    def __init__(self, error: dict, code: int = 400) -> None:
        super().__init__(str(error))
        self.error = error
        self.code = code


# ---------------------------------------------------------------------------------------------------------------
# Many households


@dataclasses.dataclass
class BenefitResult:
    """One national aid for one household."""

    id: str
    amount: float
    period: str
    eligible: bool

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class LocalAidResult:
    """One local aid for one household: value and eligibility of each member (by member id)."""

    id: str
    period: str
    eligible: bool
    members: dict[str, dict]

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class HouseholdResult:
    """Everything needed to show, store and later recompute one household's rights."""

    household_id: str | None
    period: str
    benefits: dict[str, BenefitResult]
    local_aids: dict[str, LocalAidResult]
    inputs: dict
    versions: dict[str, str]

    @property
    def eligible_benefits(self) -> list[str]:
        """Ids of the national and local aids the household may be entitled to."""
        national = [key for key, result in self.benefits.items() if result.eligible]
        return national + [key for key, result in self.local_aids.items() if result.eligible]

    def to_dict(self) -> dict:
        """JSON-serialisable form (stored with a decision)."""
        return {
            "household_id": self.household_id,
            "period": self.period,
            "benefits": {key: value.to_dict() for key, value in self.benefits.items()},
            "local_aids": {key: value.to_dict() for key, value in self.local_aids.items()},
            "inputs": self.inputs,
            "versions": self.versions,
        }


@dataclasses.dataclass
class BatchResult:
    """Results as arrays, in the order of the households given: what a territory-wide screening consumes.

    ``amounts``: one value per household; ``local_values`` and ``local_eligible``: one per person (members of the
    first household, then of the second...), ``person_household`` and ``person_member_id`` say whose.
    """

    period: str
    amounts: dict[str, numpy.ndarray]
    local_values: dict[str, numpy.ndarray]
    local_eligible: dict[str, numpy.ndarray]
    person_household: numpy.ndarray
    person_member_id: list[str]


def _check_period(period_month: str) -> None:
    try:
        if len(period_month) != 7:
            raise ValueError
        datetime.date.fromisoformat(f"{period_month}-01")
    except (TypeError, ValueError) as error:
        raise ValueError(f"period_month must be 'YYYY-MM', got {period_month!r}") from error


# A batch of households of one shape is first computed on this many of them, to record what ``accel.fold`` reuses
# for the rest (recording runs plain OpenFisca: cheap on a few households, not on thousands).
PROBE_HOUSEHOLDS = 16
# Below this many households, a shape is computed with the other small ones in one simulation, without folding.
MIN_SHAPE_HOUSEHOLDS = 500


def _batch_purpose(chosen: list, aids: list) -> tuple:
    """What a batch computes, for ``fold``: a plan covers only what its recording computed."""
    return "batch", tuple(benefit.id for benefit in chosen), tuple(aid.id for aid in aids)


def _compute(
    batch: mapping.Batch, chosen: list, aids: list
) -> tuple[dict[str, numpy.ndarray], dict[str, numpy.ndarray], dict[str, numpy.ndarray]]:
    amounts: dict[str, numpy.ndarray] = {}
    local_values: dict[str, numpy.ndarray] = {}
    local_eligible: dict[str, numpy.ndarray] = {}
    try:
        with fold.folding(batch.simulation, _batch_purpose(chosen, aids)):
            for benefit in chosen:
                amounts[benefit.id] = mapping.household_amounts(batch, benefit)
            if aids:
                features = mapping.person_features(batch.simulation, batch.period_month, local.benefits_needed(aids))
                for aid in aids:
                    result = local.evaluate(aid, features, batch.period_month)
                    local_values[aid.id] = result.value
                    local_eligible[aid.id] = result.eligible
    finally:
        build.release(batch.simulation)
    return amounts, local_values, local_eligible


def _compute_group(columns: HouseholdColumns, period_month: str, chosen: list, aids: list, one_shape: bool) -> tuple:
    """``_compute``; for households of one shape not seen yet, probing a few of them first."""
    batch = mapping.build_batch(columns, period_month)
    purpose = _batch_purpose(chosen, aids)
    if one_shape and len(columns) > PROBE_HOUSEHOLDS and fold.plan_for(batch.simulation, purpose) is None:
        _compute(mapping.build_batch(columns.take(range(PROBE_HOUSEHOLDS)), period_month), chosen, aids)
    return _compute(batch, chosen, aids)


def calculate_arrays(
    households: HouseholdColumns | Sequence[HouseholdInput],
    period_month: str,
    benefits: Iterable[str] | None = None,
    local_aid_ids: Iterable[str] | None = None,
) -> BatchResult:
    """Compute aids for many households and return arrays (no per-household objects).

    ``households``: objects, or columns (``HouseholdColumns`` over ``mapping.situation_months(period_month)``),
    which a territory's screening gives: building objects costs more than computing them.
    Each shape (``mapping.shape_key``) with at least ``MIN_SHAPE_HOUSEHOLDS`` households is one vectorised
    simulation, so that the speed layer reuses what does not depend on their answers (``accel.fold``); the other
    households make one more simulation. Results come back in the given order.
    ``benefits``: catalogue ids (all by default); ``local_aid_ids``: local aid ids (all by default, ``[]`` for none).
    """
    _check_period(period_month)
    if not len(households):
        raise ValueError("calculate_arrays needs at least one household")
    columns = households if isinstance(households, HouseholdColumns) else mapping.to_columns(households, period_month)
    chosen = get_benefits(None if benefits is None else list(benefits))
    all_local = local.local_aids()
    aids = list(all_local.values()) if local_aid_ids is None else [all_local[key] for key in local_aid_ids]
    person_count = len(columns.member_household)
    shapes = columns.shapes()
    # A shape pays off as its own simulation only with many households; the others are computed together.
    groups: list[tuple[numpy.ndarray, bool]] = []
    rest: list[numpy.ndarray] = []
    for rows in shapes.values():
        if len(rows) >= MIN_SHAPE_HOUSEHOLDS or len(shapes) == 1:
            groups.append((rows, True))
        else:
            rest.append(rows)
    if rest:
        groups.append((numpy.sort(numpy.concatenate(rest)), False))
    amounts = {benefit.id: numpy.zeros(len(columns)) for benefit in chosen}
    local_values: dict[str, numpy.ndarray] = {}
    local_eligible: dict[str, numpy.ndarray] = {}
    for rows, one_shape in groups:
        persons = columns.members_of(rows)  # in the group's order, as its batch lists them
        group = columns if len(rows) == len(columns) else columns.take(rows)
        group_amounts, group_values, group_eligible = _compute_group(group, period_month, chosen, aids, one_shape)
        for key, values in group_amounts.items():
            amounts[key][rows] = values
        for key, values in group_values.items():
            local_values.setdefault(key, numpy.zeros(person_count, dtype=values.dtype))[persons] = values
        for key, values in group_eligible.items():
            local_eligible.setdefault(key, numpy.zeros(person_count, dtype=values.dtype))[persons] = values
    return BatchResult(
        period=period_month,
        amounts=amounts,
        local_values=local_values,
        local_eligible=local_eligible,
        person_household=columns.member_household,
        person_member_id=columns.member_id,
    )


def calculate_households(
    households: Sequence[HouseholdInput],
    period_month: str,
    benefits: Iterable[str] | None = None,
    local_aid_ids: Iterable[str] | None = None,
) -> list[HouseholdResult]:
    """Compute national and local aids for many households in one vectorised simulation.

    Each result carries the amount, period and eligibility (amount > 0) of each aid, the inputs used and the engine,
    model and local rules versions. Yearly aids (ARS, chèque énergie) are computed on the year of ``period_month``.
    """
    _check_period(period_month)
    if not households:
        return []
    arrays = calculate_arrays(households, period_month, benefits, local_aid_ids)
    chosen = get_benefits(list(arrays.amounts))
    run_versions = {**versions(), "rules_version": local.rules_version()}
    # Persons of each household, to spread per-person local results back to members.
    person_household = arrays.person_household
    bounds = numpy.searchsorted(person_household, numpy.arange(len(households) + 1))
    member_ids = arrays.person_member_id
    amounts = {key: values.tolist() for key, values in arrays.amounts.items()}
    local_values = {key: numpy.round(values, 2).tolist() for key, values in arrays.local_values.items()}
    local_eligible = {key: values.tolist() for key, values in arrays.local_eligible.items()}
    results = []
    for index, household in enumerate(households):
        benefit_results = {}
        for benefit in chosen:
            amount = amounts[benefit.id][index]
            benefit_results[benefit.id] = BenefitResult(
                id=benefit.id, amount=amount, period=benefit.period_for(period_month), eligible=amount > 0
            )
        start, stop = bounds[index], bounds[index + 1]
        local_results = {}
        for aid_id in local_values:
            members = {
                member_ids[person]: {"value": local_values[aid_id][person], "eligible": local_eligible[aid_id][person]}
                for person in range(start, stop)
            }
            local_results[aid_id] = LocalAidResult(
                id=aid_id,
                period=period_month,
                eligible=any(member["eligible"] for member in members.values()),
                members=members,
            )
        results.append(
            HouseholdResult(
                household_id=household.id,
                period=period_month,
                benefits=benefit_results,
                local_aids=local_results,
                inputs=household.to_dict(),
                versions=run_versions,
            )
        )
    return results


# ---------------------------------------------------------------------------------------------------------------
# OpenFisca Web API


def _copy(value: object) -> object:
    """A copy of a JSON document, as ``copy.deepcopy`` makes it: each object and array is new (what is written into
    the copy never reaches the caller's); strings, numbers, booleans and null are immutable and shared."""
    if value.__class__ is dict:
        return {key: _copy(item) for key, item in value.items()}
    if value.__class__ is list:
        return [_copy(item) for item in value]
    if isinstance(value, str | int | float | None):
        return value
    return copy.deepcopy(value)  # not from JSON: whatever it holds


def _jsonable(value: object) -> object:
    """What Flask's JSON provider does to OpenFisca's results, so the JSON is byte-for-byte the server's."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        # Values come from numpy's tolist(): homogeneous, so the first item tells whether to convert (traces hold
        # tens of thousands of such lists).
        if value and isinstance(value[0], bool | int | float | str):
            return value
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime.date):
        return http_date(value)
    if isinstance(value, numpy.generic):
        return value.item()
    return value


# What dpath takes for a leaf (``dpath.segments.leaf``, by exact type here) and never walks into.
_LEAVES = frozenset({str, int, float, bool, bytes, type(None)})


class _Unusual(Exception):
    """A payload ``_requested`` leaves to dpath."""


def _children(node: object, keyed: bool = True) -> Iterable:
    # What dpath walks under a node: a dict's items in order, a list's items by index, nothing under a leaf. dpath
    # refuses an empty key and reads string keys as they are (JSON has no other): a dict with another key is unusual,
    # but four levels deep (``keyed`` false) only the keys of nulls make paths, and are checked there.
    if node.__class__ is dict:
        if "" in node or (keyed and not all(key.__class__ is str for key in node)):
            raise _Unusual
        return node.items()
    if node.__class__ is list:
        return enumerate(node)
    if node.__class__ in _LEAVES:
        return ()
    raise _Unusual


def _requested(input_data: dict) -> list[str]:
    """Every null four levels deep, as a ``plural/id/variable/period`` path: the computations to make.

    Exactly what OpenFisca's handler finds with ``dpath.search(input_data, "*/*/*/*", afilter=<is None>,
    yielded=True)``, in its order (dicts in key order, lists by index, as nested loops visit them), without dpath's
    generic walk (~1.5 ms for one household). dpath walks deeper too: a container four levels deep, or a key dpath
    would refuse or read otherwise, leaves the search to dpath itself, errors included.
    """
    paths = []
    try:
        for key1, node1 in _children(input_data):
            for key2, node2 in _children(node1):
                for key3, node3 in _children(node2):
                    for key4, node4 in _children(node3, keyed=False):
                        if node4 is None:
                            if key4.__class__ is not str and key4.__class__ is not int:  # a list's index is an int
                                raise _Unusual
                            paths.append(f"{key1}/{key2}/{key3}/{key4}")
                        elif node4.__class__ not in _LEAVES:
                            raise _Unusual
    except _Unusual:
        search = dpath.search(input_data, "*/*/*/*", afilter=lambda value: value is None, yielded=True)
        return [path for path, _ in search]
    return paths


def _split_local(payload: dict) -> tuple[dict, list[tuple[str, str, str, str]]]:
    """Remove local aid requests from a copy of the payload; return the OpenFisca part and the local requests.

    A payload that names no local aid is its own OpenFisca part (building a simulation reads it, never writes it).
    """
    aids = local.local_aids()
    if not any(
        name in aids
        for instances in payload.values()
        if isinstance(instances, dict)
        for variables in instances.values()
        if isinstance(variables, dict)
        for name in variables
    ):
        return payload, []
    national = _copy(payload)
    requests: list[tuple[str, str, str, str]] = []
    for plural, instances in national.items():
        if not isinstance(instances, dict):
            continue
        for instance_id, variables in instances.items():
            if not isinstance(variables, dict):
                continue
            for name in [name for name in variables if name in aids]:
                path = [plural, str(instance_id), name]
                values = variables.pop(name)
                if plural != "individus":
                    raise SituationParsingError(path, f"Local aid '{name}' is defined for individus, not {plural}.")
                if not isinstance(values, dict):
                    raise SituationParsingError(path, "Expected an object of periods, e.g. {'2025-01': null}.")
                for period, value in values.items():
                    if value is not None:
                        raise SituationParsingError(
                            [*path, str(period)], f"Local aid '{name}' is computed by Guichet and cannot be set."
                        )
                    if not (isinstance(period, str) and len(period) == 7 and period[4] == "-"):
                        raise SituationParsingError(
                            [*path, str(period)], f"Local aid '{name}' is computed for a month, e.g. '2025-01'."
                        )
                    requests.append((plural, str(instance_id), name, period))
    return national, requests


def _build(payload: object) -> tuple[Simulation, dict, list[tuple[str, str, str, str]]]:
    if not isinstance(payload, dict):
        raise WebApiError({"error": "Invalid JSON: the situation must be a JSON object."}, 400)
    national, local_requests = _split_local(payload)
    simulation = build.build_from_entities(get_tax_benefit_system(), national)
    return simulation, national, local_requests


def _value(simulation: Simulation, plural: str, entity_id: str, variable_name: str, period: str) -> object:
    # Mirrors openfisca_web_api.handlers.calculate so the JSON is identical.
    variable = simulation.tax_benefit_system.get_variable(variable_name)
    result = simulation.calculate(variable_name, period)
    population = simulation.get_population(plural)
    entity_index = population.get_index(entity_id)
    if variable.value_type == Enum:
        return result.decode()[entity_index].name
    if variable.value_type is float:
        return float(str(result[entity_index]))
    if variable.value_type is str:
        return str(result[entity_index])
    return result.tolist()[entity_index]


def _local_values(simulation: Simulation, requests: list[tuple[str, str, str, str]]) -> dict[tuple, float]:
    """Evaluate the requested local aids, one features computation per month."""
    aids = local.local_aids()
    values: dict[tuple, float] = {}
    persons = simulation.persons
    for period in sorted({request[3] for request in requests}):
        wanted = [aids[name] for _, _, name, month in requests if month == period]
        features = mapping.person_features(simulation, period, local.benefits_needed(wanted))
        evaluated = {aid.id: local.evaluate(aid, features, period) for aid in wanted}
        for request in requests:
            plural, entity_id, name, month = request
            if month == period:
                values[request] = round(float(evaluated[name].value[persons.get_index(entity_id)]), 2)
    return values


def _guard(function: Callable[[dict], dict]) -> Callable[[dict], dict]:
    """Turn every failure into a ``WebApiError`` with an OpenFisca-style body (never another exception)."""

    def wrapper(payload: dict) -> dict:
        try:
            return function(payload)
        except WebApiError:
            raise
        except (SituationParsingError, PeriodMismatchError) as error:
            raise WebApiError(error.error, error.code or 400) from error
        except local.LocalAidError as error:
            raise WebApiError({"error": f"Local aids are misconfigured: {error}"}, 500) from error
        except Exception as error:  # any failure of OpenFisca on this payload comes from the payload
            raise WebApiError({"error": f"{type(error).__name__}: {error}"}, 400) from error

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


@_guard
def web_api_calculate(payload: dict) -> dict:
    """OpenFisca Web API ``/calculate``: the payload with every ``null`` replaced by its computed value.

    Local aids may be requested on ``individus`` by their id, for a month. Raises ``WebApiError``.
    """
    simulation, national, local_requests = _build(payload)
    output = _copy(payload)
    paths = _requested(national)
    # What is asked for (variables and periods, whoever they are asked for) is what a plan must cover.
    purpose = frozenset(path.split("/", 2)[2] for path in paths) | {request[2:] for request in local_requests}
    try:
        with fold.folding(simulation, ("calculate", purpose)):
            for path in paths:
                plural, entity_id, variable_name, period = path.split("/")
                value = _value(simulation, plural, entity_id, variable_name, period)
                output[plural][entity_id][variable_name][period] = value
            if local_requests:
                for (plural, entity_id, name, period), value in _local_values(simulation, local_requests).items():
                    output[plural][entity_id][name][period] = value
    finally:
        build.release(simulation)
    return _jsonable(output)


@_guard
def web_api_trace(payload: dict) -> dict:
    """OpenFisca Web API ``/trace``: the flat trace of the requested computations and the entities.

    A requested local aid appears as a node whose dependencies are the OpenFisca variables it looked at.
    """
    simulation, national, local_requests = _build(payload)
    try:
        return _jsonable(_trace(simulation, national, local_requests))
    finally:
        build.release(simulation)


def _trace(simulation: Simulation, national: dict, local_requests: list[tuple[str, str, str, str]]) -> dict:
    simulation.trace = True
    requested_calculations = []
    for path in _requested(national):
        _plural, _entity_id, variable_name, period = path.split("/")
        requested_calculations.append(f"{variable_name}<{period!s}>")
        simulation.calculate(variable_name, period)
    trace = {}
    if local_requests:
        values = _local_values(simulation, local_requests)
        trace = simulation.tracer.get_serialized_flat_trace()
        for period in sorted({request[3] for request in local_requests}):
            for name in sorted({request[2] for request in local_requests if request[3] == period}):
                used = local.benefits_needed([local.local_aids()[name]])
                dependencies = [key for key in mapping.feature_keys(period, used) if key in trace]
                key = f"{name}<{period}>"
                requested_calculations.append(key)
                vector = [0.0] * simulation.persons.count
                for (_, entity_id, aid, month), value in values.items():
                    if aid == name and month == period:
                        vector[simulation.persons.get_index(entity_id)] = value
                trace[key] = {
                    "dependencies": dependencies,
                    "parameters": {},
                    "value": vector,
                    "calculation_time": 0,
                    "formula_time": 0,
                }
    else:
        trace = simulation.tracer.get_serialized_flat_trace()
    return {
        "trace": trace,
        "entitiesDescription": simulation.describe_entities(),
        "requestedCalculations": requested_calculations,
    }
