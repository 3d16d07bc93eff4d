from guichet.rights.engine.benefits import BENEFITS, get_benefits, missing_variables


def test_every_catalogue_variable_exists_in_the_model(tbs):
    assert missing_variables() == []
    for benefit in BENEFITS:
        variable = tbs.variables[benefit.variable]
        assert variable.definition_period.value == benefit.period_unit, benefit.id
        if benefit.kind == "boolean":
            assert variable.value_type is bool
        else:
            assert variable.value_type is float


def test_catalogue_texts():
    ids = {benefit.id for benefit in BENEFITS}
    assert {"rsa", "ppa", "aide_logement", "af", "cf", "asf", "ars", "paje_base", "aah", "aspa", "css"} <= ids
    assert {"css_participation", "cheque_energie", "bourse_college", "bourse_lycee"} <= ids
    for benefit in BENEFITS:
        data = benefit.as_dict()
        assert data["label"] and data["description"].endswith(".")
        assert data["references"][0] == benefit.legal_basis
        assert "France Services" in data["help"]
        assert data["url"].startswith("https://")


def test_model_references_are_added():
    (rsa,) = get_benefits(["rsa"])
    assert len(rsa.references) > 1
    assert rsa.period_for("2025-03") == "2025-03"
    (ars,) = get_benefits(["ars"])
    assert ars.period_for("2025-03") == "2025"
