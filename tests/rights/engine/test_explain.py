import copy
import json
from collections import deque

import numpy
import pytest
from openfisca_core.simulation_builder import SimulationBuilder

from guichet.rights.engine import explain as explain_module
from guichet.rights.engine import mapping
from guichet.rights.engine.accel import fold
from guichet.rights.engine.benefits import BENEFITS_BY_ID
from guichet.rights.engine.explain import explain
from tests.rights.engine.conftest import PERIOD
from tests.rights.engine.test_fold import variant


def test_not_eligible_rsa_is_explained(tbs, households):
    explanation = explain(households[0], "rsa", PERIOD)
    assert explanation["eligible"] is False
    assert explanation["reason_code"] == "rsa.resources"
    assert "dépassent le plafond de" in explanation["reason"]
    assert explanation["figures"]["resources"] > explanation["figures"]["ceiling"]
    names = [parameter["name"] for parameter in explanation["parameters"]]
    assert any(name.endswith("rsa_m.montant_de_base_du_rsa") for name in names)
    base = next(p for p in explanation["parameters"] if p["name"].endswith("montant_de_base_du_rsa"))
    assert base["references"] and base["description"]
    assert any(entry["variable"] == "salaire_net" for entry in explanation["inputs"])
    assert explanation["versions"]["model"] == "openfisca-france"
    assert len(json.dumps(explanation, ensure_ascii=False)) < 100_000


def test_eligible_and_other_reasons(households):
    explanation = explain(households[1], "rsa", PERIOD)
    assert explanation["eligible"] and explanation["reason"] is None and explanation["amount"] > 0
    assert explain(households[1], "ppa", PERIOD)["reason_code"] == "ppa.activity"
    owner = explain(households[4], "aide_logement", PERIOD)
    assert owner["reason_code"] == "aide_logement.status" and "propriétaire" in owner["reason"]
    assert len(json.dumps(explain(households[3], "aide_logement", PERIOD))) < 100_000


def test_local_aid_explanation(households):
    explanation = explain(households[4], "metropole_demo_transport_solidaire", PERIOD)
    assert not explanation["eligible"]
    assert "commune" in explanation["members"]["a"]["reason"]
    explanation = explain(households[1], "metropole_demo_transport_solidaire", PERIOD)
    assert explanation["members"]["a"]["band"].startswith("Gratuit")
    assert explanation["deliberation"]["body"]


def _flat_trace_summary(simulation, root: str, input_keys: set[str]) -> tuple[list, list]:
    """The summary as first written, from OpenFisca's own flat trace: the reference for the faster walk."""
    trace = simulation.tracer.get_flat_trace()
    prefix = root.split("<")[0].split("_")[0]
    seen, queue, inputs, parameters = {root}, deque([root]), {}, {}
    while queue:
        key = queue.popleft()
        node = trace.get(key)
        if node is None:
            continue
        name, period = key[:-1].split("<", 1)
        if key in input_keys:
            values = node["value"]
            values = values.decode_to_str() if hasattr(values, "decode_to_str") else values
            inputs.setdefault(name, []).append((period, explain_module._jsonable(numpy.asarray(values))))
        for parameter_key, value in node["parameters"].items():
            parameter_name, instant = parameter_key[:-1].split("<", 1)
            if parameter_name not in parameters:
                parameters[parameter_name] = (name.startswith(prefix), instant, value)
        for dependency in node["dependencies"]:
            if dependency not in seen:
                seen.add(dependency)
                queue.append(dependency)
    return inputs, parameters


def _traced(tbs, situation: dict, variable: str, period: str, purpose: object = None) -> tuple:
    """A traced simulation of ``variable``, through ``fold.traced`` when a ``purpose`` is given, and what that gave."""
    simulation = SimulationBuilder().build_from_entities(tbs, copy.deepcopy(situation))
    simulation.trace = True
    if purpose is None:
        simulation.calculate(variable, period)
        return simulation, fold.Traced()
    with fold.traced(simulation, purpose) as given:
        simulation.calculate(variable, period)
    return simulation, given


@pytest.mark.parametrize("reused", [False, True])
@pytest.mark.parametrize("aid", ["rsa", "aide_logement", "af"])
def test_the_trace_walk_reads_what_the_flat_trace_says(tbs, households, aid, reused, monkeypatch):
    """Same inputs (periods and values) and same parameters (order, first instant, value) as ``get_flat_trace``;
    ``reused``: walked from a simulation where the speed layer gave what does not depend on the household, and the
    subtrees it traced for another household of the same shape (``fold.traced``)."""
    # Without the limits on what is shown, so that every input and parameter reached is compared.
    monkeypatch.setattr(explain_module, "MAX_INPUTS", 10**6)
    monkeypatch.setattr(explain_module, "MAX_PARAMETERS", 10**6)
    benefit = BENEFITS_BY_ID[aid]
    period = benefit.period_for(PERIOD)
    for household in households:
        situation = mapping.situation_dict(variant(household, 1.3, 50), PERIOD)
        simulation, _nothing = _traced(tbs, situation, benefit.variable, period)
        keys = explain_module._input_keys(situation)
        expected_inputs, expected_parameters = _flat_trace_summary(
            simulation, f"{benefit.variable}<{period}>", {f"{name}<{when}>" for name, when in keys}
        )
        given = fold.Traced()
        if reused:
            purpose = ("test", aid)
            _traced(tbs, mapping.situation_dict(household, PERIOD), benefit.variable, period, purpose)
            # Another household of the shape teaches variants; this one's rent differs, nothing else.
            learner = variant(household, 1.3, 50)
            learner.monthly_rent = None if learner.monthly_rent is None else learner.monthly_rent + 25
            learned = fold.stats().get("variants", 0)
            _traced(tbs, mapping.situation_dict(learner, PERIOD), benefit.variable, period, purpose)
            assert fold.stats()["variants"] > learned
            full = len(explain_module._first_nodes(simulation))
            simulation, given = _traced(tbs, situation, benefit.variable, period, purpose)
            assert given.subtrees and len(explain_module._first_nodes(simulation)) < full  # only the household's
            assert given.parameters  # and values given once their children were checked
        inputs, parameters = explain_module._trace_summary(simulation, (benefit.variable, period), keys, given)
        assert {entry["variable"] for entry in inputs} <= set(expected_inputs)
        for entry in inputs:
            for instance, by_period in entry["values"].items():
                index = explain_module._instance_ids(simulation, entry["entity"]).index(instance)
                for when, value in by_period.items():
                    assert (when, value) in [(p, v[index]) for p, v in expected_inputs[entry["variable"]]]
        assert [p["name"] for p in parameters] == sorted(
            expected_parameters, key=lambda n: not expected_parameters[n][0]
        )
        for parameter in parameters:
            own, instant, value = expected_parameters[parameter["name"]]
            assert (parameter["instant"], parameter["value"]) == (instant, explain_module._jsonable(value))
        assert len(parameters) > 5
