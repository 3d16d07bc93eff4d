"""Building a simulation from a Web API situation in bulk (written for openfisca-core 44.7.1, like ``patches``).

Why: ``SimulationBuilder.build_from_entities`` deep-copies the situation, then handles every input value on its own
(it parses its period, checks it and converts it into a one-element array, copies it into a buffer), and finally
gives every (variable, period) to its holder's ``set_input``, which for most of France's monthly variables is
``set_input_divide_by_period`` even for a single month: a copy, a division by 1, period arithmetic, and a holder
looked up again for each population. For one household of the catalogue (~570 values) that is ~6 ms of a request.

``build_from_entities`` here does the same work by (variable, period): each distinct period string is parsed once
per process, the values of all instances are converted in one ``numpy.array`` of the variable's dtype (the
conversion ``Variable.check_set_value`` makes of one value), and each holder gets its periods in OpenFisca's order
(smaller periods first) through the same steps as ``Holder.set_input`` and its two helpers, whose sub-periods are
found once per process. The simulation is the one OpenFisca builds: same populations (ids, counts, members' entities
and roles, dtypes included), same holders in the same order, same known periods in the same order, same arrays
(class, dtype, values), the same array object shared by the months a value is dispatched to.

Values of another type than the variable's (``"12"`` for a number, which OpenFisca evaluates, an enumeration's
index, a mix of types) are converted one by one by ``check_set_value`` itself, and an input over a period that is
not its variable's goes through ``set_input`` itself when a fast path would have to guess. Anything else it does not
fully understand goes to ``SimulationBuilder``, which builds it or raises its own error, so a bad situation gets the
same answer: axes, a person not listed in a group entity that has inputs, a role or id that is not a string, a
period not written as OpenFisca writes it (``month:2024-01`` for ``2024-01``), a neutralised variable, and any error
at all. ``tests/rights/engine/test_build.py`` compares both builders' simulations. The bulk builder is part of the
speed layer: used only when ``patches.is_installed()``. ``release``, the end of a simulation's life (its reference
cycles cut once its results are read), runs with the layer on or off.
"""

import datetime

import numpy
from openfisca_core import holders, periods
from openfisca_core.indexed_enums import Enum, EnumArray
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_core.simulations import Simulation
from openfisca_core.tracers import FullTracer

from guichet.rights.engine.accel import patches

_ETERNITY = periods.period(periods.DateUnit.ETERNITY)
_DISPATCH = holders.set_input_dispatch_by_period
_DIVIDE = holders.set_input_divide_by_period
_MISSING = object()

# By value type, the Python type of JSON values converted together when all of a (variable, period)'s values have
# it: ``numpy.array(values, dtype)`` converts each as ``check_set_value`` does alone (an enumeration's names, given
# as strings, are looked up as it does). Other values (a number given as a string, which OpenFisca evaluates, an
# enumeration's index, a mix of types) are converted one by one by ``check_set_value`` itself.
_BULK_TYPES = {
    float: (float, int, bool),
    int: (int, bool),
    bool: (bool,),
    str: (str,),
    datetime.date: (str,),
}


class Unsupported(Exception):
    """A situation the bulk builder leaves to ``SimulationBuilder``."""


def build_from_entities(tax_benefit_system, situation: dict) -> Simulation:
    """``SimulationBuilder().build_from_entities(tax_benefit_system, situation)``, in bulk when the speed layer is on.

    ``situation`` is not modified (nor copied). Any situation the bulk builder does not fully understand, bad input
    included, is built by ``SimulationBuilder``, which then raises OpenFisca's own errors.
    """
    if patches.is_installed():
        try:
            return build_in_bulk(tax_benefit_system, situation)
        except Exception:  # anything unusual, or wrong: OpenFisca's builder decides
            pass
    return SimulationBuilder().build_from_entities(tax_benefit_system, situation)


def set_input(simulation: Simulation, name: str, period: str, array: numpy.ndarray) -> None:
    """``simulation.set_input(name, period, array)`` for one value per instance of the variable's entity, through
    the steps of ``Holder.set_input`` done in bulk when the speed layer is on (``_set_input``); OpenFisca's own
    otherwise, and for anything it does not fully understand (then with OpenFisca's errors)."""
    if patches.is_installed():
        holder = simulation.get_holder(name)
        variable = holder.variable
        try:
            if variable.value_type is Enum or array.dtype.kind not in "fbiu":
                raise Unsupported(name)  # enumerations, dates and strings: OpenFisca's own conversion
            # A copy: the caller may give the same array to other periods and other simulations.
            _set_input(holder, _period_of(period)[0], numpy.array(array, dtype=variable.dtype))
            return
        except Unsupported:
            pass
    simulation.set_input(name, period, array)


