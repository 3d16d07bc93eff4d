import json

from guichet.rights.engine.explain import euros, explain
from tests.rights.engine.conftest import PERIOD


def test_not_eligible_rsa_is_explained(tbs, households):
    explanation = explain(households[0], "rsa", PERIOD)
    assert explanation["eligible"] is False
    assert "dépassent le plafond de" in explanation["reason"]
    assert explanation["figures"]["base_ressources"] > explanation["figures"]["plafond"]
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
    assert "revenus d'activité" in explain(households[1], "ppa", PERIOD)["reason"]
    assert "locataires" in explain(households[4], "aide_logement", PERIOD)["reason"]
    assert len(json.dumps(explain(households[3], "aide_logement", PERIOD))) < 100_000


def test_local_aid_explanation(households):
    explanation = explain(households[4], "metropole_demo_transport_solidaire", PERIOD)
    assert not explanation["eligible"]
    assert "communes de la Métropole" in explanation["members"]["a"]["reason"]
    explanation = explain(households[1], "metropole_demo_transport_solidaire", PERIOD)
    assert explanation["members"]["a"]["band"].startswith("Gratuit")
    assert explanation["deliberation"]["body"]


def test_euros():
    assert euros(1234.5) == "1\u202f234,50\u00a0€"
    assert euros(600) == "600\u00a0€"
