"""Folding: reuse, across simulations, the values that no input of the household can change.

Most of what OpenFisca-France computes for one household does not depend on the household's answers at all: the
past years back to 2018 that the reference tax income chain reaches, benefits nobody entered, parameters turned into
arrays. Such a value is a function of the law (parameters at a date), the *shape* of the situation (entities, roles,
which inputs were given for which periods) and nothing else, so it is the same for every household of that shape.

How it works:

* The **signature** of a simulation, taken after its inputs are set and before anything is computed, is its entity
  structure (counts, members' groups and roles) and, for every variable given as input, the periods it was given
  for. Values never enter the signature. A batch of ``N`` households that all have the same structure (``N`` blocks
  laid out alike) is recognised as ``N`` repetitions of one household's signature.
* The **first** simulation of a signature runs the ordinary openfisca-core path under a recording tracer that notes,
  for every (variable, period) evaluated, the (variable, period) pairs its formula asked for, the holders its
  formula read directly (``age`` and a few others read the stored periods of a variable), and every value caught in
  a spiral (openfisca-core invalidates those, so they depend on the call stack).
* A node is **dependent** when it is an input, reads the holder of a variable given as input or of a variable
  with a dependent node (``age_en_mois`` derives a month from another month it finds stored), was caught in a
  spiral, or asks for a dependent node; every other node is **constant**. Its value, when the first simulation had
  several repetitions, must also be equal in every repetition, or it is treated as dependent too (a check against
  a dependency the recording could not see). The plan keeps the **frontier**: the constant nodes asked for by a
  dependent node or by the caller. Nodes behind the frontier are never asked for again.
* For a **dependent** node the plan keeps its dependent children, in the order its formula first asked for them,
  with their values, and the value the formula returned (``_Reuse``, verified reuse as in build systems).
* **Later** simulations of the signature are given, just before a formula would run (after openfisca-core's cycle
  check), a constant's value at once, and a dependent node's recorded value when each of its children, computed in
  that order under the same call stack, equals its recorded value bit for bit; at the first difference the formula
  runs and finds those children computed. Up to that difference the formula would have asked for exactly these
  children, so every amount is plain OpenFisca-France's: ``tests/rights/engine/test_fold.py`` compares them, layer
  on and off, on households with other amounts, rents, communes and birth dates.

* In a simulation of **one household**, a dependent node's children are walked through a tree of **variants**
  (``Plan.variants``; the recorded check is its first branch): each child, asked for in order, leads by its value to
  the next child the formula asked for after that value, then to the value it returned. When no branch matches, the
  formula runs while the speed layer notes every value it asks for, and that run becomes a new branch (at most
  ``VARIANT_LIMIT`` per node, ``LEARN_LIMIT`` per process). Households differ in a few values: ages take a few
  values per month, contribution rates and eligibility flags a handful, so most of a new household's formulas meet
  a variant. The same argument makes it exact: a formula that got the same values, in the same order, asks for the
  same next child and returns the same value. A run that read a holder directly or computed outside the fast path
  cannot be noted and teaches nothing.

* An **explanation** walks the trace of one aid (``explain``), so its formulas must run under OpenFisca's full
  tracer. ``traced`` records, from the full trace of a signature's first explanation, the plan and the subtree of
  each constant node (children and parameters read, what the walk reads). Later explanations of the signature are
  given the constants, whose subtrees the walk reads from the plan, and a dependent node's value from variants
  (with the parameters its formula read) when its children, traced, lead to one; every other formula runs, traced
  as usual, and teaches a variant: the same trace for the walk, only the household's own part computed.

Folding is part of the speed layer: it does nothing when the layer is off. ``folding`` never runs under a full
tracer (``/trace`` shows every computation); ``traced`` only runs under one.
"""

import collections
import contextlib
import dataclasses
import math
import os
import sys
import threading
from collections.abc import Iterator, Mapping

import numpy
import openfisca_core
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.periods import DateUnit
from openfisca_core.periods import period as to_period
from openfisca_core.simulations import Simulation
from openfisca_core.tracers import FullTracer, SimpleTracer, TraceNode

from guichet.rights.engine.accel import patches

PLAN_LIMIT = 128  # plans kept per process (shapes and purposes are few); the oldest plan goes first
VARIANT_LIMIT = 16  # variants learnt per node of a plan
LEARN_LIMIT = 50_000  # variants kept per process, over its plans
MAX_SINGLE_PERSONS = 12  # a situation larger than a household, and not repeated, is computed without folding
_ETERNITY = to_period(DateUnit.ETERNITY)
_ENGINE_DIRECTORIES = (os.path.dirname(openfisca_core.__file__), os.path.dirname(__file__))

