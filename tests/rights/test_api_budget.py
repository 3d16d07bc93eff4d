"""The rights API has a work budget: what one request may ask is bounded and refused before computing, with a 4xx
and a message; what is computed stops at its time limit; malformed JSON never makes a 500."""

import json
import time

import pytest
from django.core.cache import cache

from guichet.rights.engine import mapping

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::ResourceWarning")]


@pytest.fixture(autouse=True)
def _no_rate_limit_between_tests():
    cache.clear()


def one_adult(requests: dict) -> dict:
    return {
        "individus": {"a": {"date_naissance": {"ETERNITY": "1990-01-01"}, "salaire_net": {"2024-12": 1000}}},
        "familles": {"f": {"parents": ["a"], **requests}},
        "foyers_fiscaux": {"ff": {"declarants": ["a"]}},
        "menages": {"m": {"personne_de_reference": ["a"]}},
    }


def post(client, body: bytes | str, **extra):
    started = time.perf_counter()
    response = client.post("/api/v1/calculate", data=body, content_type="application/json", **extra)
    return response, time.perf_counter() - started


def test_rsa_asked_for_24_months_is_refused_before_computing(client):
    months = [mapping.month_shift("2025-01", offset) for offset in range(24)]
    response, _seconds = post(client, json.dumps(one_adult({"rsa": dict.fromkeys(months)})))
    assert response.status_code == 400
    assert "au plus 14 périodes différentes ; celle-ci en demande 24" in response.json()["error"]


def test_a_period_of_many_months_is_refused(client):
    response, _seconds = post(client, json.dumps(one_adult({"rsa": {"month:2024-01:60": None}})))
    assert response.status_code == 400
    assert "couvre au plus 12 mois" in response.json()["error"]


def test_periods_far_in_the_past_are_refused(client):
    response, _seconds = post(client, json.dumps(one_adult({"rsa": {"2009-01": None}})))
    assert response.status_code == 400
    assert "2009-01 n'en fait pas partie" in response.json()["error"]


def test_ten_thousand_persons_are_refused_before_computing(client):
    response, _seconds = post(client, json.dumps(_crowd(10_000)))
    assert response.status_code == 413  # too large to be read at all
    response, _seconds = post(client, json.dumps(_crowd(1_000)))
    assert response.status_code == 400
    assert "au plus 30 personnes" in response.json()["error"]


def _crowd(count: int) -> dict:
    persons = {f"p{index}": {"date_naissance": {"ETERNITY": "2010-01-01"}} for index in range(count)}
    payload = {
        "individus": persons,
        "familles": {"f": {"parents": ["p0"], "enfants": list(persons)[1:], "rsa": {"2025-01": None}}},
        "foyers_fiscaux": {"ff": {"declarants": ["p0"]}},
        "menages": {"m": {"personne_de_reference": ["p0"]}},
    }
    return payload


def test_too_many_computations_are_refused(client, settings):
    settings.RIGHTS_API_MAX_COMPUTATIONS = 50
    variables = [name for name in ("rsa", "ppa", "af", "cf", "asf", "aide_logement", "paje_base", "aspa")]
    months = [mapping.month_shift("2024-01", offset) for offset in range(14)]
    requests = {name: dict.fromkeys(months) for name in variables}
    response, _seconds = post(client, json.dumps(one_adult(requests)))
    assert response.status_code == 400
    assert "au plus 50 calculs" in response.json()["error"]


def test_json_nested_100000_deep_answers_400(client):
    for endpoint in ("/api/v1/calculate", "/api/v1/trace"):
        response = client.post(endpoint, data="[" * 100_000 + "]" * 100_000, content_type="application/json")
        assert response.status_code == 400, endpoint
        assert "imbriqué sur plus de 12 niveaux" in response.json()["error"]
    # /simulation takes smaller bodies: 100,000 deep is too large for it (413); 30,000 deep is refused as deep.
    response = client.post("/api/v1/simulation", data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code == 413
    for endpoint in ("/api/v1/simulation",):
        response = client.post(endpoint, data="[" * 30_000 + "]" * 30_000, content_type="application/json")
        assert response.status_code == 400, endpoint
        assert "imbriqué sur plus de 12 niveaux" in response.json()["error"]


def test_an_integer_of_5000_digits_answers_400(client):
    payload = json.dumps(one_adult({"rsa": {"2025-01": None}})).replace("1000", "9" * 5000)
    for endpoint in ("/api/v1/calculate", "/api/v1/simulation"):
        response = client.post(endpoint, data=payload, content_type="application/json")
        assert response.status_code == 400, endpoint
        assert "plus de 20 chiffres" in response.json()["error"]


def test_a_body_over_the_limit_answers_413_without_being_read(client):
    body = json.dumps({"padding": "x" * 2_600_000})
    for endpoint in ("/api/v1/calculate", "/api/v1/trace", "/api/v1/simulation"):
        response = client.post(endpoint, data=body, content_type="application/json")
        assert response.status_code == 413, endpoint
        assert "Requête trop grande" in response.json()["error"]


def test_a_body_django_will_not_read_answers_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.RIGHTS_API_MAX_BYTES = 1_000_000
    response = client.post(
        "/api/v1/calculate", data=json.dumps({"padding": "x" * 5000}), content_type="application/json"
    )
    assert response.status_code == 413


def test_a_computation_stops_at_its_time_limit(client, settings):
    settings.RIGHTS_API_TIME_LIMIT_SECONDS = 1
    months = [mapping.month_shift("2024-01", offset) for offset in range(12)]
    started = time.perf_counter()
    response, _seconds = post(client, json.dumps(one_adult({"rsa": dict.fromkeys(months)})))
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    assert "Le calcul a dépassé 1 s" in response.json()["error"]
    assert elapsed < 3  # the limit, and what it takes to unwind


def test_the_limits_are_in_the_openapi_document(client):
    description = client.get("/api/v1/openapi.json").json()["info"]["description"]
    assert "512 Ko" in description and "30 personnes" in description and "200 calculs" in description
