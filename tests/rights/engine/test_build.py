"""The bulk builder (accel/build.py) builds the very simulation OpenFisca's ``SimulationBuilder`` builds, or lets it.

Both builders' simulations are compared whole: populations (ids, counts, members' groups, roles and positions, with
their dtypes), holders in order, and in each holder the known periods in order with the class, dtype and bytes of
every array, and which periods share one array. Bad situations give the same error with the layer on and off.
The requested computations of a payload (``calculate._requested``) are the paths dpath's search finds.
"""

import collections
import copy
import datetime
import gc
import math
import weakref

import dpath
import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openfisca_core.populations import GroupPopulation
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_core.simulations import Simulation

from guichet.rights.engine import accel, calculate, local, mapping
from guichet.rights.engine.accel import build, fold
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import WebApiError, web_api_calculate
from guichet.rights.engine.explain import explain
from guichet.rights.engine.situation import HouseholdInput, MemberInput
from guichet.rights.simulation import simulate
from tests.rights.engine.conftest import PERIOD, monthly
from tests.rights.engine.test_differential import households as drawn_households

_SIMULATION_ATTRIBUTES = ("debug", "_trace", "opt_out_cache", "max_spiral_loops", "memory_config", "_data_storage_dir")


def _array(array) -> tuple:
    # Object arrays (roles, strings) by their items (roles by key), other arrays by their bytes.
    content = [getattr(item, "key", item) for item in array.tolist()] if array.dtype.kind == "O" else array.tobytes()
    return type(array).__name__, array.dtype.str, array.shape, content, getattr(array, "possible_values", None)


def snapshot(simulation) -> dict:
    """Everything a built simulation holds, in comparable form (orders included)."""
    state = {
        "attributes": sorted(simulation.__dict__),
        "values": [getattr(simulation, name) for name in _SIMULATION_ATTRIBUTES],
        "start_computation_period": simulation.start_computation_period,
        "invalidated_caches": simulation.invalidated_caches,
        "tracer": type(simulation.tracer).__name__,
        "signature": fold._signature(simulation)[0][1:],  # without the system's id, the same for both
    }
    for key, population in simulation.populations.items():
        described = {
            "attributes": sorted(population.__dict__),
            "simulation": population.simulation is simulation,
            "count": population.count,
            "ids": (type(population.ids).__name__, list(population.ids)),
            "persons ids shared": population.ids is simulation.persons.ids,
        }
        if isinstance(population, GroupPopulation):
            described["members"] = population.members is simulation.persons
            for name in ("members_entity_id", "members_role", "members_position", "ordered_members_map"):
                described[name] = _array(getattr(population, name))
        holders = []
        for name, holder in population._holders.items():
            shared: dict[int, int] = {}
            arrays = [
                (period, str(period), *_array(array), shared.setdefault(id(array), len(shared)))
                for period, array in holder._memory_storage._arrays.items()
            ]
            attributes = {
                name: value
                for name, value in holder.__dict__.items()
                if name not in ("population", "simulation", "variable", "_memory_storage")
            }
            holders.append(
                (
                    name,
                    holder.variable is population.entity.get_variable(name),
                    holder.population is population and holder.simulation is simulation,
                    attributes,
                    holder._memory_storage.is_eternal,
                    arrays,
                )
            )
        described["holders"] = holders
        state[key] = described
    return state


def plain(tbs, situation):
    with accel.enabled(False):
        return SimulationBuilder().build_from_entities(tbs, copy.deepcopy(situation))


def assert_built_alike(tbs, situation) -> None:
    """The bulk builder itself (no fallback) builds what ``SimulationBuilder`` builds, and leaves the input as is."""
    given = copy.deepcopy(situation)
    fast = build.build_in_bulk(tbs, given)
    assert given == situation
    assert snapshot(fast) == snapshot(plain(tbs, situation))