Node = tuple[str, object]  # (variable name, Period)

Check = tuple[tuple[tuple[str, object, numpy.ndarray], ...], numpy.ndarray]

# A trace node, by (variable, period as text): the keys of its children, in the order its formula first asked for
# them, and the parameters it read, by (name, instant as text), each with the last value read.
Subtree = tuple[tuple[tuple[str, str], ...], dict[tuple[str, str], object]]


class _Step:
    """A variant's next child to ask for, and where each of its values (by ``_key``) leads.

    ``same``: a read-only array met here (a plan's constant, a variant's value) and its branch, so that meeting that
    very array again needs no key.
    """

    __slots__ = ("branches", "bytes", "constant", "name", "period", "same")

    def __init__(self, name: str, period: object, constant: numpy.ndarray | None) -> None:
        self.name = name
        self.period = period
        self.constant = constant  # the plan's value when this child is a constant node
        self.branches: dict[object, _Step | _Leaf] = {}
        self.same: tuple[numpy.ndarray, _Step | _Leaf] | None = None
        self.bytes = True  # whether the child's values are known by their bytes (see ``_key``)

    def add(self, child: numpy.ndarray, following: "_Step | _Leaf") -> None:
        """Lead from this child's value to ``following``."""
        self.bytes = not child.dtype.hasobject  # a variable's values always have its dtype
        self.branches[_key(child)] = following
        if self.same is None and not child.flags.writeable:
            self.same = (child, following)


class _Leaf:
    """The value a formula returned after asking for the children on the way here (and, in a plan of ``traced``,
    the parameters it read: see ``Traced.parameters``)."""

    __slots__ = ("parameters", "value")

    def __init__(self, value: numpy.ndarray, parameters: dict | None = None) -> None:
        self.value = value
        self.parameters = parameters


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a signature's first simulation taught (arrays are one block, read-only).

    ``constants``: the value of each node of the constant frontier.
    ``checks``: per dependent (variable, period), its children in the order its formula first asked for them, each
    with the value it had, and the value the formula then returned.
    ``variants``: per dependent node, what single-household simulations of the signature taught since: a tree of
    the children its formula asked for, branching on their values, whose leaves are the values it returned.
    """

    constants: dict[Node, numpy.ndarray]
    checks: dict[Node, Check]
    variants: dict[Node, "_Step | _Leaf"] = dataclasses.field(default_factory=dict)
    learned: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    uniform: dict[int, bool] = dataclasses.field(default_factory=dict)  # ``_uniform`` of a block, by id
    # For a plan recorded under the full tracer (``traced``): what each constant node's first trace node held, and
    # the parameters read by each node of ``checks``.
    subtrees: dict[tuple[str, str], "Subtree"] = dataclasses.field(default_factory=dict)
    read: dict[Node, dict[tuple[str, str], object]] = dataclasses.field(default_factory=dict)


_plans: "collections.OrderedDict[tuple, Plan]" = collections.OrderedDict()
_lock = threading.Lock()
_stats = collections.Counter()


def clear() -> None:
    """Forget every plan (tests, or after changing the law in the process)."""
    with _lock:
        _plans.clear()
        _stats.clear()


def stats() -> dict[str, int]:
    """Plans kept, simulations folded and recorded so far in this process, and variants kept."""
    with _lock:
        return {"plans": len(_plans), **_stats}


def plan_for(simulation: Simulation, purpose: object = None) -> Plan | None:
    """The plan of this simulation's signature and purpose (see ``folding``), if one was recorded; ask before
    computing anything in it."""
    key, _repeats, _inputs = _signature(simulation)
    with _lock:
        return _plans.get((key, purpose))


# ---------------------------------------------------------------------------------------------------------------
# Signature


def _repetitions(simulation: Simulation) -> int:
    """How many identical blocks the entity structure is made of (1 when it is not a repetition)."""
    counts = [population.count for population in simulation.populations.values()]
    repeats = math.gcd(*counts)
    if repeats <= 1:
        return 1
    persons = simulation.persons.count // repeats
    for population in simulation.populations.values():
        if population is simulation.persons:
            continue
        size = population.count // repeats
        ids = population.members_entity_id.reshape(repeats, persons)
        shifted = ids - (numpy.arange(repeats) * size)[:, None]
        roles = population.members_role.reshape(repeats, persons)
        if not ((shifted == shifted[0]).all() and (roles == roles[0]).all()):
            return 1
    return repeats


def _signature(simulation: Simulation) -> tuple[tuple, int, dict[str, set | None]]:
    """(key, repetitions, input periods by variable, None for every period) of a simulation whose inputs are set."""
    repeats = _repetitions(simulation)
    parts: list[object] = [id(simulation.tax_benefit_system), simulation.start_computation_period]
    inputs: dict[str, set | None] = {}
    for plural, population in sorted(simulation.populations.items()):
        parts.append((plural, population.count // repeats))
        if population is not simulation.persons:
            persons = simulation.persons.count // repeats
            parts.append(population.members_entity_id[:persons].tobytes())
            parts.append(tuple(role.key for role in population.members_role[:persons]))
        for name, holder in sorted(population._holders.items()):
            known = holder.get_known_periods()
            if known:
                parts.append((name, frozenset(known)))  # periods are tuples: equal exactly when spelt alike
                # An eternal variable has one value whatever the period asked for.
                inputs[name] = None if holder._memory_storage.is_eternal else set(known)
    return tuple(parts), repeats, inputs


# ---------------------------------------------------------------------------------------------------------------
# Recording


class _Recorder(SimpleTracer):
    """A simple tracer (cycle detection works as usual) that also records the graph of one simulation."""

    def __init__(self, simulation: Simulation) -> None:
        super().__init__()
        self.simulation = simulation
        # Children in the order the parent's formula first asked for them (a dict keeps insertion order).
        self.children: dict[Node, dict[Node, None]] = collections.defaultdict(dict)
        self.roots: dict[Node, None] = {}
        self.holder_reads: dict[Node, set[str]] = collections.defaultdict(set)
        self.tainted: set[Node] = set()

    def record_calculation_start(self, variable, period) -> None:
        node = (variable, period)
        stack = self._stack
        if stack:
            top = stack[-1]
            self.children[(top["name"], top["period"])].setdefault(node)
        else:
            self.roots.setdefault(node)
        stack.append({"name": variable, "period": period})

    def record_calculation_end(self) -> None:
        self._stack.pop()
        # Spiral values are purged right after this, once the stack is empty (never before: until then they only
        # accumulate): note them then, and only then, since a long calculation may gather thousands of them.
        invalidated = self.simulation.invalidated_caches
        if invalidated and not self._stack:
            self.tainted.update((entry.variable, entry.period) for entry in invalidated)

    def note_holder_read(self, variable_name: str) -> None:
        stack = self._stack
        if stack:
            top = stack[-1]
            self.holder_reads[(top["name"], top["period"])].add(variable_name)


def _watch_holder_reads(simulation: Simulation, recorder: "_Recorder | _TracedRecorder") -> list:
    """Note the holders that the model's formulas read directly (not through ``calculate``)."""
    watched = []
    for population in simulation.populations.values():
        original = population.get_holder

        def get_holder(variable_name, _original=original):
            # Only reads made by the model's formulas: openfisca-core and this layer read holders to compute, which
            # is not a dependency. (OpenFisca loads the model's files under generated module names: look at files.)
            if not sys._getframe(1).f_code.co_filename.startswith(_ENGINE_DIRECTORIES):
                recorder.note_holder_read(variable_name)
            return _original(variable_name)

        population.get_holder = get_holder
        watched.append(population)
    return watched