def release(simulation: Simulation) -> None:
    """Free a simulation that is no longer used now, by reference counting, instead of by the garbage collector.

    A simulation is a knot of reference cycles (the simulation and its populations point to each other, so do a
    population and its holders), so nothing of it is freed when the last reference goes: its ~2,000 objects and
    every array it computed wait for the cyclic garbage collector. Meanwhile they are traversed by each young
    collection (~0.4 ms per request) and promoted to the oldest generation, whose collection walks every object of
    the process (the loaded law: ~200 ms, every hundred or two requests). Emptying the populations' holders and the
    simulation's attributes cuts the cycles, and so does forgetting the parent of each node of OpenFisca's own full
    tracer (``/trace``: thousands of nodes; the explanations' tracer, ``fold._UntimedTracer``, links no parents).
    The simulation is unusable afterwards: call it when done, results read. It only drops references, so it is the
    same with the speed layer on or off.
    """
    for population in simulation.__dict__.get("populations", {}).values():
        holders_of = population.__dict__.get("_holders")
        if holders_of is not None:
            holders_of.clear()
    tracer = simulation.__dict__.get("tracer")
    if tracer.__class__ is FullTracer:
        nodes = list(tracer.trees)
        while nodes:
            node = nodes.pop()
            node.parent = None
            nodes.extend(node.children)
    simulation.__dict__.clear()


# ---------------------------------------------------------------------------------------------------------------
# Memos (bounded as the speed layer's, see ``patches._memo_put``)


_periods: dict = {}  # period string -> (Period, OpenFisca's sort key of its size)
_sub_periods: dict = {}  # (Period, unit) -> the sub-periods ``set_input``'s helpers walk
_enum_indexes: dict = {}  # id of the possible values -> (possible values, {name: index})


def _period_of(text: str) -> tuple:
    found = _periods.get(text)
    if found is None:
        if text.__class__ is not str:
            raise Unsupported(text)
        period = periods.period(text)
        # OpenFisca buffers a value under the period's own spelling but looks the buffer up under the key given:
        # two spellings of one period do not meet as they should. Only OpenFisca's spelling is built here.
        if str(period) != text:
            raise Unsupported(text)
        found = (period, periods.key_period_size(period))
        patches._memo_put(_periods, text, found)
    return found


def _walked(period, unit) -> tuple:
    """The periods of ``unit`` that ``set_input_dispatch_by_period`` and ``set_input_divide_by_period`` walk for an
    input over ``period``: from its start, one at a time, while they start before its end (the same loop)."""
    key = (period, unit)
    found = _sub_periods.get(key)
    if found is None:
        after_instant = period.start.offset(period.size, period.unit)
        sub_period = periods.Period((unit, period.start, 1))
        walked = []
        while sub_period.start < after_instant:
            walked.append(sub_period)
            sub_period = sub_period.offset(1)
        found = tuple(walked)
        patches._memo_put(_sub_periods, key, found)
    return found


def _enum_index(possible_values, name: str) -> int:
    # Keyed by identity: OpenFisca's enumerations are equal when their names are (see ``EnumType.__eq__``).
    found = _enum_indexes.get(id(possible_values))
    if found is None or found[0] is not possible_values:
        # ``possible_values[name]``: members by name, aliases included.
        found = (possible_values, {key: member.index for key, member in possible_values.__members__.items()})
        patches._memo_put(_enum_indexes, id(possible_values), found)
    return found[1][name]  # an unknown name: OpenFisca's error, from its builder


# ---------------------------------------------------------------------------------------------------------------
# Building


