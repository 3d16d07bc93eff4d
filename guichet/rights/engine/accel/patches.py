"""Faster, equivalent replacements for a few openfisca-core internals (written for openfisca-core 44.7.1).

Why: on one household ~95 % of OpenFisca's time is bookkeeping around tiny arrays (period arithmetic through
pendulum, ``calculate()`` machinery, holder and variable look-ups); on 10,000 households it is per-element Python
loops in vectorial parameter look-ups and role tests. Each replacement below keeps the original's results, dtypes
and errors; anything outside the fast path calls the original function.

* Periods: ``Instant.offset``, ``Period.offset``, ``Period.get_subperiods``, ``Period.stop`` and ``periods.period``
  of a string are memoised (periods are immutable tuples; the memo is bounded).
* ``Simulation.calculate`` without a tracer (``SimpleTracer``): a value already known is returned at once (the
  simple tracer only keeps a stack for cycle detection, and a known value starts no computation), read straight
  from the storage of its variable, found once per simulation (``storage_of``); holders are looked up once per
  simulation, and made as ``Holder.__init__`` makes them without its look-ups; the period-consistency check, which
  depends only on (definition period, unit, size), is made once per shape. With a full tracer (``/trace``,
  explanations) the original path runs unchanged.
* ``Simulation._calculate`` asks the simulation's ``fold`` reuse hook, when one is installed, before running a
  formula (see ``fold``); ``calculate`` asks it for a constant when the variable is not on the stack (no cycle or
  spiral check could stop it then), without pushing a frame; while ``fold`` learns from a formula run, the values
  the formula asks for are noted in its frame, and a holder read directly (``Population.get_holder``) or a
  computation outside the fast path cancels the note. A formula's result is cast and stored without the generic
  conversions when it already is an array of the variable's dtype and of the population's length.
* The cycle check (``_check_for_cycle``) counts the frames of each variable on the stack instead of scanning it; a
  spiral's message, which ``_calculate`` swallows, no longer prints the stack. Purging the values a spiral
  invalidated removes their keys instead of rebuilding each holder's dict; ``calculate_add`` remembers the
  sub-periods of a (variable, period) it has checked.
* ``Variable.get_formula`` is memoised per period; ``Population.__call__`` checks a (entity, variable) pair once,
  also with ``options=[ADD]``; ``Simulation.get_population`` maps plurals to populations once per simulation.
* Vectorial parameter look-ups (``parameters[zone]``, ``bareme[type_de_logement]``...) resolve each *distinct* key
  once and spread the result with numpy instead of walking the tree once per person; whether a node can be
  looked up so is checked once per node (the system keeps its nodes at an instant).
* ``Population.has_role`` compares small integer role codes instead of ``Role`` objects one by one (``Role`` has
  identity equality, so the result is the same boolean array). ``GroupPopulation.value_from_person`` finds the
  persons holding a role once per entity structure, and reads their values directly.
* ``MarginalRateTaxScale.calc`` with one factor for every base broadcasts one row of thresholds instead of tiling
  the bases and thresholds per element (same values, same order of additions).
* ``SimulationBuilder.register_variables`` no longer maps every variable of the system to its entity up front:
  the map finds an entry the same way when it is read (only axes read it).
"""

import threading
from importlib import metadata

import numpy
from openfisca_core import errors, periods, projectors
from openfisca_core.data_storage import InMemoryStorage
from openfisca_core.holders import Holder
from openfisca_core.indexed_enums import Enum, EnumArray
from openfisca_core.parameters import parameter_node_at_instant as pnai_module
from openfisca_core.parameters import vectorial_parameter_node_at_instant as vpnai_module
from openfisca_core.periods import instant_ as instant_module
from openfisca_core.periods import period_ as period_module
from openfisca_core.populations import ADD, _core_population
from openfisca_core.populations import group_population as group_population_module
from openfisca_core.populations import population as population_module
from openfisca_core.simulations import simulation as simulation_module
from openfisca_core.simulations import simulation_builder as simulation_builder_module
from openfisca_core.taxscales import marginal_rate_tax_scale as marginal_rate_tax_scale_module
from openfisca_core.tracers import SimpleTracer
from openfisca_core.variables import variable as variable_module

OPENFISCA_CORE_VERSION = "44.7.1"

Instant = instant_module.Instant
Period = period_module.Period
ParameterNodeAtInstant = pnai_module.ParameterNodeAtInstant
VectorialParameterNodeAtInstant = vpnai_module.VectorialParameterNodeAtInstant
Simulation = simulation_module.Simulation
SimulationBuilder = simulation_builder_module.SimulationBuilder
Variable = variable_module.Variable
CorePopulation = _core_population.CorePopulation
Population = population_module.Population
GroupPopulation = group_population_module.GroupPopulation
MarginalRateTaxScale = marginal_rate_tax_scale_module.MarginalRateTaxScale