class _UntimedTracer(FullTracer):
    """OpenFisca's full tracer, without the timings (an explanation never shows them, and taking them cost a tenth of
    its time): the same nodes, children, values and parameters read.

    Its nodes have no ``parent`` (nothing reads it but the tracer itself, to go back up): the nodes being computed
    are kept on a stack instead, so a trace holds no reference cycle and is freed with its simulation (~2,200
    nodes per explanation left to the garbage collector: 13 full collections in 200 explanations instead of 9)."""

    def __init__(self) -> None:
        super().__init__()
        self._path: list[TraceNode] = []  # the nodes being computed, outermost first

    def record_calculation_start(self, variable: str, period: object) -> None:
        self._simple_tracer._stack.append({"name": variable, "period": period})
        parent = self._current_node
        node = TraceNode(name=variable, period=period)
        if parent is None:
            self._trees.append(node)
        else:
            parent.children.append(node)
        self._path.append(node)
        self._current_node = node

    def record_calculation_end(self) -> None:
        self._simple_tracer._stack.pop()
        path = self._path
        path.pop()
        self._current_node = path[-1] if path else None


class _TracedRecorder(_UntimedTracer):
    """The untimed full tracer, noting also what ``_analyse`` needs beyond the trace: holders read and spirals."""

    def __init__(self, simulation: Simulation) -> None:
        super().__init__()
        self.simulation = simulation
        self.holder_reads: dict[Node, set[str]] = collections.defaultdict(set)
        self.tainted: set[Node] = set()

    def record_calculation_end(self) -> None:
        super().record_calculation_end()
        invalidated = self.simulation.invalidated_caches
        if invalidated and not self.stack:  # as ``_Recorder``
            self.tainted.update((entry.variable, entry.period) for entry in invalidated)

    def note_holder_read(self, variable_name: str) -> None:
        node = self._current_node
        if node is not None:
            self.holder_reads[(node.name, node.period)].add(variable_name)

    def graph(self) -> _Recorder:
        """The recorded graph, as ``_Recorder`` keeps it (children of every node, roots, holder reads, spirals)."""
        graph = _Recorder(self.simulation)
        graph.holder_reads = self.holder_reads
        graph.tainted = self.tainted
        for tree in self.trees:
            graph.roots.setdefault((tree.name, tree.period))
        for node in self.browse_trace():
            children = graph.children[(node.name, node.period)]
            for child in node.children:
                children.setdefault((child.name, child.period))
        return graph

    def subtrees(self) -> dict[tuple[str, str], Subtree]:
        """Each node's subtree (see ``Subtree``), from its first trace node, as an explanation reads the trace."""
        subtrees: dict[tuple[str, str], Subtree] = {}
        labels: dict[object, str] = {}
        for node in self.browse_trace():
            key = (node.name, labels.setdefault(node.period, str(node.period)))
            if key in subtrees:
                continue
            children = dict.fromkeys(
                (child.name, labels.setdefault(child.period, str(child.period))) for child in node.children
            )
            parameters = {(parameter.name, str(parameter.period)): parameter.value for parameter in node.parameters}
            subtrees[key] = (tuple(children), parameters)
        return subtrees