def outcome(function, *args) -> tuple:
    """A simulation's snapshot, or the error: its class, OpenFisca's error body and code, its message."""
    try:
        return "built", snapshot(function(*args))
    except Exception as error:
        return "raised", type(error), getattr(error, "error", None), getattr(error, "code", None), str(error)


def assert_same_outcome(tbs, situation) -> tuple:
    expected = outcome(plain, tbs, situation)
    with accel.enabled(True):
        assert outcome(build.build_from_entities, tbs, copy.deepcopy(situation)) == expected
    return expected


# ---------------------------------------------------------------------------------------------------------------
# Situations mapping writes


VARIED = [
    HouseholdInput(
        id="student-alone-no-rent",
        members=[MemberInput("s", "self", "2004-10-12", "student", monthly(450, "other"))],
        housing="hosted",
        commune_insee="69029",
    ),
    HouseholdInput(
        id="couple-lodger-disabled",
        members=[
            MemberInput("a", "self", "1970-01-31", "disabled"),
            MemberInput("b", "partner", "1972-12-01", "employed", monthly(1800)),
            MemberInput("c", "child", "2007-07-07", "student"),
            MemberInput("o", "other", "1999-02-28", "unemployed", monthly(600, "unemployment")),
            MemberInput("p", "other", "1940-06-15", "retired", monthly(900, "pension")),
        ],
        housing="tenant",
        monthly_rent=820.5,
        commune_insee="69123",
        last_year_taxable_income=25000,
    ),
]


@pytest.mark.parametrize("period", [PERIOD, "2024-07", "2023-12"])
def test_it_builds_what_openfisca_builds_for_the_households_mapping_writes(tbs, households, period):
    for household in [*households, *VARIED]:
        assert_built_alike(tbs, mapping.calculate_payload(household, get_benefits(), period))
        assert_built_alike(tbs, mapping.situation_dict(household, period))


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(household=drawn_households(), period=st.sampled_from([PERIOD, "2024-02", "2022-11"]))
def test_it_builds_what_openfisca_builds_for_drawn_households(tbs, household, period):
    assert_built_alike(tbs, mapping.calculate_payload(household, get_benefits(), period))


