"""Guichet's /calculate and /trace give what OpenFisca's own Web API handlers give, and fail the same way."""

import copy
import json

import flask
import pytest
from openfisca_core.errors import SituationParsingError
from openfisca_web_api import handlers

from guichet.rights.engine import accel, mapping
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import WebApiError, web_api_calculate, web_api_trace
from tests.rights.engine.conftest import PERIOD

_flask = flask.Flask("openfisca-compat")


def as_served(data: dict) -> dict:
    """What `openfisca serve` sends: the handler's result through Flask's JSON provider."""
    return json.loads(_flask.json.dumps(data))


SIMPLE = {
    "individus": {
        "Ali": {"date_naissance": {"ETERNITY": "1990-04-02"}, "salaire_net": {"2024-12": 900, "2024-11": 900}},
        "Bea": {"date_naissance": {"ETERNITY": "2018-01-01"}, "age": {"2025-01": None}},
    },
    "familles": {"f": {"parents": ["Ali"], "enfants": ["Bea"], "rsa": {"2025-01": None}, "af": {"2025-01": None}}},
    "foyers_fiscaux": {"ff": {"declarants": ["Ali"], "personnes_a_charge": ["Bea"]}},
    "menages": {
        "m": {
            "personne_de_reference": ["Ali"],
            "enfants": ["Bea"],
            "depcom": {"2025-01": "69123"},
            "statut_occupation_logement": {"2025-01": None},
        }
    },
}


@pytest.mark.parametrize("index", [0, 1, 3])
def test_calculate_matches_openfisca(tbs, households, index):
    payload = mapping.calculate_payload(households[index], get_benefits(), PERIOD)
    expected = as_served(handlers.calculate(tbs, copy.deepcopy(payload)))
    assert web_api_calculate(copy.deepcopy(payload)) == expected


def test_calculate_simple_payload_and_types(tbs):
    payload = copy.deepcopy(SIMPLE)
    # A date output (serialised by Flask as an HTTP date), an enum, an int and a float.
    payload["individus"]["Cid"] = {"date_naissance": {"ETERNITY": None}}
    expected = as_served(handlers.calculate(tbs, copy.deepcopy(payload)))
    original = copy.deepcopy(payload)
    result = web_api_calculate(payload)
    assert result == expected
    assert result["menages"]["m"]["statut_occupation_logement"]["2025-01"] == "non_renseigne"
    assert isinstance(result["individus"]["Cid"]["date_naissance"]["ETERNITY"], str)
    assert payload == original  # the input is not modified


def test_trace_matches_openfisca(tbs):
    expected = as_served(handlers.trace(tbs, copy.deepcopy(SIMPLE)))
    result = web_api_trace(copy.deepcopy(SIMPLE))
    assert result["requestedCalculations"] == expected["requestedCalculations"]
    assert result["entitiesDescription"] == expected["entitiesDescription"]
    assert set(result["trace"]) == set(expected["trace"])
    for key, node in expected["trace"].items():
        ours = result["trace"][key]
        for field in ("dependencies", "parameters", "value"):
            assert ours[field] == node[field], (key, field)


def openfisca_error(tbs, payload) -> tuple[dict, int]:
    try:
        handlers.calculate(tbs, copy.deepcopy(payload))
    except SituationParsingError as error:
        return error.error, error.code or 400
    raise AssertionError("OpenFisca accepted the payload")


BAD = {
    "unknown variable": {"individus": {"a": {"not_a_variable": {"2025-01": None}}}},
    "variable of another entity": {"individus": {"a": {"rsa": {"2025-01": None}}}},
    "undeclared person": {"individus": {"a": {}}, "familles": {"f": {"parents": ["ghost"]}}},
    "bad period": {"individus": {"a": {"salaire_net": {"2025-13": 1000}}}},
    "bad value": {"individus": {"a": {"salaire_net": {"2025-01": "beaucoup"}}}},
    "three parents": {"individus": {"a": {}, "b": {}, "c": {}}, "familles": {"f": {"parents": ["a", "b", "c"]}}},
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_payloads_give_openfisca_errors(tbs, case):
    error, code = openfisca_error(tbs, BAD[case])
    with pytest.raises(WebApiError) as raised:
        web_api_calculate(copy.deepcopy(BAD[case]))
    assert raised.value.error == error
    assert raised.value.code == code
    with pytest.raises(WebApiError) as raised:
        web_api_trace(copy.deepcopy(BAD[case]))
    assert raised.value.error == error


def test_not_an_object_and_computation_errors(tbs):
    with pytest.raises(WebApiError) as raised:
        web_api_calculate(["not", "a", "situation"])
    assert raised.value.code == 400 and "error" in raised.value.error
    # A monthly variable asked for a whole year: OpenFisca fails while computing; Guichet answers a 400.
    payload = {"individus": {"a": {"salaire_net": {"2025": None}}}}
    with pytest.raises(WebApiError) as raised:
        web_api_calculate(payload)
    assert raised.value.code == 400
    assert "error" in raised.value.error


@pytest.mark.parametrize("layer", [True, False], ids=["layer on", "layer off"])
def test_the_callers_payload_is_left_as_it_was(tbs, layer):
    # Without local aids the payload is read in place (no copy): nothing may write into it.
    payload = copy.deepcopy(SIMPLE)
    original = copy.deepcopy(payload)
    with accel.enabled(layer):
        result = web_api_calculate(payload)
        web_api_trace(payload)
    assert payload == original
    assert result["familles"]["f"]["rsa"]["2025-01"] > 0


def test_local_aid_in_payload(tbs):
    payload = copy.deepcopy(SIMPLE)
    payload["individus"]["Ali"]["metropole_demo_transport_solidaire"] = {"2025-01": None}
    payload["individus"]["Bea"]["metropole_demo_cantine"] = {"2025-01": None}
    original = copy.deepcopy(payload)
    result = web_api_calculate(payload)
    assert payload == original  # local aids taken out of a copy, values written into another
    rsa = result["familles"]["f"]["rsa"]["2025-01"]
    assert rsa > 0
    assert result["individus"]["Ali"]["metropole_demo_transport_solidaire"]["2025-01"] == 0.0
    assert isinstance(result["individus"]["Bea"]["metropole_demo_cantine"]["2025-01"], float)
    trace = web_api_trace(copy.deepcopy(payload))
    assert "metropole_demo_transport_solidaire<2025-01>" in trace["requestedCalculations"]
    node = trace["trace"]["metropole_demo_transport_solidaire<2025-01>"]
    assert "rsa<2025-01>" in node["dependencies"]


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ({"familles": {"f": {"metropole_demo_cantine": {"2025-01": None}}}}, ["familles", "f"]),
        ({"individus": {"Ali": {"metropole_demo_cantine": {"2025-01": 3}}}}, ["individus", "Ali"]),
        ({"individus": {"Ali": {"metropole_demo_cantine": {"2025": None}}}}, ["individus", "Ali"]),
    ],
)
def test_local_aid_errors(where, path):
    payload = copy.deepcopy(SIMPLE)
    for plural, instances in where.items():
        for instance, variables in instances.items():
            payload[plural][instance].update(variables)
    with pytest.raises(WebApiError) as raised:
        web_api_calculate(payload)
    assert raised.value.code == 400
    assert "metropole_demo_cantine" in raised.value.error[path[0]][path[1]]