def _analyse(recorder: _Recorder, inputs: dict[str, set | None], seeds: set[Node]) -> tuple[set[Node], set[Node]]:
    """(dependent nodes, frontier of constant nodes) of a recorded graph; ``seeds`` are dependent."""
    parents: dict[Node, list[Node]] = collections.defaultdict(list)
    nodes = set(recorder.roots)
    for parent, children in recorder.children.items():
        nodes.add(parent)
        for child in children:
            nodes.add(child)
            parents[child].append(parent)
    # A formula that reads a holder (``age_en_mois`` derives a month from another month it finds stored) depends on
    # every value of that variable: those computed here, as well as those given.
    by_variable: dict[str, list[Node]] = collections.defaultdict(list)
    for node in nodes:
        by_variable[node[0]].append(node)
    for reader, names in recorder.holder_reads.items():
        for name in names:
            for node in by_variable.get(name, ()):
                parents[node].append(reader)
    input_names = set(inputs)
    pending = [node for node in nodes if node[0] in inputs and (inputs[node[0]] is None or node[1] in inputs[node[0]])]
    pending += [node for node, names in recorder.holder_reads.items() if names & input_names]
    pending += [node for node in recorder.tainted if node in nodes]
    pending += [node for node in seeds if node in nodes]
    dependent: set[Node] = set()
    while pending:
        node = pending.pop()
        if node in dependent:
            continue
        dependent.add(node)
        pending.extend(parents.get(node, ()))
    frontier = {
        node
        for node in nodes - dependent
        if node in recorder.roots or any(parent in dependent for parent in parents.get(node, ()))
    }
    return dependent, frontier


def _stored(simulation: Simulation, node: Node) -> numpy.ndarray | None:
    """The value openfisca-core kept for a node, or None."""
    holder = simulation.get_holder(node[0])
    if holder.variable.is_neutralized or holder._disk_storage is not None or holder._do_not_store:
        return None
    storage = holder._memory_storage
    return storage._arrays.get(_ETERNITY if storage.is_eternal else node[1])


def _block(array: numpy.ndarray, repeats: int) -> numpy.ndarray | None:
    """The first of ``repeats`` equal blocks of ``array``, read-only; None when the blocks differ."""
    size, rest = divmod(len(array), repeats)
    if rest:
        return None
    first = numpy.asarray(array)[:size]
    if repeats > 1 and not _same(array, first, repeats):
        return None
    block = numpy.array(first, copy=True)
    if isinstance(array, EnumArray):
        block = EnumArray(block, array.possible_values)
    block.flags.writeable = False
    return block


def _same(value: numpy.ndarray, block: numpy.ndarray, repeats: int) -> bool:
    """Whether ``value`` is ``repeats`` copies of ``block``: same dtype, equal values (NaN never equals; one block
    is compared bit for bit)."""
    value = numpy.asarray(value)
    block = numpy.asarray(block)
    if value.dtype != block.dtype or len(value) != len(block) * repeats:
        return False
    if value.dtype.kind == "O":
        return bool((value.reshape(repeats, -1) == block).all())
    if value.dtype.kind == "f" and numpy.isnan(block).any():
        return False
    if repeats == 1:
        return value.tobytes() == block.tobytes()
    return bool((value.reshape(repeats, -1) == block).all())