def build_in_bulk(tax_benefit_system, situation: dict) -> Simulation:
    """The simulation ``SimulationBuilder`` builds from ``situation``; raises on anything unusual (see the module)."""
    if situation.__class__ is not dict or "axes" in situation:
        raise Unsupported("axes")
    plurals = tax_benefit_system.entities_plural()
    if any(plural not in plurals for plural in situation):
        raise Unsupported("entities")
    person_entity = tax_benefit_system.person_entity
    persons_json = situation.get(person_entity.plural)
    if not persons_json or persons_json.__class__ is not dict:
        raise Unsupported("persons")
    variables = tax_benefit_system.variables
    populations = tax_benefit_system.instantiate_entities()
    simulation = Simulation(tax_benefit_system, populations)

    person_ids = list(persons_json)
    person_count = len(person_ids)
    # By entity key: {variable name: {period string: ([instance index...], [value...])}}, in the order OpenFisca's
    # buffer meets them (the first value that is not null).
    inputs: dict[str, dict] = {person_entity.key: {}}
    for index, (person_id, person_json) in enumerate(persons_json.items()):
        if person_id.__class__ is not str or person_json.__class__ is not dict:
            raise Unsupported(person_id)
        _read(variables, person_entity, index, person_json, (), inputs[person_entity.key])

    structures = {}
    for entity in tax_benefit_system.group_entities:
        instances_json = situation.get(entity.plural)
        if instances_json is None:
            # Each person alone, with the first role (``add_default_group_entity``).
            structures[entity.key] = (
                person_ids,
                numpy.array(list(numpy.arange(0, person_count, dtype=numpy.int32))),
                numpy.array([entity.flattened_roles[0]] * person_count),
            )
            continue
        entity_inputs = inputs[entity.key] = {}
        structures[entity.key] = _group(variables, entity, person_ids, instances_json, entity_inputs)

    persons = simulation.persons
    persons.count = person_count
    persons.ids = person_ids
    _set_inputs(variables, persons, inputs[person_entity.key])
    for entity in tax_benefit_system.group_entities:
        population = populations[entity.key]
        ids, members_entity_id, members_role = structures[entity.key]
        population.count = len(ids)
        population.ids = ids
        population.members_entity_id = members_entity_id
        population.members_role = members_role
        _set_inputs(variables, population, inputs.get(entity.key, {}))
    return simulation


def _group(variables, entity, person_ids: list, instances_json: dict, entity_inputs: dict) -> tuple:
    """``add_group_entity``: ids, members' groups and roles of a group entity; its inputs go in ``entity_inputs``."""
    if instances_json.__class__ is not dict:
        raise Unsupported(entity.plural)
    entity_ids = list(instances_json)
    person_count = len(person_ids)
    person_index = {person_id: index for index, person_id in enumerate(person_ids)}
    memberships = [0] * person_count
    roles: list = [None] * person_count
    # A set emptied in OpenFisca's order, so that persons left alone come out of it in OpenFisca's order.
    to_allocate = set(person_ids)
    role_keys = [(role, role.plural or role.key) for role in entity.roles]
    skip = frozenset(key for _, key in role_keys)
    for entity_index, (instance_id, instance_json) in enumerate(instances_json.items()):
        if instance_id.__class__ is not str or instance_json.__class__ is not dict:
            raise Unsupported(instance_id)
        for role, key in role_keys:
            members = instance_json.get(key, _MISSING)
            if members is _MISSING:
                continue
            if members.__class__ is str:
                members = [members]
            elif members.__class__ is not list:
                raise Unsupported(key)
            if role.max is not None and len(members) > role.max:
                raise Unsupported(key)
            for index_within_role, person_id in enumerate(members):
                if person_id.__class__ is not str or person_id not in to_allocate:
                    raise Unsupported(person_id)  # unknown, or in two instances (or twice in one)
                to_allocate.discard(person_id)
                index = person_index[person_id]
                memberships[index] = entity_index
                roles[index] = role.subroles[index_within_role] if role.subroles else role
        _read(variables, entity, entity_index, instance_json, skip, entity_inputs)
    if to_allocate:
        # OpenFisca sizes an entity's input arrays before these persons make instances of their own: not built here.
        if entity_inputs:
            raise Unsupported(entity.plural)
        entity_ids = entity_ids + list(to_allocate)
        for person_id in to_allocate:
            index = person_ids.index(person_id)
            memberships[index] = entity_ids.index(person_id)
            roles[index] = entity.flattened_roles[0]
    return entity_ids, numpy.array(memberships), numpy.array(roles)


def _read(variables, entity, index: int, instance_json: dict, skip, entity_inputs: dict) -> None:
    """Gather the values of one instance, by variable and period string (nulls only have their periods checked)."""
    for name, values in instance_json.items():
        if name in skip:
            continue
        variable = variables.get(name)
        if variable is None or variable.entity.key != entity.key or values.__class__ is not dict:
            raise Unsupported(name)
        by_period = entity_inputs.get(name)
        for text, value in values.items():
            if text not in _periods:
                _period_of(text)
            if value is None:
                continue
            if by_period is None:
                by_period = entity_inputs[name] = {}
            slot = by_period.get(text)
            if slot is None:
                by_period[text] = ([index], [value])
            else:
                slot[0].append(index)
                slot[1].append(value)


