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
        (b"{pas du json", "pas du JSON valide"),
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


def test_the_api_refuses_when_the_rate_limit_store_is_down(client, ratelimit_store_down):
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


# ---------------------------------------------------------------------------------------------------------------
# /api/v1/simulation: Guichet's plain household form


def _panel(slug: str) -> dict:
    from pathlib import Path

    import yaml

    path = Path(__file__).parent / "panel" / "households" / f"{slug}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _simulation_body(slug: str) -> dict:
    case = _panel(slug)
    return {"month": str(case["month"]), "household": json.loads(json.dumps(case["household"], default=str))}


def test_simulation_gives_every_aid_with_its_amount_and_reasons(client):
    from guichet.rights.engine.benefits import BENEFITS
    from guichet.rights.engine.local import local_aids

    case = _panel("issue-a-pensioner-alone-lyon")
    response = _post(client, "/api/v1/simulation", _simulation_body("issue-a-pensioner-alone-lyon"))
    assert response.status_code == 200
    answer = response.json()
    aids = {aid["id"]: aid for aid in answer["aids"]}
    assert set(aids) == {benefit.id for benefit in BENEFITS} | set(local_aids())
    assert aids["aspa"] == {
        "id": "aspa",
        "scope": "national",
        "label": "Allocation de solidarité aux personnes âgées (ASPA)",
        "eligible": True,
        "amount": 143.6,
        "amount_period": "month",
        "already_received": None,
        "reason": None,
    }
    for aid, expected in case["expected"].items():
        if aid != "css":
            assert aids[aid]["amount"] == expected, aid
    family = aids["af"]
    assert not family["eligible"] and family["reason"]["code"] == "af.children"
    assert family["reason"]["figures"] == {"children": 0, "minimum": 2, "maximum_age": 21}
    assert "deux enfants" in family["reason"]["text"]
    local = aids["metropole_demo_transport_solidaire"]
    assert local["scope"] == "local" and local["members"][0]["id"] == "0"
    assert answer["monthly_total"] == pytest.approx(317.77)  # ASPA 143.60 + housing 166 + a twelfth of 98 €
    assert answer["convention"]["code"] == "all_aids_received"
    assert answer["versions"]["model_version"] == "176.1.8"


def test_simulation_answers_as_the_results_page_does(client):
    from guichet.rights.engine.situation import HouseholdInput
    from guichet.rights.simulation import simulate

    body = _simulation_body("family-already-receiving-af-al-ppa-bron")
    answer = _post(client, "/api/v1/simulation", body).json()
    page = simulate(HouseholdInput.from_dict(body["household"]), body["month"]).as_api()
    assert answer == json.loads(json.dumps(page, ensure_ascii=False))
    received = {aid["id"]: aid["already_received"] for aid in answer["aids"] if aid["already_received"]}
    assert received == {key: float(value) for key, value in body["household"]["already_received"].items()}


def test_simulation_is_in_the_openapi_document(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/simulation"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["month", "household"]
    assert "already_received" in body["properties"]["household"]["properties"]
    assert {"200", "400", "413", "429"} <= set(map(str, operation["responses"]))


def _household(**changes) -> dict:
    household = {
        "housing": "tenant",
        "commune_insee": "69123",
        "monthly_rent": 500,
        "members": [{"id": "0", "relationship": "self", "birth_date": "1985-03-01", "situation": "unemployed"}],
    }
    household.update(changes)
    return household


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "n'est pas du JSON valide"),
        (b"[]", "deux clés"),
        (json.dumps({"household": _household()}).encode(), "« month »"),
        (json.dumps({"month": "2026-13", "household": _household()}).encode(), "AAAA-MM"),
        (json.dumps({"month": "1999-01", "household": _household()}).encode(), "compris entre"),
        (json.dumps({"month": "2026-12", "household": "a house"}).encode(), "« household »"),
        (json.dumps({"month": "2026-12", "household": _household(members=[])}).encode(), "personnes du foyer"),
        (
            json.dumps({"month": "2026-12", "household": _household(members=[{"id": str(n)} for n in range(13)])}),
            "au plus 12 personnes",
        ),
        (json.dumps({"month": "2026-12", "household": _household(housing="castle")}).encode(), "housing"),
        (json.dumps({"month": "2026-12", "household": _household(commune_insee=None)}).encode(), "commune_insee"),
        (
            json.dumps(
                {
                    "month": "2026-12",
                    "household": _household(
                        members=[
                            {
                                "id": "0",
                                "relationship": "self",
                                "birth_date": "1985-03-01",
                                "situation": "employed",
                                "resources": {"2026-11": {"salary": -5}},
                            }
                        ]
                    ),
                }
            ).encode(),
            "negative",
        ),
        (
            json.dumps(
                {
                    "month": "2026-12",
                    "household": _household(
                        members=[
                            {
                                "id": "0",
                                "relationship": "self",
                                "birth_date": "1985-03-01",
                                "situation": "employed",
                                "resources": {"2024-01": {"salary": 1000}},
                            }
                        ]
                    ),
                }
            ).encode(),
            "2024-01 n'en fait pas partie",
        ),
        (
            json.dumps({"month": "2026-12", "household": _household(already_received={"lottery": 10})}).encode(),
            "Aide inconnue",
        ),
        (json.dumps({"month": "2026-12", "household": _household(), "extra": 1}).encode(), "deux clés"),
    ],
)
def test_simulation_refuses_bad_input_with_a_message(client, body, fragment):
    response = client.post("/api/v1/simulation", data=body, content_type="application/json")
    assert response.status_code == 400
    assert fragment in response.json()["error"]


def test_simulation_refuses_a_body_too_large(client):
    body = json.dumps({"month": "2026-12", "household": _household(padding="x" * 70_000)})
    response = client.post("/api/v1/simulation", data=body, content_type="application/json")
    assert response.status_code == 413
    assert "Requête trop grande" in response.json()["error"]