def _build_plan(simulation: Simulation, recorder: _Recorder, inputs: dict[str, set | None], repeats: int) -> Plan:
    seeds: set[Node] = set()
    while True:
        dependent, frontier = _analyse(recorder, inputs, seeds)
        constants: dict[Node, numpy.ndarray] = {}
        unequal = set()
        for node in frontier:
            array = _stored(simulation, node)
            if array is None:
                continue  # not kept by openfisca-core: it will simply be computed
            block = _block(array, repeats)
            if block is None:
                unequal.add(node)
            else:
                constants[node] = block
        if not unequal:
            break
        # A "constant" that differs between households depends on something the recording could not see.
        seeds |= unequal
    blocks: dict[Node, numpy.ndarray] = {}
    for node in dependent:
        array = _stored(simulation, node)
        if array is not None and node not in recorder.tainted:
            block = _block(array, repeats)
            if block is not None:
                blocks[node] = block
    checks: dict[Node, Check] = {}
    for node, children in recorder.children.items():
        if node not in blocks or node in recorder.holder_reads:
            continue  # computed each time: caught in a spiral, different between households, or reads holders
        verified = [(child, blocks.get(child, constants.get(child))) for child in children]
        if all(block is not None for _child, block in verified):
            checks[node] = (tuple((child[0], child[1], block) for child, block in verified), blocks[node])
    return Plan(constants=constants, checks=checks)


# ---------------------------------------------------------------------------------------------------------------
# Applying


def _uniform(block: numpy.ndarray) -> bool:
    """Whether a block is one value throughout, bytes for bytes (most constants are a default value for every
    member); object arrays never are (their bytes are pointers)."""
    plain = numpy.asarray(block)
    return len(plain) == 1 or (not plain.dtype.hasobject and plain.tobytes() == plain[:1].tobytes() * len(plain))


def _repeated(block: numpy.ndarray, repeats: int, uniform: bool) -> numpy.ndarray:
    """``repeats`` copies of a block, read-only; a block that is ``uniform`` (see ``_uniform``) repeated is a view of
    its one value, not a copy."""
    if repeats == 1:
        return block
    plain = numpy.asarray(block)
    if uniform:
        # What ``numpy.broadcast_to`` makes (a read-only view, stride 0), without its checks: a shape is given
        # thousands of constants.
        value = numpy.ndarray((repeats * len(plain),), plain.dtype, plain[:1], 0, (0,))
    else:
        value = numpy.tile(plain, repeats)
    value.flags.writeable = False
    return EnumArray(value, block.possible_values) if isinstance(block, EnumArray) else value


def _key(value: numpy.ndarray) -> object:
    """What a child's value is known by in a variant: its bytes (a variable's values always have its dtype)."""
    if value.dtype.hasobject:
        return tuple(value.tolist())
    return value.tobytes()


