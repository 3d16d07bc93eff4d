"""Local aids: the YAML test cases of rules/tests, and validation of the rule files."""

import copy
from pathlib import Path

import numpy
import pytest
import yaml

from guichet.rights.engine import accel, local
from guichet.rights.engine.calculate import calculate_households, web_api_calculate
from guichet.rights.engine.mapping import history_months
from guichet.rights.engine.situation import HouseholdInput

CASES_DIR = local.RULES_DIR / "tests"


def _cases() -> list:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


def _household(data: dict, period: str) -> HouseholdInput:
    data = copy.deepcopy(data)
    for member in data["members"]:
        # Test-file shorthand: the same net resources for each of the 12 months before the period.
        monthly = member.pop("monthly", None)
        if monthly:
            member["resources"] = dict.fromkeys(history_months(period), monthly)
    return HouseholdInput.from_dict(data)


@pytest.mark.parametrize("accel_on", [True, False], ids=["accel", "plain"])
@pytest.mark.parametrize("case", _cases())
def test_rule_case(tbs, case, accel_on):
    # Every case runs with the speed layer on and off: the amounts must not depend on it.
    with accel.enabled(accel_on):
        _check_case(case)


def _check_case(case: dict) -> None:
    period = case["period"]
    expected = case.get("expected", {})
    eligible = case.get("eligible", {})
    aids = sorted(set(expected) | set(eligible))
    if "situation" in case:
        result = web_api_calculate(copy.deepcopy(case["situation"]))
        for aid, members in expected.items():
            for member, value in members.items():
                assert result["individus"][member][aid][period] == pytest.approx(value, abs=0.005)
        return
    (result,) = calculate_households([_household(case["household"], period)], period, [], aids)
    for aid, members in expected.items():
        for member, value in members.items():
            assert result.local_aids[aid].members[member]["value"] == pytest.approx(value, abs=0.005), (aid, member)
    for aid, members in eligible.items():
        for member, value in members.items():
            assert result.local_aids[aid].members[member]["eligible"] is value, (aid, member)


def test_every_local_aid_has_test_cases():
    tested = set()
    for path in CASES_DIR.glob("*.yaml"):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            tested.update(case.get("expected", {}), case.get("eligible", {}))
    assert set(local.local_aids()) <= tested
    assert len(local.local_aids()) >= 4


def test_definitions(tbs):
    aids = local.local_aids()
    transport = aids["metropole_demo_transport_solidaire"]
    assert [band.value for band in transport.bands] == [0.0, 13.0, 32.5]
    assert transport.benefits_used == {"rsa"}
    data = transport.as_dict()
    assert data["deliberation"]["number"] == "2023-1204"
    assert data["validity"]["end"] is None
    assert not aids["metropole_demo_pass_culture_jeunes"].valid_on("2026-01")
    assert len(local.rules_version()) == 16


VALID = {
    "id": "test_aid",
    "label": "Aide",
    "description": "Une aide.",
    "kind": "tariff",
    "full_price": 10,
    "validity": {"start": "2024-01-01"},
    "deliberation": {"number": "1", "date": "2024-01-01", "body": "Conseil"},
    "conditions": {"communes": ["69123"]},
    "bands": [{"when": {"qf_max": 500}, "reduction": 0.5}],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"surprise": 1}, "unknown key"),
        ({"kind": "gift"}, "kind must be"),
        ({"conditions": {"communes": [69123]}}, "quoted string"),
        ({"conditions": {"shoe_size": 42}}, "unknown condition"),
        ({"conditions": {"receives": ["loto"]}}, "unknown national aid"),
        ({"conditions": {"age_min": 30, "age_max": 20}}, "greater than"),
        ({"bands": [{"value": 1, "reduction": 0.5}]}, "exactly one"),
        ({"bands": [{"reduction": 2}]}, "between 0 and 1"),
        ({"validity": {"start": "2024-01-01", "end": "2023-01-01"}}, "before"),
        ({"deliberation": {"number": "1"}}, "deliberation"),
        ({"id": "rsa"}, "already an OpenFisca variable"),
        ({"id": "Bad Id"}, "lowercase"),
    ],
)
def test_validation_errors(change, message):
    with pytest.raises(local.LocalAidError, match=message) as raised:
        local.parse_local_aid({**VALID, **change}, "test.yaml", national_variables=("rsa",))
    assert str(raised.value).startswith("test.yaml: ")


def test_load_reports_the_file(tmp_path: Path):
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(VALID), encoding="utf-8")
    assert [aid.id for aid in local.load_local_aids(tmp_path)] == ["test_aid"]
    (tmp_path / "twice.yaml").write_text(yaml.safe_dump(VALID), encoding="utf-8")
    with pytest.raises(local.LocalAidError, match="twice.yaml: id 'test_aid' is already used by good.yaml"):
        local.load_local_aids(tmp_path)
    (tmp_path / "twice.yaml").unlink()
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(local.LocalAidError, match="broken.yaml: invalid YAML"):
        local.load_local_aids(tmp_path)


def test_vectorised_evaluation():
    aid = local.parse_local_aid(VALID, "test.yaml")
    features = {
        "age": numpy.array([30, 30, 30]),
        "commune": numpy.array(["69123", "69123", "75056"]),
        "qf": numpy.array([400.0, 800.0, 100.0]),
        "student": numpy.zeros(3, dtype=bool),
        "disabled": numpy.zeros(3, dtype=bool),
    }
    result = local.evaluate(aid, features, "2025-01")
    assert result.value.tolist() == [5.0, 10.0, 10.0]
    assert result.eligible.tolist() == [True, False, False]
    assert result.band.tolist() == [0, -1, -1]