def test_it_is_what_web_api_calculate_builds_and_explanations_use(tbs, households, monkeypatch):
    calls = []
    original = build.build_in_bulk

    def counted(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(build, "build_in_bulk", counted)
    payload = mapping.calculate_payload(households[0], get_benefits()[:2], PERIOD)
    web_api_calculate(copy.deepcopy(payload))
    assert len(calls) == 1
    explain(households[0], "rsa", PERIOD)  # one traced simulation, the reason's figures included
    explain(households[0], "af", PERIOD)
    assert len(calls) == 3
    with accel.enabled(False):
        web_api_calculate(copy.deepcopy(payload))
        explain(households[0], "rsa", PERIOD)
    assert len(calls) == 3  # without the speed layer, OpenFisca's builder only


# ---------------------------------------------------------------------------------------------------------------
# Hand-written situations


def _person(**variables) -> dict:
    return {"date_naissance": {"ETERNITY": "1990-05-17"}, **variables}


UNUSUAL = {
    "a year given for a monthly variable, divided": {"individus": {"a": _person(salaire_net={"2024": 12000})}},
    "a year and one of its months": {"individus": {"a": _person(salaire_net={"2024": 12000, "2024-03": 1500.25})}},
    "a year and all its months": {
        "individus": {"a": _person(salaire_net={"2024": 1200, **{f"2024-{m:02}": 100 for m in range(1, 13)}})}
    },
    "a year dispatched around a month": {
        "individus": {"a": _person(activite={"2024": "actif", "2024-03": "chomeur"}, handicap={"2024": True})}
    },
    "three months in one period": {"individus": {"a": _person(salaire_net={"month:2024-01:3": 3000})}},
    "a day for a monthly variable": {"individus": {"a": _person(handicap={"2024-01-15": True})}},
    "a month for a yearly variable divided": {
        "individus": {"a": _person(prime_exceptionnelle_pouvoir_achat={"2024-03": 90})}
    },
    "integers divided by a year": {"individus": {"a": _person(etr={"2024": 1000}), "b": _person(etr={"2024": 7})}},
    "booleans divided by a year": {
        "individus": {"a": _person()},
        "familles": {"f": {"parents": ["a"], "asile_demandeur": {"2024": True}}},
    },
    "an enumeration divided": {
        "individus": {"a": _person()},
        "familles": {"f": {"parents": ["a"], "aide_logement_non_calculable": {"2024-01": "locataire_foyer"}}},
    },
    "a date as a number (days since 1970)": {"individus": {"a": {"date_naissance": {"ETERNITY": 1990}}}},
    "eternity in another spelling of period": {"individus": {"a": {"date_naissance": {"2024-01": "1980-02-29"}}}},
    "an eternal value given twice": {
        "individus": {"a": {"date_naissance": {"ETERNITY": "1980-01-01", "2024": "1981-01-01"}}}
    },
    "an eternal enumeration and boolean": {
        "individus": {
            "a": _person(mention_baccalaureat={"ETERNITY": "mention_tres_bien"}, sortie_academie={"ETERNITY": True})
        }
    },
    "dates, strings and truncated strings": {
        "individus": {
            "a": _person(contrat_de_travail_debut={"2024": "2020-01-15"}, nationalite={"2024-01": "FRA"}),
            "b": _person(nationalite={"2024-01": "DE"}),
        },
        "menages": {
            "m": {
                "personne_de_reference": ["a"],
                "autres": ["b"],
                "depcom": {"2024": "69123", "2025-01": "690"},
                "bail_reel_solidaire_zones_menage": {"2024-01": "zone A"},
            }
        },
        "foyers_fiscaux": {"f": {"declarants": ["a", "b"], "depcom_foyer": {"2024": "75056"}}},
    },
    "periods after a variable's end": {
        "individus": {"a": _person(hsup={"2024-01": 3})},
        "familles": {
            "f": {"parents": ["a"], "covid_aide_exceptionnelle_famille_montant": {"2020-09": 150, "2021-01": 1}}
        },
    },
    "mixed numbers, numbers as strings, indexes and integers for booleans": {
        "individus": {
            "a": _person(
                salaire_net={"2024-01": 1000.5, "2024-02": "1200"}, activite={"2024-01": 1}, handicap={"2024-01": 1}
            ),
            "b": _person(salaire_net={"2024-01": 0, "2024-02": 12}, age={"2024-01": True}),
        }
    },
    "large and tiny numbers": {
        "individus": {
            "a": _person(
                salaire_net={"2024-01": 16777217, "2024-02": 1e-46, "2024-03": 3.4e38}, age={"2024-01": 2**31 - 1}
            ),
            "b": _person(
                salaire_net={"2024-01": 0.1, "2024-02": -0.0, "2024-03": 123456.789}, age={"2024-01": -(2**31)}
            ),
        }
    },
    "nulls only, and variables given for some instances": {
        "individus": {"a": _person(salaire_net={"2024-01": None}), "b": _person(), "c": _person(age={"2024-01": 9})},
        "familles": {
            "f": {"parents": ["a"], "enfants": ["c"], "rsa": {"2024-01": None}},
            "g": {"parents": ["b"], "rsa": {"2024-01": 500}, "af": {"2024-01": None}},
        },
    },
    "no group entities at all": {"individus": {"a": _person(), "b": _person(salaire_net={"2024-01": 10})}},
    "persons left out of a group without inputs": {
        "individus": {"b": _person(), "a": _person(), "c": _person(), "d": _person()},
        "familles": {"f": {"enfants": ["c"]}, "a": {"parents": "b"}},
        "foyers_fiscaux": {},
        "menages": {"m": {"conjoint": ["d"], "personne_de_reference": ["a"], "enfants": ["c", "b"]}},
    },
    "ids in other scripts": {
        "individus": {"Zoé": _person(), "محمد": _person(salaire_net={"2024-01": 1})},
        "familles": {"famille 1": {"parents": ["محمد", "Zoé"]}},
    },
    "variables given before roles": {
        "individus": {"a": _person(), "b": _person()},
        "menages": {"m": {"loyer": {"2024-01": 500}, "enfants": ["b"], "personne_de_reference": ["a"]}},
    },
}


@pytest.mark.parametrize("case", sorted(UNUSUAL))
def test_unusual_situations_are_built_alike(tbs, case):
    assert_built_alike(tbs, UNUSUAL[case])


LEFT_TO_OPENFISCA = {
    "another spelling of a period": {"individus": {"a": _person(salaire_net={"month:2024-01": 10, "2024-01": 20})}},
    "persons left out of a group with inputs": {
        "individus": {"a": _person(), "b": _person(), "c": _person()},
        "familles": {"f": {"parents": ["a"], "rsa": {"2024-01": 100}}},
    },
    "axes": {
        "individus": {"a": _person()},
        "familles": {"f": {"parents": ["a"]}},
        "foyers_fiscaux": {"f": {"declarants": ["a"]}},
        "menages": {"m": {"personne_de_reference": ["a"]}},
        "axes": [[{"name": "salaire_de_base", "min": 0, "max": 30000, "count": 3, "period": "2024"}]],
    },
    "a person id given as a number": {"individus": {"1": _person()}, "familles": {"f": {"parents": [1]}}},
    "an inconsistent year": {
        "individus": {"a": _person(salaire_net={"2024": 1000, **{f"2024-{m:02}": 100 for m in range(1, 13)}})}
    },
}


@pytest.mark.parametrize("case", sorted(LEFT_TO_OPENFISCA))
def test_what_it_does_not_fully_understand_is_left_to_openfisca(tbs, case):
    situation = LEFT_TO_OPENFISCA[case]
    with pytest.raises(Exception):  # noqa: B017 (Unsupported, or the error OpenFisca raises too)
        build.build_in_bulk(tbs, copy.deepcopy(situation))
    assert_same_outcome(tbs, situation)


BAD = {
    "not an object": ["individus"],
    "an unknown entity": {"individus": {"a": {}}, "chats": {"felix": {}}},
    "no person": {"familles": {"f": {}}},
    "no person in persons": {"individus": {}},
    "persons as a list": {"individus": ["a"]},
    "a person as a list": {"individus": {"a": []}},
    "an unknown variable": {"individus": {"a": {"not_a_variable": {"2025-01": None}}}},
    "a variable of another entity": {"individus": {"a": {"rsa": {"2025-01": None}}}},
    "a bad period": {"individus": {"a": {"salaire_net": {"2025-13": 1000}}}},
    "a bad period for a null": {"individus": {"a": {"salaire_net": {"janvier": None}}}},
    "values without a period": {"individus": {"a": {"salaire_net": 1000}}},
    "a bad number": {"individus": {"a": {"salaire_net": {"2025-01": "beaucoup"}}}},
    "an object for a number": {"individus": {"a": {"salaire_net": {"2025-01": {"net": 1}}}}},
    "a list for a number": {"individus": {"a": {"salaire_net": {"2025-01": [1, 2]}}}},
    "a number too large": {"individus": {"a": {"age": {"2025-01": 10**12}}}},
    "a bad date": {"individus": {"a": {"date_naissance": {"ETERNITY": "1990-02-30"}}}},
    "an unknown enumeration item": {"individus": {"a": {"activite": {"2025-01": "astronaute"}}}},
    "eternity for a monthly variable": {"individus": {"a": {"salaire_net": {"ETERNITY": 1000}}}},
    "a year for a monthly variable without set_input": {"individus": {"a": {"are_eligible": {"2024": True}}}},
    "a duplicate person in two familles": {
        "individus": {"a": {}, "b": {}},
        "familles": {"f": {"parents": ["a"]}, "g": {"parents": ["a", "b"]}},
    },
    "a person twice in a role": {"individus": {"a": {}}, "familles": {"f": {"enfants": ["a", "a"]}}},
    "an undeclared person": {"individus": {"a": {}}, "familles": {"f": {"parents": ["ghost"]}}},
    "three parents": {"individus": {"a": {}, "b": {}, "c": {}}, "familles": {"f": {"parents": ["a", "b", "c"]}}},
    "two persons of reference": {
        "individus": {"a": {}, "b": {}},
        "menages": {"m": {"personne_de_reference": ["a", "b"]}},
    },
    "a role as an object": {"individus": {"a": {}}, "familles": {"f": {"parents": {"a": 1}}}},
    "a role as null": {"individus": {"a": {}}, "familles": {"f": {"parents": None}}},
    "an instance as a list": {"individus": {"a": {}}, "familles": {"f": ["a"]}},
    "familles as a list": {"individus": {"a": {}}, "familles": ["a"]},
    "a role of another entity": {"individus": {"a": {}}, "menages": {"m": {"parents": ["a"]}}},
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_situations_raise_what_openfisca_raises(tbs, case):
    result = assert_same_outcome(tbs, BAD[case])
    assert result[0] == "raised"


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_payloads_get_the_same_answer_with_the_layer_on_and_off(tbs, case):
    # ``tbs`` loads the system first: loading it inside ``accel.enabled`` would install the layer there, and leaving
    # the block would take it off for the tests after.
    answers = {}
    for flag in (False, True):
        with accel.enabled(flag), pytest.raises(WebApiError) as raised:
            web_api_calculate(copy.deepcopy(BAD[case]))
        answers[flag] = (raised.value.error, raised.value.code)
    assert answers[True] == answers[False]


# ---------------------------------------------------------------------------------------------------------------
# Values converted in bulk as OpenFisca converts each


def _values(value_type: str) -> st.SearchStrategy:
    numbers = st.one_of(
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.floats(-1e7, 1e7),
        st.sampled_from([0, 0.0, -0.0, 1, 16777217, 0.1, 2**31 - 1, 2**31, -(2**31) - 1]),
        st.booleans(),
        st.sampled_from(["1200", "3*4", "1e3", "0.1", "1_000", "nan", "", "beaucoup"]),  # OpenFisca evaluates them
    )
    return {
        "salaire_net": numbers,
        "age": numbers,
        "handicap": st.one_of(st.booleans(), st.sampled_from([0, 1, 2.5])),
        "activite": st.one_of(
            st.sampled_from(["actif", "chomeur", "etudiant", "retraite", "inactif"]), st.integers(0, 4)
        ),
        "depcom": st.one_of(st.sampled_from(["69123", "6912", "691234", "", "2A004"]), st.text(max_size=6)),
        "date_naissance": st.one_of(
            st.dates(datetime.date(1900, 1, 1), datetime.date(2030, 12, 31)).map(datetime.date.isoformat),
            st.sampled_from(["2024-02", "1999", "2001-02-29"]),
        ),
    }[value_type]


@st.composite
def valued_situations(draw) -> dict:
    name = draw(st.sampled_from(["salaire_net", "age", "handicap", "activite", "depcom", "date_naissance"]))
    periods = (
        ["ETERNITY"]
        if name == "date_naissance"
        else draw(st.lists(st.sampled_from(["2024-01", "2024-02", "2024"]), min_size=1, max_size=3, unique=True))
    )
    uniform = draw(st.booleans())
    strategy = _values(name)
    if uniform:  # one Python type per variable, as a form sends them
        first = draw(strategy)
        strategy = strategy.filter(lambda value: type(value) is type(first))
    people = [f"p{index}" for index in range(draw(st.integers(1, 4)))]
    individus: dict[str, dict] = {person: {} for person in people}
    menage: dict = {"personne_de_reference": [people[0]], "autres": people[1:]}
    for period in periods:
        holders = [menage] if name == "depcom" else [individus[person] for person in people]
        for holder in holders:
            if draw(st.integers(0, 4)):
                holder.setdefault(name, {})[period] = draw(
                    st.one_of(st.none(), strategy) if draw(st.booleans()) else strategy
                )
    return {"individus": individus, "menages": {"m": menage}}


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(situation=valued_situations())
def test_values_are_converted_as_openfisca_converts_each(tbs, situation):
    assert_same_outcome(tbs, situation)


def test_values_of_one_type_are_converted_in_bulk(tbs):
    values = [0.1, 16777217.0, 1e-46, -0.0, 3.4e38, 123456.789, math.pi]
    situation = {"individus": {f"p{index}": {"salaire_net": {"2024-01": value}} for index, value in enumerate(values)}}
    assert_built_alike(tbs, situation)
    array = build.build_in_bulk(tbs, situation).persons.get_holder("salaire_net").get_array("2024-01")
    assert array.tolist() == numpy.array(values, dtype=numpy.float32).tolist()


def test_it_is_not_used_without_the_speed_layer(tbs, monkeypatch):
    calls = []
    monkeypatch.setattr(build, "build_in_bulk", lambda *args: calls.append(args))
    situation = UNUSUAL["no group entities at all"]
    with accel.enabled(False):
        simulation = build.build_from_entities(tbs, situation)
    assert calls == []
    assert snapshot(simulation) == snapshot(plain(tbs, situation))


# ---------------------------------------------------------------------------------------------------------------
# Requested computations


def dpath_requested(input_data) -> list[str]:
    search = dpath.search(input_data, "*/*/*/*", afilter=lambda value: value is None, yielded=True)
    return [path for path, _ in search]


def requested_outcome(function, input_data) -> tuple:
    try:
        return "found", function(input_data)
    except Exception as error:
        return "raised", type(error), str(error)


REQUESTS = {
    "lists holding nulls": {
        "individus": {"a": {"x": [None, 1, None], "y": {"2024": None}}},
        "familles": {"f": {"parents": ["a", None], "enfants": []}},
    },
    "lists at every level": {"individus": [{"a": {"b": None}}, [[None, [None]], {"k": [None]}]], "l": [[[None]]]},
    "leaves above four levels": {"individus": {"a": None, "b": {"c": None, "d": 3}}, "x": "text", "y": None},
    "containers four levels deep": {"individus": {"a": {"x": {"2024": {"deeper": None}}}}},
    "empty containers four levels deep": {"individus": {"a": {"x": {"2024": {}, "2025": [], "2026": None}}}},
    "an empty key": {"individus": {"a": {"x": {"": 1, "2024": None}}}},
    "an empty key deeper": {"individus": {"a": {"x": {"2024": {"": None}}}}},
    "an empty key without nulls": {"": {"a": {"b": {"c": 1}}}},
    "keys with slashes and stars": {"in/di": {"*": {"a/b": {"[x]": None, "?": None}}}},
    "numbers of every kind": {"a": {"b": {"c": {"i": 1, "f": 1.5, "t": True, "s": "x", "n": None}}}},
    "not a dict": [None, [None, [None, [None, [None]]]]],
    "a leaf": None,
    "integer keys": {1: {2: {3: {4: None}}}},
}


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_requested_finds_what_dpath_finds(case):
    input_data = REQUESTS[case]
    assert requested_outcome(calculate._requested, input_data) == requested_outcome(dpath_requested, input_data)


def test_requested_finds_the_payloads_requests(households):
    for household in [*households, *VARIED]:
        payload = calculate._split_local(mapping.calculate_payload(household, get_benefits(), PERIOD))[0]
        found = calculate._requested(payload)
        assert found == dpath_requested(payload)
        assert "familles/famille/rsa/2025-01" in found


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=3)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, database=None)
@given(input_data=st.dictionaries(st.text(max_size=3), json_values, max_size=4))
def test_requested_finds_what_dpath_finds_in_any_json(input_data):
    assert requested_outcome(calculate._requested, input_data) == requested_outcome(dpath_requested, input_data)