class _Reuse:
    """Installed on a simulation: the value of a node from its plan, instead of running its formula.

    Called by the speed layer's ``Simulation._calculate`` just before it would run a formula (after the cycle check,
    as the formula would be). A constant is given at once. For a dependent node, its children (constants too) are
    asked for in the order the formula first asked for them, under the same call stack, so what they compute (and
    any spiral they meet) is what the formula itself would have caused; if each equals its recorded value, the
    formula's recorded result is given, otherwise the formula runs and finds those children already computed.

    In a simulation of one household, a node's children are walked through the plan's ``variants`` tree instead,
    and a formula that ran because its children matched no variant is watched (every value it asks for is noted
    by the speed layer) to add one: the next household whose children have those values gets its value without
    the formula. A run that asked for something the speed layer could not note (a holder read directly, a
    computation outside its fast path) teaches nothing.
    """

    __slots__ = ("checks", "constants", "given", "learned", "learning", "repeats", "uniform", "variants")

    def __init__(self, plan: Plan, repeats: int) -> None:
        self.constants = plan.constants
        self.checks = plan.checks
        self.variants = plan.variants
        self.learned = plan.learned
        self.uniform = plan.uniform
        self.repeats = repeats
        self.learning: Node | None = None
        # Values given from a block, by id (holding the value keeps the id): they need no comparison with it.
        self.given: dict[int, tuple[numpy.ndarray, numpy.ndarray]] = {}

    def _give(self, block: numpy.ndarray) -> numpy.ndarray:
        if self.repeats == 1:
            return block
        # The plan holds its blocks, so their ids stay theirs.
        uniform = self.uniform.get(id(block))
        if uniform is None:
            uniform = self.uniform[id(block)] = _uniform(block)
        value = _repeated(block, self.repeats, uniform)
        self.given[id(value)] = (value, block)
        return value

    def constant(self, variable_name: str, period: object) -> numpy.ndarray | None:
        """The value of a constant node, or None."""
        block = self.constants.get((variable_name, period))
        return None if block is None else self._give(block)

    def __call__(self, simulation: Simulation, variable_name: str, period: object) -> numpy.ndarray | None:
        node = (variable_name, period)
        block = self.constants.get(node)
        if block is not None:
            return self._give(block)
        if self.repeats == 1:
            return self.variant(simulation, node, patches.storages(simulation), patches.frameless(simulation))
        check = self.checks.get(node)
        if check is None:
            return None
        children, value = check
        given = self.given
        repeats = self.repeats
        for child_name, child_period, child_block in children:
            child = simulation.calculate(child_name, child_period)
            known = given.get(id(child))
            if known is not None and known[0] is child and known[1] is child_block:
                continue
            if not _same(child, child_block, repeats):
                return None
        return self._give(value)

    def variant(self, simulation: Simulation, node: Node, storages: dict, counts: dict | None) -> numpy.ndarray | None:
        """The value of a dependent node from its variants in a one-household simulation, or None (then its formula
        runs, and ``learns`` says whether to watch it). ``storages``: ``patches.storages`` of the simulation;
        ``counts``: ``patches.frameless`` of it (the speed layer gives both when it has them at hand)."""
        step = self.variants.get(node)
        if step is None:
            check = self.checks.get(node)
            if check is None:
                self.learning = node
                return None
            step = self._from_check(node, check)
        calculate = simulation.calculate
        while step.__class__ is _Step:
            # A value known already is read where ``calculate`` would find it (see ``patches.storage_of``). One not
            # known yet, of a variable not on the stack, is what ``calculate`` would do without its checks: a
            # constant given and stored, or a dependent node computed by ``patches.descend``.
            storage = storages.get(step.name) or patches.storage_of(simulation, step.name)
            child = storage._arrays.get(step.period)
            if child is None:
                if counts is None or step.name in counts or storage is patches.UNREAD:
                    child = calculate(step.name, step.period)
                elif step.constant is not None:
                    child = storage._arrays[step.period] = step.constant
                else:
                    child = patches.descend(simulation, self, step.name, step.period, storage, storages, counts)
            same = step.same
            if same is not None and same[0] is child:
                step = same[1]
                continue
            following = step.branches.get(child.tobytes() if step.bytes else _key(child))
            if following is None:
                self.learning = node
                return None
            step = following
        return step.value

    def learns(self, variable_name: str, period: object) -> bool:
        """Whether the formula about to run for this node should be watched (asked by the speed layer)."""
        node = (variable_name, period)
        if self.learning != node:
            return False
        self.learning = None
        return self.learned[node] < VARIANT_LIMIT and _stats["variants"] < LEARN_LIMIT

    def learn(self, variable_name: str, period: object, reads: list, value: numpy.ndarray) -> None:
        """Add the variant of a watched formula run: what it asked for, in order, and what it returned."""
        _learn(self.variants, self.learned, self.constants, (variable_name, period), reads, _Leaf(_frozen(value)))

    def _from_check(self, node: Node, check: Check) -> "_Step | _Leaf":
        children, value = check
        return self.variants.setdefault(node, _chain(list(children), _Leaf(value), self.constants))


def _frozen(value: numpy.ndarray) -> numpy.ndarray:
    """A read-only copy of a formula's value, to keep in a variant."""
    frozen = numpy.array(value, copy=True)
    if isinstance(value, EnumArray):
        frozen = EnumArray(frozen, value.possible_values)
    frozen.flags.writeable = False
    return frozen


def _chain(path: list, leaf: _Leaf, constants: dict) -> "_Step | _Leaf":
    """Steps asking for each (name, period, value) of ``path`` in turn, then ``leaf`` (``leaf`` alone if empty)."""
    following: _Step | _Leaf = leaf
    for name, when, child in reversed(path):
        step = _Step(name, when, constants.get((name, when)))
        step.add(child, following)
        following = step
    return following


