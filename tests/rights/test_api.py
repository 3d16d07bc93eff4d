"""The public API answers an OpenFisca client exactly as `openfisca serve` does, and refuses bad input with 4xx."""

import copy
import gc
import json

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guichet.rights.engine.system import get_tax_benefit_system

pytestmark = [
    pytest.mark.django_db,
    # OpenFisca's own Web API leaves its openAPI.yml open when it starts: not ours to fix.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

PERIOD = "2025-01"
FAMILY = {
    "individus": {
        "Ali": {
            "date_naissance": {"ETERNITY": "1990-04-02"},
            "salaire_net": {"2024-12": 1100, "2024-11": 1100, "2024-10": 1100},
        },
        "Bea": {"date_naissance": {"ETERNITY": "2018-01-01"}},
        "Cyd": {"date_naissance": {"ETERNITY": "2015-06-01"}},
    },
    "familles": {
        "f": {
            "parents": ["Ali"],
            "enfants": ["Bea", "Cyd"],
            "rsa": {PERIOD: None},
            "ppa": {PERIOD: None},
            "af": {PERIOD: None},
            "aide_logement": {PERIOD: None},
        }
    },
    "foyers_fiscaux": {"ff": {"declarants": ["Ali"], "personnes_a_charge": ["Bea", "Cyd"]}},
    "menages": {
        "m": {
            "personne_de_reference": ["Ali"],
            "enfants": ["Bea", "Cyd"],
            "depcom": {PERIOD: "69256"},
            "loyer": {PERIOD: 520},
            "statut_occupation_logement": {PERIOD: "locataire_hlm"},
        }
    },
}


@pytest.fixture(scope="module")
def openfisca_client():
    """OpenFisca's own Web API application (what `openfisca serve` runs), in-process."""
    from openfisca_web_api.app import create_app

    app = create_app(get_tax_benefit_system())
    gc.collect()  # release the file it leaves open now, inside this module
    return app.test_client()


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


def _post(client, path, payload):
    return client.post(path, data=json.dumps(payload), content_type="application/json")


def test_calculate_answers_exactly_like_the_openfisca_web_api(client, openfisca_client):
    ours = _post(client, "/api/v1/calculate", FAMILY)
    theirs = openfisca_client.post("/calculate", json=copy.deepcopy(FAMILY))
    assert ours.status_code == theirs.status_code == 200
    assert ours.json() == theirs.get_json()
    assert ours.json()["familles"]["f"]["af"][PERIOD] > 0


def test_trace_answers_like_the_openfisca_web_api(client, openfisca_client):
    payload = {**copy.deepcopy(FAMILY), "familles": {"f": {**FAMILY["familles"]["f"]}}}
    payload["familles"]["f"] = {"parents": ["Ali"], "enfants": ["Bea", "Cyd"], "af": {PERIOD: None}}
    ours = _post(client, "/api/v1/trace", payload).json()
    theirs = openfisca_client.post("/trace", json=copy.deepcopy(payload)).get_json()
    assert ours["requestedCalculations"] == theirs["requestedCalculations"]
    assert set(ours["trace"]) == set(theirs["trace"])
    assert ours["trace"][f"af<{PERIOD}>"]["value"] == theirs["trace"][f"af<{PERIOD}>"]["value"]


def test_a_local_aid_is_computed_through_calculate(client):
    payload = copy.deepcopy(FAMILY)
    payload["individus"]["Ali"]["metropole_demo_transport_solidaire"] = {PERIOD: None}
    response = _post(client, "/api/v1/calculate", payload)
    assert response.status_code == 200
    assert response.json()["individus"]["Ali"]["metropole_demo_transport_solidaire"][PERIOD] < 65


def test_benefits_lists_national_and_local_aids(client):
    data = client.get("/api/v1/benefits").json()
    national = {benefit["id"] for benefit in data["national"]}
    assert {"rsa", "ppa", "aide_logement", "af", "aah", "aspa", "cheque_energie", "bourse_college"} <= national
    assert all(benefit["references"] and benefit["claim"] for benefit in data["national"])
    assert "metropole_demo_transport_solidaire" in {aid["id"] for aid in data["local"]}


def test_the_openapi_document_is_published(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/calculate", "/api/v1/trace", "/api/v1/benefits"} <= set(schema["paths"])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{pas du json", "Invalid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"", "must be a JSON object"),
    ],
)
def test_malformed_bodies_answer_400(client, body, fragment):
    response = client.post("/api/v1/calculate", data=body, content_type="application/json")
    assert response.status_code == 400
    assert fragment in response.json()["error"]


def test_an_impossible_situation_names_the_faulty_field(client, openfisca_client):
    payload = copy.deepcopy(FAMILY)
    payload["individus"]["Ali"]["salaire_net"] = {"2024-12": "beaucoup"}
    ours = _post(client, "/api/v1/calculate", payload)
    theirs = openfisca_client.post("/calculate", json=copy.deepcopy(payload))
    assert ours.status_code == theirs.status_code == 400
    assert ours.json() == theirs.get_json()
    assert "salaire_net" in json.dumps(ours.json())


def test_an_unknown_variable_is_a_client_error(client):
    payload = copy.deepcopy(FAMILY)
    payload["familles"]["f"]["aide_imaginaire"] = {PERIOD: None}
    response = _post(client, "/api/v1/calculate", payload)
    assert 400 <= response.status_code < 500
    assert "aide_imaginaire" in json.dumps(response.json())


def test_the_api_is_rate_limited_per_client(client, settings):
    settings.RIGHTS_API_RATE_LIMIT = 2
    for _ in range(2):
        assert client.post("/api/v1/calculate", data=b"[]", content_type="application/json").status_code == 400
    response = client.post("/api/v1/calculate", data=b"[]", content_type="application/json")
    assert response.status_code == 429
    assert "Trop de requêtes" in response.json()["error"]
    other = client.post("/api/v1/calculate", data=b"[]", content_type="application/json", REMOTE_ADDR="10.1.1.1")
    assert other.status_code == 400


def test_the_api_refuses_when_the_rate_limit_store_is_down(client, monkeypatch):
    monkeypatch.setattr(cache, "get", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("down")))
    assert client.post("/api/v1/calculate", data=b"{}", content_type="application/json").status_code == 429


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=12,
)
entity_names = st.sampled_from(["individus", "familles", "foyers_fiscaux", "menages", "autre"])
situations = st.dictionaries(
    entity_names,
    st.dictionaries(
        st.sampled_from(["Ali", "Bea", "x"]),
        st.dictionaries(
            st.sampled_from(["salaire_net", "date_naissance", "parents", "depcom", "rsa", "af", "inconnue"]),
            json_values,
            max_size=3,
        ),
        max_size=2,
    ),
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=situations)
def test_no_situation_makes_the_api_fail_with_a_server_error(client, payload):
    cache.clear()
    response = _post(client, "/api/v1/calculate", payload)
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"] == "application/json"