# ---------------------------------------------------------------------------------------------------------------
# Released when done


@pytest.fixture
def simulations_made(monkeypatch) -> list[weakref.ref]:
    """A weak reference to every simulation made from now on (by either builder)."""
    made = []
    original = Simulation.__init__

    def noted(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(Simulation, "__init__", noted)
    return made


def _left_alive(call, made: list[weakref.ref]) -> int:
    """How many of the simulations ``call`` made are still alive when it returns (or raises), the cyclic garbage
    collector off: only reference counting has freed. Counted before the collector is back on, since its first
    collection would find everything the call left in cycles."""
    made.clear()
    gc.collect()
    gc.disable()
    try:
        try:
            call()
        finally:
            alive = sum(ref() is not None for ref in made)
    finally:
        gc.enable()
    assert made, "the call made no simulation"
    return alive


def _paths(households) -> dict:
    """Each way the engine makes a simulation, as a call."""
    household = households[0]
    payload = mapping.calculate_payload(household, get_benefits()[:2], PERIOD)
    local_aid = next(iter(local.local_aids()))
    return {
        "calculate": lambda: web_api_calculate(copy.deepcopy(payload)),
        "trace": lambda: calculate.web_api_trace(copy.deepcopy(payload)),
        "explain": lambda: explain(household, "rsa", PERIOD),
        "explain a local aid": lambda: explain(household, local_aid, PERIOD),
        "reasons": lambda: simulate(household, PERIOD),
        "batch": lambda: calculate.calculate_arrays(households, PERIOD, ["rsa"], []),
    }


@pytest.mark.parametrize("layer", [True, False], ids=["layer on", "layer off"])
def test_every_simulation_is_freed_when_its_call_returns(households, simulations_made, layer):
    # Without the garbage collector, only reference counting frees: a simulation's cycles would keep it (and every
    # array it computed) until a collection.
    calls = _paths(households)
    with accel.enabled(layer):
        left = {name: _left_alive(call, simulations_made) for name, call in calls.items()}
    assert left == dict.fromkeys(calls, 0)


def test_a_call_leaves_next_to_nothing_to_the_garbage_collector(households):
    # Objects in reference cycles wait for the collector, and make its full collections, which walk the whole loaded
    # law, come sooner. Once a call's memos are filled (the same call twice), a third leaves no simulation,
    # population, holder, storage or trace node in a cycle (nor what they hold): at most a closure of openfisca-core
    # (such as ``browse_trace``'s recursive walk, for ``/trace``).
    engine_types = {"Simulation", "Population", "GroupPopulation", "Holder", "InMemoryStorage", "TraceNode"}
    found = {}
    for name, call in _paths(households).items():
        call()
        call()
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            call()
        finally:
            gc.collect()
            gc.set_debug(0)
        kinds = collections.Counter(type(thing).__name__ for thing in gc.garbage)
        gc.garbage.clear()
        found[name] = (sorted(kinds.keys() & engine_types), sum(kinds.values()) <= 10)
    assert found == dict.fromkeys(found, ([], True))


def test_a_simulation_that_failed_is_freed_too(simulations_made):
    # The computation fails after the simulation was built: a salary asked for a year is refused by OpenFisca.
    payload = {"individus": {"a": {"date_naissance": {"ETERNITY": "1990-05-17"}, "salaire_net": {"2024": None}}}}
    with pytest.raises(WebApiError):
        web_api_calculate(payload)
    assert len(simulations_made) == 1
    simulation = simulations_made[0]()  # the error's traceback may still hold it: then it holds nothing
    assert simulation is None or vars(simulation) == {}


def test_a_released_simulation_holds_nothing(tbs, households):
    payload = mapping.calculate_payload(households[0], get_benefits()[:1], PERIOD)
    simulation = build.build_from_entities(tbs, payload)
    populations = list(simulation.populations.values())
    simulation.calculate("rsa", PERIOD)
    build.release(simulation)
    assert vars(simulation) == {}
    assert all(population._holders == {} for population in populations)