def _learn(
    variants: dict, learned: collections.Counter, constants: dict, node: Node, reads: list, leaf: _Leaf
) -> None:
    """Add a variant of ``node``: the (name, period, value) its formula asked for, in order, then ``leaf``."""
    # In the order first asked for (asked again, a value comes from the cache: it is the same).
    first: dict[Node, tuple] = {}
    for name, when, child in reads:
        first.setdefault((name, when), (name, when, child))
    path = list(first.values())
    with _lock:
        step = variants.get(node)
        if step is None:
            variants[node] = _chain(path, leaf, constants)
        else:
            for index, (name, when, child) in enumerate(path):
                if step.__class__ is not _Step or step.name != name or step.period != when:
                    return  # the formula asked for something else than the tree says: leave the tree alone
                following = step.branches.get(_key(child))
                if following is None:
                    step.add(child, _chain(path[index + 1 :], leaf, constants))
                    break
                step = following
            else:
                return  # the same children: the variant is known already
        learned[node] += 1
        _stats["variants"] += 1


@dataclasses.dataclass(frozen=True)
class Traced:
    """What an explanation's walk reads beside the trace of a simulation computed under ``traced``.

    ``subtrees``: for each node given as a constant, what its first trace node would have held (see ``Subtree``).
    ``parameters``: for each node whose value was given once its children were checked (its trace node has those
    children), the parameters its formula read, by (name, instant as text), each with the last value read.
    """

    subtrees: Mapping[tuple[str, str], Subtree] = dataclasses.field(default_factory=dict)
    parameters: dict[tuple[str, str], dict[tuple[str, str], object]] = dataclasses.field(default_factory=dict)


class _Traced:
    """Installed on a simulation computed under the full tracer (``traced``): a constant node's value from the plan,
    without running its formula (so without trace nodes below it: ``Plan.subtrees`` has them); a dependent node's
    value from the plan's variants when its children, asked for in turn (traced as its formula would have asked for
    them), lead to one (``Traced.parameters`` then says what the formula read); every other formula runs, traced,
    and teaches a variant once the simulation is computed (``learn``).

    The plan's variants start from its checks (the recording's children and value of each node) and grow as in
    ``_Reuse.variant``, with the same argument: a formula that got the same values, in the same order, asks for
    the same next child, reads the same parameters and returns the same value.
    """

    __slots__ = ("checks", "constants", "learned", "parameters", "read", "variants")

    def __init__(self, plan: Plan, parameters: dict) -> None:
        self.constants = plan.constants
        self.checks = plan.checks
        self.read = plan.read
        self.variants = plan.variants
        self.learned = plan.learned
        self.parameters = parameters

    def __call__(self, simulation: Simulation, variable_name: str, period: object) -> numpy.ndarray | None:
        node = (variable_name, period)
        block = self.constants.get(node)
        if block is not None:
            return block
        step = self.variants.get(node)
        if step is None:
            check = self.checks.get(node)
            if check is None:
                return None
            children, value = check
            step = self.variants.setdefault(
                node, _chain(list(children), _Leaf(value, self.read[node]), self.constants)
            )
        calculate = simulation.calculate
        while step.__class__ is _Step:
            child = calculate(step.name, step.period)
            same = step.same
            if same is not None and same[0] is child:
                step = same[1]
                continue
            following = step.branches.get(child.tobytes() if step.bytes else _key(child))
            if following is None:
                return None
            step = following
        self.parameters[(variable_name, str(period))] = step.parameters
        return step.value

    def learns(self, variable_name: str, period: object) -> bool:
        """Never while computing: ``learn`` reads the trace once the simulation is computed."""
        return False

    def learn(self, recorder: "_TracedRecorder", inputs: dict[str, set | None]) -> None:
        """Add a variant for each formula that ran, from its first trace node: its children in the order first
        asked for, with the values they had then, what it returned and the parameters it read. Not for inputs, nor
        for what read a holder directly or was caught in a spiral (their values depend on more than the children)."""
        given = self.parameters
        seen: set[Node] = set()
        pending = list(reversed(recorder.trees))
        while pending:
            trace_node = pending.pop()
            pending.extend(reversed(trace_node.children))
            node = (trace_node.name, trace_node.period)
            if node in seen:
                continue
            seen.add(node)
            name, period = node
            if (
                node in self.constants
                or name in inputs
                and (inputs[name] is None or period in inputs[name])
                or node in recorder.tainted
                or node in recorder.holder_reads
                or (name, str(period)) in given
                or self.learned[node] >= VARIANT_LIMIT
                or _stats["variants"] >= LEARN_LIMIT
            ):
                continue
            reads = [(child.name, child.period, child.value) for child in trace_node.children]
            if any(value is None for _name, _period, value in reads) or trace_node.value is None:
                continue
            parameters = {(read.name, str(read.period)): read.value for read in trace_node.parameters}
            leaf = _Leaf(_frozen(trace_node.value), parameters)
            _learn(self.variants, self.learned, self.constants, node, reads, leaf)


