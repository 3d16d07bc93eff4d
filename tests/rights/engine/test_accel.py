"""The speed layer (guichet/rights/engine/accel) changes how OpenFisca runs, never an amount.

Differential tests: the same households with the layer on and off (plain openfisca-core), on the single-household
Web API path, the batch path and the explanations; and unit tests of each replacement against the original.
"""

import copy
import dataclasses

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from openfisca_core import periods, populations
from openfisca_core.errors import VariableNotFoundError
from openfisca_core.experimental import MemoryConfig, MemoryConfigWarning
from openfisca_core.parameters import ParameterNode, VectorialParameterNodeAtInstant
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_core.taxscales import MarginalRateTaxScale

from guichet.rights.engine import accel, mapping
from guichet.rights.engine.accel import fold, patches
from guichet.rights.engine.benefits import BENEFITS_BY_ID, get_benefits
from guichet.rights.engine.calculate import calculate_arrays, web_api_calculate
from guichet.rights.engine.explain import explain
from tests.rights.engine.conftest import PERIOD
from tests.rights.engine.test_differential import households as drawn_households
from tests.rights.engine.test_fold import variant


def _plain_amounts(tbs, household) -> dict[str, float]:
    """Plain OpenFisca-France (layer off), from the Web API situation: the reference."""
    with accel.enabled(False):
        simulation = SimulationBuilder().build_from_entities(tbs, mapping.situation_dict(household, PERIOD))
        return {
            benefit.id: round(
                float(numpy.asarray(simulation.calculate(benefit.variable, benefit.period_for(PERIOD)), float).sum()),
                2,
            )
            for benefit in get_benefits()
        }


def test_layer_is_on_by_default_and_pinned(tbs, monkeypatch):
    assert accel.is_enabled()
    assert accel.OPENFISCA_CORE_VERSION == "44.7.1"
    with accel.enabled(False):
        assert not accel.is_enabled()
        monkeypatch.setattr(patches.metadata, "version", lambda name: "45.0.0")
        assert accel.enable() is False  # another openfisca-core: plain OpenFisca until the patches are reviewed
        assert not accel.is_enabled()
        monkeypatch.undo()
    assert accel.is_enabled()


def test_switch_from_environment(monkeypatch):
    with accel.enabled(True):
        monkeypatch.setenv("GUICHET_RIGHTS_ACCEL", "0")
        assert accel.enable_from_environment() is False
        assert not accel.is_enabled()
        monkeypatch.setenv("GUICHET_RIGHTS_ACCEL", "1")
        assert accel.enable_from_environment() is True
        assert accel.is_enabled()