def _array(variable, count: int, indexes: list, values: list) -> numpy.ndarray:
    """The input array OpenFisca's buffer holds for one (variable, period): defaults, and the instances' values."""
    value_type = variable.value_type
    first = values[0].__class__
    accepted = (str,) if value_type is Enum else _BULK_TYPES.get(value_type, ())
    if first in accepted and (len(values) == 1 or all(value.__class__ is first for value in values)):
        if value_type is Enum:
            possible_values = variable.possible_values
            converted = numpy.array([_enum_index(possible_values, value) for value in values], dtype=variable.dtype)
        else:
            converted = numpy.array(values, dtype=variable.dtype)
        if len(indexes) == count:  # every instance, in order (an instance gives a period once)
            return EnumArray(converted, variable.possible_values) if value_type is Enum else converted
        array = variable.default_array(count)
        array[indexes] = converted
        return array
    # OpenFisca's own conversion, value by value.
    array = variable.default_array(count)
    for index, value in zip(indexes, values, strict=True):
        array[index] = variable.check_set_value(value)
    return array


def _set_inputs(variables, population, entity_inputs: dict) -> None:
    """``finalize_variables_init`` for one population: a holder per variable, its periods smaller first."""
    population_holders = population._holders
    count = population.count
    for name, by_period in entity_inputs.items():
        variable = variables[name]
        if variable.is_neutralized:
            raise Unsupported(name)  # OpenFisca warns and ignores the value
        holder = population_holders[name] = holders.Holder(variable, population)
        given = []
        for text, (indexes, values) in by_period.items():
            period, size_key = _periods[text]
            given.append((size_key, period, _array(variable, count, indexes, values)))
        if len(given) > 1:
            given.sort(key=_size_key)  # stable: periods of one size keep their order
        end = variable.end
        for _size, period, array in given:
            if end is None or period.start.date <= end:
                _set_input(holder, period, array)


def _size_key(item: tuple) -> str:
    return item[0]


def _set_input(holder, period, array) -> None:
    """``Holder.set_input(period, array)`` for an array of the variable's dtype and the population's length."""
    variable = holder.variable
    arrays = holder._memory_storage._arrays
    eternal = holder._eternal
    helper = variable.set_input
    if (
        period.size == 1
        and not eternal
        and period.unit == variable.definition_period
        and (helper is _DIVIDE or helper is _DISPATCH or helper is None)
        and array.__class__ is numpy.ndarray
        and array.dtype.kind in "fib"
        and period not in arrays
    ):
        # Nearly every input: one period of the variable's unit, not known yet. Each way below stores the array as
        # it is then (``_to_array`` keeps it; divided by 1 it is the same, see there).
        arrays[period] = array
        return
    if period.unit == periods.DateUnit.ETERNITY and not eternal:
        raise Unsupported(variable.name)  # OpenFisca's period mismatch
    if helper is None:
        # ``Holder._set``: an eternal variable's value whatever the period; otherwise one period of its unit.
        if eternal:
            arrays[_ETERNITY] = _to_array(holder, array)
            return
        if period.unit != variable.definition_period or period.size > 1:
            raise Unsupported(variable.name)
        arrays[period] = _to_array(holder, array)
        return
    if eternal or (helper is not _DISPATCH and helper is not _DIVIDE):
        holder.set_input(period, array)  # OpenFisca's own steps (an error sends the situation to its builder)
        return
    walked = _walked(period, variable.definition_period)
    if helper is _DISPATCH:
        # The value goes to every sub-period not known yet; a known one's value goes to the next ones.
        array = _to_array(holder, array)
        for sub_period in walked:
            existing = arrays.get(sub_period)
            if existing is None:
                arrays[sub_period] = _to_array(holder, array)
            else:
                array = existing
        return
    known = [arrays.get(sub_period) for sub_period in walked]
    if len(walked) == 1 and known[0] is None and array.__class__ is numpy.ndarray and array.dtype.kind in "fib":
        # One period of the variable's unit: OpenFisca stores ``array / 1`` cast back to the variable's dtype,
        # which has the array's very values (float32 divided by 1 is exact, integers and booleans come back).
        arrays[walked[0]] = _to_array(holder, array)
        return
    remaining = array.copy()
    missing = 0
    for existing in known:
        if existing is None:
            missing += 1
        else:
            remaining -= existing
    if missing:
        divided = remaining / missing
        for sub_period, existing in zip(walked, known, strict=True):
            if existing is None:
                arrays[sub_period] = _to_array(holder, divided)
    elif not (remaining == 0).all():
        raise Unsupported(variable.name)  # OpenFisca's inconsistent input


def _to_array(holder, value):
    """``Holder._to_array``, which returns an array of the right class, length and dtype as it is."""
    variable = holder.variable
    if (
        value.__class__ is (EnumArray if variable.value_type is Enum else numpy.ndarray)
        and value.ndim == 1
        and len(value) == holder.population.count
        and value.dtype == variable.dtype
    ):
        return value
    return holder._to_array(value)