def _keep(key: tuple, plan: Plan) -> None:
    with _lock:
        _plans[key] = plan
        _stats["recorded"] += 1
        while len(_plans) > PLAN_LIMIT:
            _key, oldest = _plans.popitem(last=False)
            _stats["variants"] -= oldest.learned.total()


@contextlib.contextmanager
def traced(simulation: Simulation, purpose: object) -> Iterator[Traced]:
    """Compute a one-household simulation under OpenFisca's full tracer, reusing what its signature's plan for
    ``purpose`` holds; yields what an explanation reads beside the trace (``Traced``), filled as it computes.

    Enter it with ``simulation.trace`` on, once the inputs are set and before the first ``calculate``; its tracer is
    replaced by one that takes no timings (``_UntimedTracer``). The trace then holds every node that depends on the
    household, computed as usual or given once its children were checked; below a constant node it is what the first
    simulation of the signature traced there, which no input of the household changes (the recording made sure of
    that, as for ``folding``). That first simulation is traced in full and records the plan. Explanations read a
    traced simulation (``explain``): only the household's own part is computed.
    """
    if not patches.is_installed() or simulation.tracer.__class__ is not FullTracer or simulation.tracer.stack:
        yield Traced()
        return
    signature, repeats, inputs = _signature(simulation)
    key = (signature, ("traced", purpose))
    if repeats != 1 or simulation.persons.count > MAX_SINGLE_PERSONS:
        yield Traced()
        return
    with _lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
            _stats["folded"] += 1
    if plan is not None:
        given = Traced(subtrees=plan.subtrees)
        reuse = _Traced(plan, given.parameters)
        recorder = simulation.tracer = _TracedRecorder(simulation)
        watched = _watch_holder_reads(simulation, recorder)
        simulation.__dict__[patches.REUSE_ATTRIBUTE] = reuse
        try:
            yield given
        finally:
            simulation.__dict__.pop(patches.REUSE_ATTRIBUTE, None)
            for population in watched:
                del population.get_holder
        reuse.learn(recorder, inputs)
        return
    recorder = _TracedRecorder(simulation)
    simulation.tracer = recorder  # a full tracer still: the caller reads its trace
    watched = _watch_holder_reads(simulation, recorder)
    try:
        yield Traced()
        graph = recorder.graph()
        plan = _build_plan(simulation, graph, inputs, repeats)
    finally:
        for population in watched:
            del population.get_holder
    # One household (``repeats`` is 1): no block can differ from itself, so ``_build_plan`` added no seeds.
    dependent, _frontier = _analyse(graph, inputs, set())
    subtrees = recorder.subtrees()
    constant_keys = {(name, str(period)) for name, period in graph.children.keys() - dependent}
    constant_keys |= {(name, str(period)) for name, period in plan.constants}
    checks = {node: check for node, check in plan.checks.items() if (node[0], str(node[1])) in subtrees}
    plan = dataclasses.replace(
        plan,
        checks=checks,
        subtrees={key: subtrees[key] for key in constant_keys if key in subtrees},
        read={node: subtrees[(node[0], str(node[1]))][1] for node in checks},
    )
    _keep(key, plan)


@contextlib.contextmanager
def folding(simulation: Simulation, purpose: object = None) -> Iterator[None]:
    """Compute a simulation inside this block with what its signature's first simulation taught (or teach it).

    Enter it once the inputs are set and before the first ``calculate``; do every calculation inside it.
    ``purpose`` (hashable) names what the block computes: a plan only covers what its recording computed, so a
    plan recorded for one aid's explanation would leave most of a full calculation to plain OpenFisca.
    """
    if not patches.is_installed() or simulation.tracer.__class__ is not SimpleTracer or simulation.tracer.stack:
        yield
        return
    signature, repeats, inputs = _signature(simulation)
    key = (signature, purpose)
    if repeats == 1 and simulation.persons.count > MAX_SINGLE_PERSONS:
        yield  # one large situation: its plan would serve no other simulation
        return
    with _lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
            _stats["folded"] += 1
    if plan is not None:
        simulation.__dict__[patches.REUSE_ATTRIBUTE] = _Reuse(plan, repeats)
        try:
            yield
        finally:
            simulation.__dict__.pop(patches.REUSE_ATTRIBUTE, None)
        return
    recorder = _Recorder(simulation)
    simulation.tracer = recorder
    watched = _watch_holder_reads(simulation, recorder)
    try:
        yield
        plan = _build_plan(simulation, recorder, inputs, repeats)
    finally:
        for population in watched:
            del population.get_holder
        simulation.tracer = SimpleTracer()
    _keep(key, plan)