_MEMO_LIMIT = 200_000
REUSE_ATTRIBUTE = "_guichet_reuse"
READS = "_guichet_reads"  # in a frame of the simple tracer's stack: what its formula asked for
_lock = threading.Lock()
_originals: dict[tuple[object, str], object] = {}


def _memo_put(memo: dict, key: object, value: object) -> None:
    if len(memo) > _MEMO_LIMIT:  # bounded: a long-lived process sees few distinct periods, but never grow forever
        memo.clear()
    memo[key] = value


# ---------------------------------------------------------------------------------------------------------------
# Periods


_instant_offset_memo: dict = {}
_period_offset_memo: dict = {}
_subperiods_memo: dict = {}
_stop_memo: dict = {}
_period_memo: dict = {}


def _instant_offset(self, offset, unit):
    key = (self, offset, unit)
    try:
        return _instant_offset_memo[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable offset: let the original explain
        return _originals[(Instant, "offset")](self, offset, unit)
    result = _originals[(Instant, "offset")](self, offset, unit)
    _memo_put(_instant_offset_memo, key, result)
    return result


def _period_offset(self, offset, unit=None):
    key = (self, offset, unit)
    try:
        return _period_offset_memo[key]
    except KeyError:
        pass
    except TypeError:
        return _originals[(Period, "offset")](self, offset, unit)
    result = _originals[(Period, "offset")](self, offset, unit)
    _memo_put(_period_offset_memo, key, result)
    return result


def _get_subperiods(self, unit):
    key = (self, unit)
    result = _subperiods_memo.get(key)
    if result is None:
        result = tuple(_originals[(Period, "get_subperiods")](self, unit))
        _memo_put(_subperiods_memo, key, result)
    return list(result)  # a fresh list, as the original: callers may modify it


def _stop(self):
    result = _stop_memo.get(self)
    if result is None:
        result = _originals[(Period, "stop")].fget(self)
        _memo_put(_stop_memo, self, result)
    return result


def _period(value):
    if value.__class__ is Period:
        return value
    if isinstance(value, str):  # openfisca-core's own PeriodStr too
        result = _period_memo.get(value)
        if result is None:
            result = _originals[(periods, "period")](value)  # raises on a malformed period, before memoising
            _memo_put(_period_memo, value, result)
        return result
    return _originals[(periods, "period")](value)


# ---------------------------------------------------------------------------------------------------------------
# Simulation.calculate


_ETERNITY = periods.period(periods.DateUnit.ETERNITY)
_consistent_shapes: set = set()


def _holder_of(simulation, variable_name):
    # Cached per simulation and tied to its populations: ``Simulation.clone`` copies ``__dict__`` but builds new
    # populations, so a clone never reuses the original's holders.
    cache = simulation.__dict__.get("_guichet_holders")
    if cache is None or cache[0] is not simulation.populations:
        cache = (simulation.populations, {})
        simulation.__dict__["_guichet_holders"] = cache
    holders = cache[1]
    holder = holders.get(variable_name)
    if holder is None:
        holder = holders[variable_name] = _new_holder(simulation, variable_name)
    return holder


def _new_holder(simulation, variable_name):
    # ``simulation.get_variable_population(variable_name).get_holder(variable_name)``: the population is the one of
    # the variable's entity (so the entity check passes), and a new holder gets what ``Holder.__init__`` sets when
    # the simulation has no memory configuration, without comparing its definition period to ``ETERNITY`` again
    # (a string enum comparison) for each of the hundreds of holders a simulation makes.
    variable = simulation.tax_benefit_system.variables.get(variable_name)
    if variable is None or simulation.memory_config:
        population = simulation.get_variable_population(variable_name)  # raises as the original when unknown
        return _originals[(CorePopulation, "get_holder")](population, variable_name)
    population = simulation.populations[variable.entity.key]
    holder = population._holders.get(variable_name)
    if holder is None:
        eternal = variable.__dict__.get("_guichet_eternal")
        if eternal is None:
            eternal = variable.__dict__["_guichet_eternal"] = variable.definition_period == periods.DateUnit.ETERNITY
        holder = Holder.__new__(Holder)
        holder.__dict__.update(
            population=population,
            variable=variable,
            simulation=population.simulation,
            _eternal=eternal,
            _memory_storage=InMemoryStorage(is_eternal=eternal),
            _disk_storage=None,
            _on_disk_storable=False,
            _do_not_store=False,
        )
        population._holders[variable_name] = holder
    return holder


class _Unread:
    """Stands for the storage of a variable whose known values ``storage_of`` does not read (see there)."""

    __slots__ = ()
    _arrays: dict = {}  # never written: every look-up misses and goes through ``calculate``


UNREAD = _Unread()


def storages(simulation) -> dict:
    """Per simulation, the storages ``storage_of`` found, by variable name (tied to the populations, as holders)."""
    cache = simulation.__dict__.get("_guichet_storages")
    if cache is None or cache[0] is not simulation.populations:
        cache = (simulation.populations, {})
        simulation.__dict__["_guichet_storages"] = cache
    return cache[1]


def storage_of(simulation, variable_name):
    """The in-memory storage whose ``_arrays`` map a period of the variable to the value ``calculate`` would return
    at once, or an empty stand-in when known values are kept otherwise (eternal, on disk, neutralised).

    ``calculate`` reads known values there first. So does the walk of ``fold``'s variants, which asks for recorded
    (variable, period) pairs: a value found there is what ``calculate`` returns, and nothing else happens then (the
    walking frame notes no reads), so the walk reads it without the call. Anything not found goes through
    ``calculate``, but for a constant the walk may give itself (see ``frameless``). A value ``calculate`` computes
    is stored there, unless the variable is one whose values are not stored (then the stand-in, where no value is).
    """
    holder = _holder_of(simulation, variable_name)
    storage = holder._memory_storage
    if (
        holder.variable.is_neutralized
        or holder._disk_storage is not None
        or storage.is_eternal
        or holder._do_not_store
        or _opted_out(simulation, variable_name)
    ):
        storage = UNREAD
    storages(simulation)[variable_name] = storage
    return storage


def frameless(simulation) -> dict | None:
    """The per-variable frame counts of the stack when a constant may be given without a frame (as ``calculate``
    gives one, see there: only for a variable not in these counts), or None when it may not.

    For ``fold``'s walk, which gives a constant it meets by writing it to the storage ``storage_of`` found (never
    ``UNREAD``), where ``_store`` would.
    """
    on_stack = simulation.__dict__.get("_guichet_on_stack")
    if (
        on_stack is None
        or on_stack.depth != len(simulation.tracer._stack)
        or simulation.max_spiral_loops < 1
        or simulation.start_computation_period is not None
    ):
        return None
    return on_stack.counts


def _known_array(holder, period):
    """``holder.get_array(period)`` for a ``Period``, without the generic conversions."""
    if holder.variable.is_neutralized or holder._disk_storage is not None:
        return holder.get_array(period)
    storage = holder._memory_storage
    return storage._arrays.get(_ETERNITY if storage.is_eternal else period)


def _checked_holder(simulation, variable_name, period):
    """The variable's holder once ``period`` passed the period check, or None when it does not: then the original
    ``calculate`` raises the very same error."""
    try:
        holder = _holder_of(simulation, variable_name)
        variable = holder.variable
        if period[2] != 1 or period[0] is not variable.definition_period:  # one period of the variable's unit passes
            _check_shape(simulation, period, variable)
    except Exception:
        return None
    return holder


def _check_shape(simulation, period, variable) -> None:
    # The original check depends only on these three values; a shape that passed once always passes.
    shape = (variable.definition_period, period.unit, period.size)
    if shape not in _consistent_shapes:
        simulation._check_period_consistency(period, variable)
        _consistent_shapes.add(shape)


def _calculate(self, variable_name, period):
    if period is not None and period.__class__ is not Period:
        period = _period(period)
    tracer = self.tracer
    if tracer.__class__ is not SimpleTracer or period is None:
        _unobserved(tracer)
        return _originals[(Simulation, "calculate")](self, variable_name, period)
    # A known value, read where ``storage_of`` says: this runs tens of thousands of times. A holder only stores
    # periods of its variable's unit, so a period found there passes the period check.
    stack = tracer._stack
    storages = self.__dict__.get("_guichet_storages")
    if storages is None or storages[0] is not self.populations:
        storages = storage = None
    else:
        storages = storages[1]
        storage = storages.get(variable_name)
    if storage is None:
        try:
            storage = storage_of(self, variable_name)
        except Exception:  # an unknown variable: the original raises the very same error
            return _originals[(Simulation, "calculate")](self, variable_name, period)
        storages = self.__dict__["_guichet_storages"][1]
    cached = storage._arrays.get(period)
    holder = None
    if cached is None and storage is UNREAD:  # known values kept otherwise (see ``storage_of``): the holder's way
        holder = _checked_holder(self, variable_name, period)
        if holder is None:
            return _originals[(Simulation, "calculate")](self, variable_name, period)
        cached = _known_array(holder, period)
    if cached is not None:
        if stack:
            reads = stack[-1].get(READS)  # ``_observe``, inline on the busiest path
            if reads is not None:
                reads.append((variable_name, period, cached))
        elif self.invalidated_caches:
            self.purge_cache_of_invalid_values()
        return cached
    on_stack = self.__dict__.get("_guichet_on_stack")
    if on_stack is None:
        on_stack = self.__dict__["_guichet_on_stack"] = _OnStack()
    counts = on_stack.counts
    reuse = self.__dict__.get(REUSE_ATTRIBUTE)
    # With a plan, for a variable not on the stack (every frame pushed by this fast path, so ``counts`` says so), no
    # cycle or spiral check can stop it, and ``storage`` is where ``Holder.put_in_cache`` would put its value.
    off_stack = (
        reuse is not None
        and stack
        and storage is not UNREAD
        and variable_name not in counts
        and on_stack.depth == len(stack)
        and self.max_spiral_loops >= 1
        and self.start_computation_period is None
    )
    if off_stack:
        # A constant from the plan is what its formula would return, without a frame of its own; its (variable,
        # period) passed the period check when the plan was recorded.
        value = reuse.constant(variable_name, period)
        if value is not None:
            storage._arrays[period] = value
            _observe(stack, variable_name, period, value)
            return value
    if holder is None:
        holder = _checked_holder(self, variable_name, period)
        if holder is None:
            return _originals[(Simulation, "calculate")](self, variable_name, period)
    # With the plan's constant looked for already, a one-household plan's variants are walked at once (``descend``).
    if off_stack and reuse.repeats == 1:
        value = descend(self, reuse, variable_name, period, storage, storages, counts, holder)
        _observe(stack, variable_name, period, value)
        return value
    counts[variable_name] = counts.get(variable_name, 0) + 1
    on_stack.depth += 1
    stack.append({"name": variable_name, "period": period})
    try:
        if self.start_computation_period is None:
            # What ``_calculate_inner`` would do from here.
            value = _compute(self, holder, variable_name, period)
        else:
            value = self._calculate(variable_name, period)
    finally:
        stack.pop()
        on_stack.depth -= 1
        left = counts[variable_name] - 1
        if left:
            counts[variable_name] = left
        else:
            del counts[variable_name]
        if not stack:
            self.purge_cache_of_invalid_values()
    if stack:
        _observe(stack, variable_name, period, value)
    return value


def descend(self, reuse, variable_name, period, storage, storages, counts, holder=None):
    """``calculate`` of a value not known yet, in a one-household simulation with a plan, for a variable that is not
    on the stack (``counts``), under a frame the fast path pushed (``frameless`` says so), with ``storage`` from
    ``storage_of`` (not ``UNREAD``) and no plan's constant for it: its variants are walked (``fold._Reuse.variant``),
    or its formula runs. ``holder`` is looked up when not given (a (variable, period) a walk asks for passed the
    period check when its plan was recorded).

    The cycle check passes (the variable is not on the stack), the stack is not empty after the frame is popped (no
    purge), and the frame below, which walks, notes no reads: what ``calculate`` would do, without its checks.
    """
    stack = self.tracer._stack
    on_stack = self.__dict__["_guichet_on_stack"]
    counts[variable_name] = 1
    on_stack.depth += 1
    stack.append({"name": variable_name, "period": period})
    try:
        array = reuse.variant(self, (variable_name, period), storages, counts)
        if array is None:
            if holder is None:
                holder = _holder_of(self, variable_name)
            array = _run(self, holder, variable_name, period, reuse)
        else:
            storage._arrays[period] = array
    except errors.SpiralError:
        array = (holder or _holder_of(self, variable_name)).default_array()
    finally:
        stack.pop()
        on_stack.depth -= 1
        del counts[variable_name]
    return array


def _observe(stack, variable_name, period, value) -> None:
    # A formula run that ``fold`` learns from notes what it asks for (see ``_run``).
    reads = stack[-1].get(READS)
    if reads is not None:
        reads.append((variable_name, period, value))


def _unobserved(tracer) -> None:
    # A computation outside the fast path cannot be noted: the formula asking for it is not learnt from.
    stack = getattr(tracer, "stack", None)
    if stack and READS in stack[-1]:
        stack[-1][READS] = None


def _store(simulation, holder, variable_name, period, value) -> None:
    # ``Holder.put_in_cache`` for a value from a plan: it passed the same checks when it was recorded.
    if not holder._do_not_store and not _opted_out(simulation, variable_name):
        holder._memory_storage._arrays[_ETERNITY if holder._eternal else period] = value


def _calculate_inner(self, variable_name, period):
    if self.start_computation_period is not None or period.__class__ is not Period:
        return _originals[(Simulation, "_calculate")](self, variable_name, period)
    holder = _holder_of(self, variable_name)
    variable = holder.variable
    _check_shape(self, period, variable)
    cached = _known_array(holder, period)
    if cached is not None:
        return cached
    return _compute(self, holder, variable_name, period)


def _compute(self, holder, variable_name, period):
    """``Simulation._calculate`` from the cycle check on, for a value not known yet (with the fold reuse hook)."""
    try:
        _check_for_cycle(self, variable_name, period)
        reuse = self.__dict__.get(REUSE_ATTRIBUTE)  # set by ``fold.folding`` (see there)
        array = None if reuse is None else reuse(self, variable_name, period)
        if array is None:
            array = _run(self, holder, variable_name, period, reuse)
        else:
            _store(self, holder, variable_name, period, array)
    except errors.SpiralError:
        array = holder.default_array()
    return array


def _run(self, holder, variable_name, period, reuse):
    """Run the formula of a (variable, period) whose frame is on the stack and keep its value, as ``_calculate``
    does; a run the fold reuse hook ``learns`` from notes what the formula asks for (``_observe``)."""
    variable = holder.variable
    frame = None
    if reuse is not None and reuse.learns(variable_name, period):
        frame = self.tracer.stack[-1]
        frame[READS] = []
    array = self._run_formula(variable, holder.population, period)
    if array is None:
        array = holder.default_array()
    array = _cast_formula_result(self, array, variable)
    _put_in_cache(self, holder, period, array)
    if frame is not None:
        reads = frame.pop(READS)
        if reads is not None:
            reuse.learn(variable_name, period, reads, array)
    return array


def _cast_formula_result(simulation, value, variable):
    # ``Simulation._cast_formula_result``. A variable's value type is one of OpenFisca's few value types, so the
    # original's comparison with ``Enum`` (a metaclass ``__eq__`` hashing both sides) is an identity test.
    if variable.value_type is Enum or value.__class__ is not numpy.ndarray:
        return simulation._cast_formula_result(value, variable)
    if value.dtype != variable.dtype:
        return value.astype(variable.dtype)
    return value


def _put_in_cache(simulation, holder, period, value) -> None:
    # ``Holder.put_in_cache`` of a formula's result, cast already: a one-dimensional array of the variable's dtype
    # and of the population's length, for a period that passed the period check, is stored as ``Holder._set`` would
    # (in memory: a holder that may store on disk goes the original way).
    if holder._do_not_store or _opted_out(simulation, holder.variable.name):
        return
    variable = holder.variable
    storage = holder._memory_storage
    if (
        variable.value_type is Enum
        or value.__class__ is not numpy.ndarray
        or value.ndim != 1
        or len(value) != holder.population.count
        or value.dtype != variable.dtype
        or holder._on_disk_storable
        or not (storage.is_eternal or (period.size == 1 and period[0] == variable.definition_period))
    ):
        holder.put_in_cache(value, period)
        return
    storage._arrays[_ETERNITY if storage.is_eternal else period] = value


class _OnStack:
    """How many frames of each variable the fast ``calculate`` has on the simple tracer's stack, and in all."""

    __slots__ = ("counts", "depth")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.depth = 0


def _check_for_cycle(simulation, variable_name, period) -> None:
    """``Simulation._check_for_cycle`` without scanning the stack when the variable is on it only once.

    The original lists the stack's earlier frames of the variable: none when only the current frame has its name
    (and every frame was pushed by the fast path: ``depth`` says so), which is nearly always. Otherwise the same
    scan runs; a spiral's message (which ``_calculate`` swallows) no longer prints the whole stack.
    """
    stack = simulation.tracer.stack
    on_stack = simulation.__dict__.get("_guichet_on_stack")
    if (
        on_stack is not None
        and on_stack.depth == len(stack)
        and on_stack.counts.get(variable_name) == 1
        and simulation.max_spiral_loops >= 1
    ):
        return
    previous_periods = [frame["period"] for frame in stack[:-1] if frame["name"] == variable_name]
    if period in previous_periods:
        raise errors.CycleError(f"Circular definition detected on formula {variable_name}@{period}")
    if len(previous_periods) >= simulation.max_spiral_loops:
        simulation.invalidate_spiral_variables(variable_name)
        raise errors.SpiralError("Quasicircular definition detected on formula " + variable_name, variable_name)


def _purge_cache_of_invalid_values(self) -> None:
    # The original deletes each invalidated value by rebuilding its holder's dict, testing every stored period for
    # inclusion. A holder stores only periods of its variable's unit, one at a time (``Holder._set`` makes sure), so
    # a period of that unit and size includes only itself: remove that key.
    if self.tracer.stack:
        return
    for name, period in self.invalidated_caches:
        holder = _holder_of(self, name)
        storage = holder._memory_storage
        if (
            period.__class__ is Period
            and holder._disk_storage is None
            and not storage.is_eternal
            and period.size == 1
            and period.unit == holder.variable.definition_period
        ):
            storage._arrays.pop(period, None)
        else:
            holder.delete_arrays(period)
    self.invalidated_caches = set()


def _calculate_add(self, variable_name, period):
    # The original checks the variable and the period and lists the sub-periods each time: remember the sub-periods
    # of a (variable, period) that passed, per tax and benefit system, and sum the same way.
    if period.__class__ is not Period:
        return _originals[(Simulation, "calculate_add")](self, variable_name, period)
    system = self.tax_benefit_system
    memo = system.__dict__.get("_guichet_add_subperiods")
    if memo is None:
        memo = system.__dict__["_guichet_add_subperiods"] = {}
    subperiods = memo.get((variable_name, period))
    if subperiods is None:
        result = _originals[(Simulation, "calculate_add")](self, variable_name, period)  # raises as it should
        definition_period = system.get_variable(variable_name).definition_period
        _memo_put(memo, (variable_name, period), tuple(period.get_subperiods(definition_period)))
        return result
    total = 0  # as ``sum`` adds them
    for sub_period in subperiods:
        total = total + self.calculate(variable_name, sub_period)
    return total


def _opted_out(simulation, variable_name) -> bool:
    # ``Holder.put_in_cache``'s other condition.
    blacklist = simulation.tax_benefit_system.cache_blacklist
    return bool(simulation.opt_out_cache and blacklist and variable_name in blacklist)


_NO_FORMULA = object()


def _get_formula(self, period=None):
    if period is None or period.__class__ is not Period:
        return _originals[(Variable, "get_formula")](self, period)
    memo = self.__dict__.get("_guichet_formulas")
    if memo is None:
        memo = self.__dict__["_guichet_formulas"] = {}
    formula = memo.get(period, _NO_FORMULA)
    if formula is _NO_FORMULA:
        formula = _originals[(Variable, "get_formula")](self, period)
        memo[period] = formula
    return formula


_entity_checked: dict = {}


def _get_holder(self, variable_name):
    # A formula reading a holder (``age`` looks for the periods it is known for) reads what no frame notes.
    if self.simulation is not None:
        _unobserved(self.simulation.tracer)
    return _originals[(CorePopulation, "get_holder")](self, variable_name)


def _population_call(self, variable_name, period, options=None):
    # Without options, or with ``[ADD]`` (resources summed over months), what the original does after its checks.
    simulation = self.simulation
    if simulation is None or (
        options is not None and not (options.__class__ is list and len(options) == 1 and options[0] is ADD)
    ):
        return _originals[(CorePopulation, "__call__")](self, variable_name, period, options)
    if period.__class__ is not Period:
        if period.__class__ is not str:
            return _originals[(CorePopulation, "__call__")](self, variable_name, period, options)
        period = _period(period)
    entity = self.entity
    key = (id(entity), variable_name)
    if _entity_checked.get(key) is not entity:
        entity.check_variable_defined_for_entity(variable_name)
        _entity_checked[key] = entity  # holding the entity keeps its id from being reused
    if options is None:
        return simulation.calculate(variable_name, period)
    return simulation.calculate_add(variable_name, period)


def _get_population(self, plural=None):
    # The original walks the populations with a generator on every call (roles, projections): map them once per
    # simulation, the first population of each plural winning as in the original.
    cache = self.__dict__.get("_guichet_populations")
    populations = self.populations
    if cache is None or cache[0] is not populations or cache[1] != len(populations):
        by_plural = {}
        for population in populations.values():
            by_plural.setdefault(population.entity.plural, population)
        cache = self.__dict__["_guichet_populations"] = (populations, len(populations), by_plural)
    try:
        return cache[2].get(plural)
    except TypeError:  # unhashable: the original compares it with each plural
        return _originals[(Simulation, "get_population")](self, plural)


# ---------------------------------------------------------------------------------------------------------------
# Roles


@projectors.projectable
def _has_role(self, role):
    if self.simulation is None:
        return None
    self.entity.check_role_validity(role)
    group_population = self.simulation.get_population(role.entity.plural)
    members_role = group_population.members_role
    cache = group_population.__dict__.get("_guichet_role_codes")
    if cache is None or cache[0] is not members_role or len(cache[1]) != len(members_role):
        codes_by_role: dict[int, tuple[int, object]] = {}
        codes = numpy.fromiter(
            (codes_by_role.setdefault(id(item), (len(codes_by_role), item))[0] for item in members_role),
            dtype=numpy.int32,
            count=len(members_role),
        )
        cache = (members_role, codes, codes_by_role)
        group_population.__dict__["_guichet_role_codes"] = cache
    _, codes, codes_by_role = cache

    def matches(candidate):
        entry = codes_by_role.get(id(candidate))
        if entry is None or entry[1] is not candidate:
            return numpy.zeros(len(codes), dtype=bool)
        return codes == entry[0]

    if role.subroles:
        return numpy.logical_or.reduce([matches(subrole) for subrole in role.subroles])
    return matches(role)


@projectors.projectable
def _value_from_person(self, array, role, default=0):
    # The original's checks, then its result from the persons holding ``role``, found once per entity structure.
    self.entity.check_role_validity(role)
    if role.max != 1:
        return _originals[(GroupPopulation, "value_from_person")](self, array, role, default)  # raises
    self.members.check_array_compatible_with_entity(array)
    members_role = self.members_role
    members_entity_id = self.members_entity_id
    cache = self.__dict__.get("_guichet_role_persons")
    if cache is None or cache[0] is not members_role or cache[1] is not members_entity_id:
        cache = self.__dict__["_guichet_role_persons"] = (members_role, members_entity_id, {})
    found = cache[2].get(id(role))
    if found is None or found[0] is not role:
        members_map = self.ordered_members_map
        role_filter = self.members.has_role(role)
        entity_filter = self.any(role_filter)
        # ``array[members_map][role_filter[members_map]]`` reads these persons, in this order.
        found = cache[2][id(role)] = (role, entity_filter, members_map[role_filter[members_map]], entity_filter.all())
    _role, entity_filter, persons, everyone = found
    values = numpy.asarray(array)[persons]
    if everyone:
        result = values  # every entity has the role: all of the original's default array is overwritten
    else:
        result = self.filled_array(default, dtype=array.dtype)
        result[entity_filter] = values
    if isinstance(array, EnumArray):
        result = EnumArray(result, array.possible_values)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Marginal rate scales


_EPSILON = numpy.finfo(numpy.float64).eps


def _marginal_rate_calc(self, tax_base, factor=1.0, round_base_decimals=None):
    # The original tiles the base and the thresholds into (bases x brackets) arrays; with one factor for every base,
    # one row of thresholds broadcast gives the same values, and the same C-ordered array ``a`` keeps ``numpy.dot``
    # (and the rounded sums) adding in the same order.
    if not (
        tax_base.__class__ is numpy.ndarray
        and tax_base.ndim == 1
        and tax_base.dtype.kind in "fiu"
        and factor.__class__ in (int, float)
    ):
        return _originals[(MarginalRateTaxScale, "calc")](self, tax_base, factor, round_base_decimals)
    thresholds = (numpy.float64(factor) + _EPSILON) * numpy.array([*self.thresholds, numpy.inf])
    if round_base_decimals is not None:
        thresholds = numpy.round(thresholds, round_base_decimals)
    a = numpy.maximum(numpy.minimum(tax_base[:, None], thresholds[1:]) - thresholds[:-1], 0)
    if round_base_decimals is None:
        return numpy.dot(self.rates, a.T)
    b = numpy.round(a, round_base_decimals)
    return numpy.round(numpy.array(self.rates) * b, round_base_decimals).sum(axis=1)


# ---------------------------------------------------------------------------------------------------------------
# Vectorial parameters


_UNIQUE_KINDS = frozenset("Uiu")
_COUNTED_SPAN = 1 << 16  # integer keys spanning at most this many values are counted instead of sorted


def _unique(keys: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``numpy.unique(keys, return_inverse=True)`` of a non-empty 1-D array, the inverse flat. Integer keys of a small
    span (codes, enum indices, pairs of them) are counted, in linear time, rather than sorted."""
    if keys.dtype.kind == "i" or (keys.dtype.kind == "u" and keys.dtype.itemsize < 8):
        low = int(keys.min())
        span = int(keys.max()) - low + 1
        if span <= _COUNTED_SPAN:
            offsets = keys.astype(numpy.intp) - low
            present = numpy.flatnonzero(numpy.bincount(offsets, minlength=span))
            rank = numpy.zeros(span, dtype=numpy.intp)
            rank[present] = numpy.arange(len(present))
            return (present + low).astype(keys.dtype), rank[offsets]
    unique, inverse = numpy.unique(keys, return_inverse=True)
    return unique, inverse.reshape(-1)


def _spread(parent, unique_nodes: list, inverse: numpy.ndarray):
    """``build_from_nodes`` for nodes given once per distinct key and the index of each element's key."""
    if isinstance(unique_nodes[0], ParameterNodeAtInstant):
        return CompactVectorialNode(unique_nodes, inverse, parent._name, parent._instant_str)
    # numpy infers the dtype from the distinct values, which are exactly the values of the full list.
    return numpy.array(unique_nodes)[inverse]


class CompactVectorialNode(VectorialParameterNodeAtInstant):
    """A vectorial parameter node stored as its distinct sub-nodes and, per element, the index of its sub-node."""

    def __init__(self, unique_nodes: list, inverse: numpy.ndarray, name: str, instant_str: str) -> None:
        # Set through __dict__: the base class turns unknown attributes into parameter look-ups.
        self.__dict__.update(_unique=unique_nodes, _inverse=inverse, _name=name, _instant_str=instant_str)

    @property
    def vector(self) -> list:
        """The sub-node of each element, as the base class stores it."""
        return [self._unique[index] for index in self._inverse]

    def __getitem__(self, key):
        if isinstance(key, str):
            return _spread(self, [node[key] for node in self._unique], self._inverse)
        if (
            type(key) is numpy.ndarray
            and key.ndim == 1
            and key.dtype.kind in _UNIQUE_KINDS
            and len(key) == len(self._inverse)
            and len(key)
        ):
            keys, key_inverse = _unique(key)
            pairs = self._inverse.astype(numpy.int64) * len(keys) + key_inverse
            unique_pairs, pair_inverse = _unique(pairs)
            nodes = [self._unique[pair // len(keys)][keys[pair % len(keys)]] for pair in unique_pairs.tolist()]
            return _spread(self, nodes, pair_inverse)
        return VectorialParameterNodeAtInstant.__getitem__(self, key)


# Parameter nodes at an instant found vectorisable, by id (each kept, so that its id is not reused).
_vectorisable: dict[int, ParameterNodeAtInstant] = {}


def _build_from_node_name(node, key):
    # A node's check looks at its structure only, which does not change once built, and the system keeps its nodes
    # at an instant: each is checked once (the check makes five closures per call, ~3% of a request).
    if _vectorisable.get(id(node)) is not node:
        VectorialParameterNodeAtInstant.check_node_vectorisable(node)  # raises when it is not
        _memo_put(_vectorisable, id(node), node)
    keys = VectorialParameterNodeAtInstant._get_appropriate_keys(key)
    if not (isinstance(keys, numpy.ndarray) and keys.ndim == 1 and len(keys) and keys.dtype.kind in _UNIQUE_KINDS):
        return _originals[(VectorialParameterNodeAtInstant, "build_from_node_name")](node, key)
    unique_keys, inverse = _unique(keys)
    get_subnode_key = VectorialParameterNodeAtInstant._get_appropriate_subnode_function(unique_keys[0])
    nodes = [node[get_subnode_key(node, item)] for item in unique_keys]
    return _spread(node, nodes, inverse)


# ---------------------------------------------------------------------------------------------------------------
# SimulationBuilder


class _VariableEntities(dict):
    """``SimulationBuilder.variable_entities`` filled when read: a variable's entry is found, the way
    ``register_variables`` finds it, the first time it is asked for."""

    __slots__ = ("simulation",)

    def __missing__(self, variable_name):
        if variable_name not in self.simulation.tax_benefit_system.variables:
            raise KeyError(variable_name)  # as the original map, which holds the system's variables only
        entity = self.simulation.get_variable_population(variable_name).entity
        self[variable_name] = entity
        return entity


def _register_variables(self, simulation) -> None:
    # The original maps each of the system's thousands of variables to its entity for every simulation it builds
    # (a few milliseconds); only axes read the map, for one or two variables.
    entities = _VariableEntities(self.variable_entities)
    entities.simulation = simulation
    self.variable_entities = entities


# ---------------------------------------------------------------------------------------------------------------
# Install / uninstall


def _replacements() -> list[tuple[object, str, object]]:
    return [
        (Instant, "offset", _instant_offset),
        (Period, "offset", _period_offset),
        (Period, "get_subperiods", _get_subperiods),
        (Period, "stop", property(_stop)),
        (periods, "period", _period),
        (Simulation, "calculate", _calculate),
        (Simulation, "_calculate", _calculate_inner),
        (Simulation, "purge_cache_of_invalid_values", _purge_cache_of_invalid_values),
        (Simulation, "calculate_add", _calculate_add),
        (Simulation, "get_population", _get_population),
        (Variable, "get_formula", _get_formula),
        (CorePopulation, "__call__", _population_call),
        (CorePopulation, "get_holder", _get_holder),
        (Population, "has_role", _has_role),
        (GroupPopulation, "value_from_person", _value_from_person),
        (MarginalRateTaxScale, "calc", _marginal_rate_calc),
        (SimulationBuilder, "register_variables", _register_variables),
        (VectorialParameterNodeAtInstant, "build_from_node_name", staticmethod(_build_from_node_name)),
    ]


def is_installed() -> bool:
    """Whether the replacements are in place."""
    return bool(_originals)


def install() -> bool:
    """Put the replacements in place (idempotent); False on an openfisca-core version they were not written for."""
    if metadata.version("openfisca-core") != OPENFISCA_CORE_VERSION:
        return False
    with _lock:
        if _originals:
            return True
        for owner, name, replacement in _replacements():
            # Read from __dict__ so staticmethods and properties are restored as they were.
            original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            if isinstance(original, staticmethod):
                _originals[(owner, name)] = original.__func__
                _originals[(owner, "__raw__" + name)] = original
            else:
                _originals[(owner, name)] = original
            setattr(owner, name, replacement)
    return True


def uninstall() -> None:
    """Restore every original (idempotent)."""
    with _lock:
        for owner, name, _replacement in _replacements():
            raw = _originals.get((owner, "__raw__" + name), _originals.get((owner, name)))
            if raw is not None:
                setattr(owner, name, raw)
        _originals.clear()