@settings(max_examples=6, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(household=drawn_households())
def test_single_and_batch_equal_plain_openfisca(tbs, households, household):
    expected = _plain_amounts(tbs, household)
    benefits = get_benefits()
    payload = mapping.calculate_payload(household, benefits, PERIOD)
    many = [households[0], household, households[3]]
    with accel.enabled(False):
        plain_single = web_api_calculate(copy.deepcopy(payload))
        plain_batch = calculate_arrays(many, PERIOD, local_aid_ids=[])
    with accel.enabled(True):
        single = web_api_calculate(copy.deepcopy(payload))
        batch = calculate_arrays(many, PERIOD, local_aid_ids=[])
    # Layer on and off: the very same answers, on both paths.
    assert single == plain_single
    for benefit in benefits:
        assert numpy.array_equal(batch.amounts[benefit.id], plain_batch.amounts[benefit.id]), benefit.id
        # And the batch path equals plain OpenFisca-France from the Web API situation, to the cent (float32 sums).
        assert batch.amounts[benefit.id][1] == pytest.approx(expected[benefit.id], abs=0.01), benefit.id


def test_web_api_json_identical(tbs, households):
    payloads = [mapping.calculate_payload(household, get_benefits(), PERIOD) for household in households]
    with accel.enabled(False):
        plain = [web_api_calculate(copy.deepcopy(payload)) for payload in payloads]
    with accel.enabled(True):
        fast = [web_api_calculate(copy.deepcopy(payload)) for payload in payloads]
    assert fast == plain


def test_batch_arrays_identical(tbs, households):
    many = households * 40  # 200 households: vectorial parameter look-ups see repeated and distinct keys
    with accel.enabled(False):
        plain = calculate_arrays(many, PERIOD)
    with accel.enabled(True):
        fast = calculate_arrays(many, PERIOD)
    for key, values in plain.amounts.items():
        assert numpy.array_equal(fast.amounts[key], values), key
    for key, values in plain.local_values.items():
        assert numpy.array_equal(fast.local_values[key], values), key
        assert numpy.array_equal(fast.local_eligible[key], plain.local_eligible[key]), key


@pytest.mark.parametrize("aid", ["rsa", "ppa", "aide_logement", "af", "aspa", "metropole_demo_transport_solidaire"])
def test_explanation_unchanged(tbs, households, aid):
    # Each shape three times: the first explanation of a shape is traced in full, the next ones reuse what does not
    # depend on the household and what the previous ones' formulas taught (``fold.traced``; the third differs from
    # the second by its rent only), and must say exactly the same of their own values.
    others = [variant(household, 1.7, 40) for household in households[:4]]
    rents = [dataclasses.replace(other, monthly_rent=(other.monthly_rent or 0) + 30) for other in others]
    explained = [*households[:4], *others, *rents]
    with accel.enabled(False):
        plain = [explain(household, aid, PERIOD) for household in explained]
    fold.clear()
    with accel.enabled(True):
        fast = [explain(household, aid, PERIOD) for household in explained]
    assert fast == plain
    assert plain[0] != plain[4]  # other values, other explanation
    if aid in BENEFITS_BY_ID:
        assert fold.stats()["folded"] == 8 and fold.stats()["variants"] > 0


# Unit tests of the replacements ---------------------------------------------------------------------------------


def _value(amount: float) -> dict:
    return {"values": {"2020-01-01": amount}}


def _parameters():
    def zone(plafond: float, seul: float, couple: float) -> dict:
        return {
            "plafond": {"seul": _value(plafond), "couple": _value(plafond * 1.5)},
            "taux": {"seul": _value(seul), "couple": _value(couple)},
        }

    return ParameterNode(
        "demo",
        data={
            "zone": {"zone_1": zone(10.5, 0.1, 0.2), "zone_2": zone(20, 0.3, 0.4), "zone_3": zone(30, 0.5, 0.6)},
            "par_enfants": {"0": _value(1), "1": _value(2), "2": _value(3)},
        },
    )


def _lookups(node) -> list:
    rng = numpy.random.default_rng(3)
    zones = numpy.array(["zone_1", "zone_2", "zone_3"])[rng.integers(0, 3, 500)]
    situations = numpy.array(["seul", "couple"])[rng.integers(0, 2, 500)]
    children = rng.integers(0, 3, 500)
    return [
        node.zone[zones].plafond.seul,
        node.zone[zones].taux[situations],
        node.zone[zones]["plafond"][situations],
        node.zone[zones]["taux"]["couple"],
        node.par_enfants[children],
        node.zone[zones[:1]].plafond.couple,
    ]


def test_vectorial_parameters_equal_original():
    node = _parameters().get_at_instant("2025-01-01")
    with accel.enabled(False):
        plain = _lookups(node)
    with accel.enabled(True):
        fast = _lookups(node)
        assert isinstance(node.zone[numpy.array(["zone_1", "zone_1"])], VectorialParameterNodeAtInstant)
    for expected, got in zip(plain, fast, strict=True):
        assert got.dtype == expected.dtype
        assert numpy.array_equal(got, expected)


def test_distinct_keys_as_numpy_unique():
    # Keys counted (small integer spans) or sorted come out as ``numpy.unique`` gives them, inverse flat.
    rng = numpy.random.default_rng(3)
    arrays = [numpy.array(["b", "a", "b"]), numpy.array([2**40, -(2**40), 0]), numpy.array([2**63 + 5], numpy.uint64)]
    for dtype in (numpy.int8, numpy.int16, numpy.int32, numpy.int64, numpy.uint8, numpy.uint16, numpy.uint32):
        info = numpy.iinfo(dtype)
        arrays.append(rng.integers(max(info.min, -40), 40, 1_000).astype(dtype))
        arrays.append(numpy.array([info.max, info.max - 3, info.max], dtype=dtype))
        arrays.append(numpy.array([info.min], dtype=dtype))
    arrays.append(rng.integers(-(2**20), 2**20, 500))  # too wide a span: sorted
    for keys in arrays:
        unique, inverse = patches._unique(keys)
        expected, expected_inverse = numpy.unique(keys, return_inverse=True)
        assert unique.dtype == expected.dtype and unique.tolist() == expected.tolist()
        assert inverse.dtype == expected_inverse.dtype and inverse.tolist() == expected_inverse.reshape(-1).tolist()
        assert numpy.array_equal(unique[inverse], keys)


def test_vectorial_parameters_errors_unchanged():
    node = _parameters().get_at_instant("2025-01-01")
    with accel.enabled(True), pytest.raises(Exception, match="zone_9"):
        node.zone[numpy.array(["zone_1", "zone_9"])]


def test_a_node_is_checked_once_and_an_inhomogeneous_one_every_time(monkeypatch):
    checked = []
    original = VectorialParameterNodeAtInstant.check_node_vectorisable

    def counted(node):
        checked.append(node._name)
        return original(node)

    monkeypatch.setattr(VectorialParameterNodeAtInstant, "check_node_vectorisable", staticmethod(counted))
    node = _parameters().get_at_instant("2025-01-01")
    zones = numpy.array(["zone_1", "zone_3", "zone_1"])
    with accel.enabled(True):
        first = [node.zone[zones].plafond.seul for _ in range(3)]
    assert checked == ["demo.zone"]
    assert all(numpy.array_equal(values, [10.5, 30, 10.5]) for values in first)
    uneven = ParameterNode(
        "uneven", data={"a": {"x": _value(1), "y": _value(2)}, "b": {"x": _value(3)}}
    ).get_at_instant("2025-01-01")
    with accel.enabled(True):
        for _ in range(2):
            with pytest.raises(ValueError, match=r"'uneven\.a\.y' exists, but 'uneven\.b\.y' doesn't"):
                uneven[numpy.array(["a", "b"])]
    assert checked == ["demo.zone", "uneven", "uneven"]


def test_periods_memo_equal_original():
    cases = [("2025-01", "first-of", "year"), ("2024", -2, None), ("2025-03", 1, "month"), ("2023-12", -13, "month")]
    results = {}
    for flag in (False, True):
        with accel.enabled(flag):
            out = []
            for text, offset, unit in cases:
                period = periods.period(text)
                out.append(period.offset(offset, unit) if unit else period.offset(offset))
                out.append(period.start.offset(offset, unit or period.unit))
                out.append(period.stop)
                out.append(period.get_subperiods(periods.DateUnit.MONTH))
                out.append(period.last_3_months)
            results[flag] = out
            with pytest.raises(ValueError):
                periods.period("2025-13")
    assert results[True] == results[False]


def test_has_role_and_errors_unchanged(tbs, households):
    simulation = mapping.build_batch(households, PERIOD).simulation
    familles = simulation.populations["famille"]
    persons = simulation.persons
    roles = [familles.entity.PARENT, familles.entity.ENFANT, familles.entity.DEMANDEUR]
    with accel.enabled(False):
        plain = [persons.has_role(role) for role in roles]
    with accel.enabled(True):
        fast = [persons.has_role(role) for role in roles]
        with pytest.raises(Exception, match="inconnue"):
            simulation.calculate("variable_inconnue", PERIOD)
        with pytest.raises(ValueError, match="whole year"):
            simulation.calculate("rfr", PERIOD)
    for expected, got in zip(plain, fast, strict=True):
        assert numpy.array_equal(got, expected)


def test_add_purge_and_cycle_check_as_the_originals(tbs, households):
    # ``calculate_add`` remembers the sub-periods it checked; errors come the same way, every time.
    results = {}
    for flag in (False, True):
        with accel.enabled(flag):
            simulation = mapping.build_batch(households, PERIOD).simulation
            results[flag] = [simulation.calculate_add("salaire_net", "2024") for _ in range(2)]
            for _ in range(2):
                with pytest.raises(ValueError, match="can only be computed for year-long periods"):
                    simulation.calculate_add("rfr", PERIOD)
                with pytest.raises(ValueError, match="can only be computed for eternity-long periods"):
                    simulation.calculate_add("date_naissance", "2024")
            # Purging what a spiral invalidated removes those values only, whatever their unit.
            simulation.calculate("rfr", "2023")
            simulation.calculate("salaire_net", "2024-03")
            simulation.invalidate_cache_entry("rfr", periods.period("2023"))
            simulation.invalidate_cache_entry("salaire_net", periods.period("2024-03"))
            simulation.purge_cache_of_invalid_values()
            assert simulation.get_array("rfr", "2023") is None
            assert simulation.get_array("salaire_net", "2024-03") is None
            assert simulation.get_array("salaire_net", "2024-04") is not None
            assert simulation.invalidated_caches == set()
    for plain, fast in zip(results[False], results[True], strict=True):
        assert numpy.array_equal(plain, fast)


def test_cycle_check_counts_frames_as_the_original_scans_them(tbs, households):
    simulation = mapping.build_batch(households, PERIOD).simulation
    month, earlier = periods.period("2024-05"), periods.period("2024-04")
    stack = simulation.tracer.stack
    stack.extend([{"name": "rsa", "period": month}, {"name": "aah", "period": month}])
    # Frames not pushed by the fast path: the stack is scanned, as openfisca-core does.
    patches._check_for_cycle(simulation, "aah", month)
    stack.append({"name": "rsa", "period": month})
    with pytest.raises(Exception, match="Circular definition detected on formula rsa@2024-05"):
        patches._check_for_cycle(simulation, "rsa", month)
    stack[-1] = {"name": "rsa", "period": earlier}
    with pytest.raises(Exception, match="Quasicircular definition detected on formula rsa"):
        patches._check_for_cycle(simulation, "rsa", earlier)
    # Every frame of rsa on the stack (from the first one down) was invalidated for the purge.
    assert {(entry.variable, str(entry.period)) for entry in simulation.invalidated_caches} >= {
        ("rsa", "2024-04"),
        ("aah", "2024-05"),
        ("rsa", "2024-05"),
    }
    stack.clear()


def test_known_values_read_from_their_storage_as_the_original_reads_them(tbs, households):
    # ``calculate`` reads a known value straight from its variable's storage: the same array as the original, and
    # a wrong period still raises once values are known; eternal and neutralised variables keep the generic path.
    results = {}
    for flag in (False, True):
        with accel.enabled(flag):
            simulation = mapping.build_batch(households, PERIOD).simulation
            first = simulation.calculate("salaire_net", PERIOD)
            assert simulation.calculate("salaire_net", PERIOD) is first
            for _ in range(2):
                with pytest.raises(ValueError, match="must be computed for a whole month"):
                    simulation.calculate("salaire_net", "2024")
            born = simulation.calculate("date_naissance", PERIOD)
            assert simulation.calculate("date_naissance", "2023-01") is born
            results[flag] = (first, born)
            if flag:
                assert (
                    patches.storages(simulation)["salaire_net"] is simulation.get_holder("salaire_net")._memory_storage
                )
                assert patches.storages(simulation)["date_naissance"] is patches.UNREAD
    for plain, fast in zip(results[False], results[True], strict=True):
        assert numpy.array_equal(plain, fast)


def test_holders_made_as_the_original_makes_them(tbs, households):
    # ``_holder_of`` makes a simulation's holders itself: each holds what ``Holder.__init__`` sets, in the same
    # population, and is the one the population keeps; an unknown variable raises the original's error, and a
    # simulation with a memory configuration keeps the original's holders.
    plain = mapping.build_batch(households, PERIOD).simulation
    fast = mapping.build_batch(households, PERIOD).simulation
    names = sorted(tbs.variables)
    for name in names:
        expected = plain.get_variable_population(name).get_holder(name)
        made = patches._holder_of(fast, name)
        assert type(made) is type(expected)
        assert list(vars(made)) == list(vars(expected))
        assert made.population is fast.get_variable_population(name)
        assert made.population.get_holder(name) is made and made.simulation is fast
        assert made.variable is expected.variable
        for attribute in ("_eternal", "_disk_storage", "_on_disk_storable", "_do_not_store"):
            assert getattr(made, attribute) == getattr(expected, attribute), (name, attribute)
        assert made._memory_storage.is_eternal == expected._memory_storage.is_eternal
        given, known = made._memory_storage._arrays, expected._memory_storage._arrays  # the inputs
        assert list(given) == list(known)
        assert all(numpy.array_equal(given[period], known[period]) for period in known)
    assert sum(patches._holder_of(fast, name)._eternal for name in names) > 0
    for simulation in (plain, fast):
        with pytest.raises(VariableNotFoundError, match="variable_inconnue"):
            patches._holder_of(simulation, "variable_inconnue")
    configured = mapping.build_batch(households, PERIOD).simulation
    with pytest.warns(MemoryConfigWarning):  # an experimental feature of openfisca-core
        configured.memory_config = MemoryConfig(
            max_memory_occupation=0.95,
            priority_variables=["rsa_base_ressources"],
            variables_to_drop=["rsa_base_ressources"],
        )
    assert patches._holder_of(configured, "rsa_base_ressources")._do_not_store


def test_variable_entities_found_when_read_as_registered(tbs):
    # ``register_variables`` fills the builder's map on demand: each variable's entity is the one the original
    # registers up front, an unknown name is a KeyError as before, and axes (the map's reader) still work.
    situation = {
        "individus": {"demandeur": {"date_naissance": {"ETERNITY": "1980-01-01"}}},
        "familles": {"famille": {"parents": ["demandeur"]}},
        "foyers_fiscaux": {"foyer": {"declarants": ["demandeur"]}},
        "menages": {"menage": {"personne_de_reference": ["demandeur"]}},
        "axes": [[{"name": "salaire_de_base", "min": 0, "max": 30000, "count": 3, "period": "2024"}]],
    }
    builders, results = {}, {}
    for flag in (False, True):
        with accel.enabled(flag):
            builder = SimulationBuilder()
            simulation = builder.build_from_entities(tbs, copy.deepcopy(situation))
            builders[flag] = builder
            results[flag] = simulation.calculate_add("salaire_de_base", "2024")
            with pytest.raises(KeyError):
                builder.get_variable_entity("variable_inconnue")
    assert isinstance(builders[True].variable_entities, patches._VariableEntities)
    assert len(builders[True].variable_entities) < len(tbs.variables) == len(builders[False].variable_entities)
    for name in ("salaire_de_base", "rsa", "af", "rfr", "loyer"):
        assert builders[True].get_variable_entity(name) is builders[False].get_variable_entity(name)
    assert numpy.array_equal(results[True], results[False])
    assert results[True].tolist() == [0.0, 15000.0, 30000.0]


def test_values_kept_out_of_the_cache_are_never_read_or_written_there(tbs, households, monkeypatch):
    # A variable opted out of the cache: ``storage_of`` gives the empty stand-in, so neither ``calculate`` nor the
    # variant walk reads or stores a value there, and every amount is the original's, with or without folding.
    monkeypatch.setattr(tbs, "cache_blacklist", {"rsa_base_ressources", "aide_logement_base_ressources"})
    results = {}
    for flag in (False, True):
        with accel.enabled(flag):
            rounds = []
            for _ in range(2):  # the second round is folded with the plan the first one recorded
                simulation = mapping.build_batch(households[:1], PERIOD).simulation
                simulation.opt_out_cache = True
                with fold.folding(simulation, "opted-out"):
                    rounds.append([simulation.calculate(name, PERIOD) for name in ("rsa", "ppa", "aide_logement")])
                assert simulation.get_array("rsa_base_ressources", PERIOD) is None
                assert simulation.get_array("aide_logement_base_ressources", PERIOD) is None
                if flag:
                    assert patches.storage_of(simulation, "rsa_base_ressources") is patches.UNREAD
            results[flag] = rounds
    for plain, fast in zip(results[False], results[True], strict=True):
        for expected, got in zip(plain, fast, strict=True):
            assert numpy.array_equal(expected, got)


def test_populations_and_summed_reads_as_the_originals(tbs, households):
    # ``get_population`` maps plurals once; ``population(name, period, options=[ADD])`` takes the fast path; other
    # options and bad requests keep the original's answers and errors.
    results = {}
    for flag in (False, True):
        with accel.enabled(flag):
            simulation = mapping.build_batch(households, PERIOD).simulation
            persons, familles = simulation.persons, simulation.populations["famille"]
            assert simulation.get_population("familles") is familles
            assert simulation.get_population("individus") is persons
            assert simulation.get_population("inconnus") is None
            assert simulation.get_population(["familles"]) is None
            results[flag] = [
                persons("salaire_net", "2024", options=[populations.ADD]),
                persons("salaire_net", periods.period("2024"), options=[populations.ADD]),
                persons("salaire_imposable", PERIOD, options=[populations.DIVIDE]),
                familles("rsa", "month:2024-01:3", options=[populations.ADD]),
            ]
            for _ in range(2):
                with pytest.raises(ValueError, match="can only be computed for year-long periods"):
                    simulation.populations["foyer_fiscal"]("rfr", PERIOD, options=[populations.ADD])
                with pytest.raises(Exception, match="incompatible"):
                    persons("salaire_net", "2024", options=[populations.ADD, populations.DIVIDE])
                with pytest.raises(ValueError, match="is defined for .individus."):
                    familles("salaire_net", "2024", options=[populations.ADD])
    for plain, fast in zip(results[False], results[True], strict=True):
        assert plain.dtype == fast.dtype
        assert numpy.array_equal(plain, fast)


def test_formula_results_cast_and_stored_as_the_originals(tbs, households):
    # What a formula returns is cast and stored as ``Simulation._cast_formula_result`` and ``Holder.put_in_cache``
    # do: the fast path takes only arrays of the variable's dtype and length, anything else goes the original way.
    simulation = mapping.build_batch(households[:2], PERIOD).simulation
    count = simulation.persons.count
    month = periods.period(PERIOD)
    salary = tbs.get_variable("salaire_net")
    holder = simulation.get_holder("salaire_net")
    for value in (numpy.arange(count, dtype=numpy.float64), numpy.ones(count, dtype=numpy.float32), 12.5):
        expected = simulation._cast_formula_result(value, salary)
        got = patches._cast_formula_result(simulation, value, salary)
        assert got.dtype == expected.dtype == numpy.float32
        assert numpy.array_equal(got, expected)
        patches._put_in_cache(simulation, holder, month, got)
        assert holder.get_array(month) is got
    activity = tbs.get_variable("activite")
    codes = numpy.zeros(count, dtype=numpy.int16)
    expected = simulation._cast_formula_result(codes, activity)
    got = patches._cast_formula_result(simulation, codes, activity)
    assert type(got) is type(expected) and numpy.array_equal(got, expected)
    with pytest.raises(ValueError, match="as its length is 1 while there are"):
        patches._put_in_cache(simulation, holder, month, numpy.zeros(1, dtype=numpy.float32))
    with pytest.raises(Exception, match="can only be set for one month at a time"):
        patches._put_in_cache(simulation, holder, periods.period("2024"), numpy.zeros(count, dtype=numpy.float32))


def test_values_of_a_role_as_the_original(tbs, households):
    # ``value_from_person`` reads the persons of a role found once per entity structure: same values and dtypes, the
    # default where an entity lacks the role (a single parent has no ``conjoint``), same errors.
    simulation = mapping.build_batch(households, PERIOD).simulation
    persons = simulation.persons
    count = persons.count
    arrays = [
        numpy.arange(count, dtype=numpy.float32) - 1.5,
        numpy.arange(count, dtype=numpy.int64),
        numpy.arange(count) % 2 == 0,
        simulation.calculate("statut_marital", PERIOD),
        numpy.array([f"p{index}" for index in range(count)]),
    ]
    results = {}
    errors: dict[bool, list[str]] = {False: [], True: []}
    for flag in (False, True):
        with accel.enabled(flag):
            found = []
            for plural in ("familles", "foyers_fiscaux", "menages"):
                population = simulation.get_population(plural)
                for role in population.entity.flattened_roles:
                    if role.max != 1:
                        with pytest.raises(Exception) as error:  # the original's error, whatever it says
                            population.value_from_person(arrays[0], role)
                        errors[flag].append(str(error.value))
                        continue
                    for array in arrays:
                        found.append(population.value_from_person(array, role))
                        found.append(population.value_from_person(array, role, default=7))
            familles = simulation.populations["famille"]
            found.append(familles.demandeur("salaire_net", PERIOD))  # through a projector, as formulas do
            found.append(familles.conjoint("salaire_net", PERIOD))
            with pytest.raises(ValueError, match="is not a valid value for the entity"):
                familles.value_from_person(arrays[0][:-1], familles.entity.DEMANDEUR)
            results[flag] = found
    assert len(results[True]) == len(results[False]) > 20
    assert errors[True] == errors[False] and errors[False]
    assert any(numpy.any(value == 7) for value in results[False] if value.dtype.kind == "i")
    for plain, fast in zip(results[False], results[True], strict=True):
        assert type(plain) is type(fast) and plain.dtype == fast.dtype
        assert plain.tobytes() == fast.tobytes()
        if hasattr(plain, "possible_values"):
            assert plain.possible_values is fast.possible_values


def test_marginal_rate_scales_as_the_original(tbs):
    # The model's scales and hand-made ones, on bases of every numeric dtype and length: the same bytes, with and
    # without a factor and rounding; a factor per base goes the original way.
    made = MarginalRateTaxScale()
    for threshold, rate in [(0, 0), (10_000, 0.11), (25_000, 0.3), (75_000, 0.41), (160_000, 0.45)]:
        made.add_bracket(threshold, rate)
    whole = MarginalRateTaxScale()
    whole.add_bracket(0, 0)
    whole.add_bracket(500, 1)
    scales = [made, whole, MarginalRateTaxScale(), tbs.parameters(PERIOD).impot_revenu.bareme_ir_depuis_1945.bareme]
    rng = numpy.random.default_rng(8)
    bases = []
    for dtype in (numpy.float32, numpy.float64, numpy.int64):
        for size in (0, 1, 3, 2_000):
            base = (rng.gamma(1.5, 20_000, size) * rng.choice([0, 1, -1], size)).astype(dtype)
            bases.append(base)
    bases.append(numpy.array([0.0, -0.0, 10_000.0, numpy.inf, numpy.nan]))
    for scale in scales:
        for base in bases:
            for factor in (1.0, 2.5, 3, numpy.full(len(base), 1.5)):
                for decimals in (None, 0, 2):
                    with accel.enabled(False):
                        plain = scale.calc(base, factor, decimals)
                    with accel.enabled(True):
                        fast = scale.calc(base, factor, decimals)
                    assert plain.dtype == fast.dtype and plain.shape == fast.shape
                    assert plain.tobytes() == fast.tobytes(), (scale, base.dtype, len(base), factor, decimals)
    with accel.enabled(True), pytest.raises(ValueError):
        made.calc(numpy.zeros((2, 2)), 1.0)  # not one base per element: the original's error
