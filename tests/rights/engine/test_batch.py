"""The vectorised batch path gives the same amounts as one OpenFisca Web API calculation per household."""

import pytest

from guichet.rights.engine import mapping
from guichet.rights.engine.benefits import get_benefits
from guichet.rights.engine.calculate import calculate_households, web_api_calculate
from guichet.rights.engine.system import versions
from tests.rights.engine.conftest import PERIOD


@pytest.fixture(scope="module")
def results(tbs, households):
    return calculate_households(households, PERIOD)


def test_batch_equals_single(results, households):
    benefits = get_benefits()
    for household, result in zip(households, results, strict=True):
        single = web_api_calculate(mapping.calculate_payload(household, benefits, PERIOD))
        for benefit in benefits:
            expected = round(mapping.sum_from_payload(single, benefit, PERIOD), 2)
            assert result.benefits[benefit.id].amount == pytest.approx(expected, abs=0.01), (household.id, benefit.id)


def test_results_carry_everything(results, households):
    result = results[0]
    assert result.household_id == "single-parent"
    assert result.inputs == households[0].to_dict()
    assert result.versions["model_version"] == versions()["model_version"]
    assert result.versions["rules_version"]
    assert result.benefits["ars"].period == "2025"
    assert result.benefits["rsa"].period == PERIOD
    assert all(result.benefits[key].eligible == (result.benefits[key].amount > 0) for key in result.benefits)
    assert "metropole_demo_transport_solidaire" in result.local_aids
    assert set(result.local_aids["metropole_demo_cantine"].members) == {"a", "b"}
    data = result.to_dict()
    assert data["benefits"]["rsa"]["period"] == PERIOD


def test_expected_rights(results):
    by_id = {result.household_id: result for result in results}
    assert by_id["no-income"].benefits["rsa"].eligible
    assert not by_id["no-income"].benefits["ppa"].eligible
    assert by_id["single-parent"].benefits["ppa"].eligible
    assert by_id["single-parent"].benefits["aide_logement"].eligible
    assert by_id["large-family"].benefits["af"].eligible
    assert by_id["retired-couple-and-lodger"].benefits["aspa"].eligible
    assert not any(by_id["well-off"].benefits[key].eligible for key in ("rsa", "ppa", "aide_logement", "af"))
    # Local aids, per member: free transport with the RSA, nothing for the well-off household outside the metropole.
    assert by_id["no-income"].local_aids["metropole_demo_transport_solidaire"].members["a"]["value"] == 0
    assert not by_id["well-off"].local_aids["metropole_demo_transport_solidaire"].eligible


def test_subset_and_empty(tbs, households):
    (result,) = calculate_households(households[:1], PERIOD, benefits=["rsa"], local_aid_ids=[])
    assert list(result.benefits) == ["rsa"]
    assert result.local_aids == {}
    assert calculate_households([], PERIOD, benefits=["rsa"], local_aid_ids=[]) == []
    with pytest.raises(ValueError, match="YYYY-MM"):
        calculate_households(households[:1], "2025")
