"""A "member" question offers the members its definition accepts: a child's enrolment offers only children."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from guichet.accounts.services import household_save
from guichet.procedures import services
from guichet.procedures.demo import PROCEDURES
from tests.factories import UserFactory, household_data, login_verified
from tests.procedures import factories

pytestmark = pytest.mark.django_db

CHILD = {
    "name": "enfant",
    "label": "Enfant à inscrire",
    "kind": "member",
    "required": True,
    "relationships": ["child"],
}
ALEX, SAM = "Alex|1988-05-17", "Sam|2015-03-02"


@pytest.fixture
def canteen():
    return factories.procedure(questions=[CHILD, {"name": "ecole", "label": "École", "kind": "text"}])


@pytest.fixture
def alone(db):
    """A citizen whose household is only herself: no child declared."""
    user = UserFactory()
    adult = household_data()["members"][0]
    household_save(person=user.person, data=household_data(members=[adult]), by=user)
    return user


def _step(application) -> str:
    return reverse("procedures:step", args=[application.public_id, 1])


def test_a_child_question_offers_the_child_and_not_the_adult(client, family, canteen):
    application = factories.draft(citizen=family, of=canteen, answers={})
    login_verified(client, family)
    page = client.get(_step(application)).content.decode()
    assert f'value="{SAM}"' in page
    assert f'value="{ALEX}"' not in page


def test_a_question_without_relationships_still_offers_every_member(client, family):
    of = factories.procedure(questions=[{"name": "qui", "label": "Pour qui ?", "kind": "member", "required": True}])
    application = factories.draft(citizen=family, of=of, answers={})
    login_verified(client, family)
    page = client.get(_step(application)).content.decode()
    assert f'value="{SAM}"' in page and f'value="{ALEX}"' in page


def test_a_forged_post_of_the_adult_is_refused_with_a_message(client, family, canteen):
    application = factories.draft(citizen=family, of=canteen, answers={})
    login_verified(client, family)
    response = client.post(_step(application), {"action": "next", "enfant": ALEX, "ecole": "Jean Macé"})
    assert response.status_code == 200
    assert "Choisissez une personne parmi celles proposées." in response.content.decode()
    application.refresh_from_db()
    assert application.answers.get("enfant") != ALEX and "ecole" not in application.answers


def test_the_adult_written_into_the_answers_is_refused_at_submission(family, canteen):
    application = factories.draft(citizen=family, of=canteen, answers={"enfant": ALEX, "ecole": "Jean Macé"})
    with pytest.raises(ValidationError) as refused:
        services.application_submit(application=application, by=family)
    assert "Réponse à corriger : Enfant à inscrire." in refused.value.messages


def test_the_only_child_is_prefilled(family, canteen):
    application = services.application_start(procedure=canteen, applicant=family.person, by=family)
    assert application.answers == {"enfant": SAM}


def test_without_a_child_the_person_is_told_how_to_add_one_and_no_empty_list_is_shown(client, alone, canteen):
    application = services.application_start(procedure=canteen, applicant=alone.person, by=alone)
    assert application.answers == {}
    login_verified(client, alone)
    response = client.get(_step(application))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Aucun enfant n&#x27;est déclaré dans votre foyer" in page
    assert "Les personnes de votre foyer" in page
    assert reverse("accounts:household_start") in page
    assert 'name="enfant"' not in page


def test_without_a_child_the_step_cannot_be_passed(client, alone, canteen):
    application = services.application_start(procedure=canteen, applicant=alone.person, by=alone)
    login_verified(client, alone)
    response = client.post(_step(application), {"action": "next", "enfant": ALEX, "ecole": "Jean Macé"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in page
    assert "« Enfant à inscrire » : personne dans votre foyer ne peut encore être choisi" in page
    application.refresh_from_db()
    assert application.step == 1 and "enfant" not in application.answers


def test_without_a_child_an_optional_question_lets_the_person_go_on(client, alone):
    of = factories.procedure(questions=[{**CHILD, "required": False}])
    application = services.application_start(procedure=of, applicant=alone.person, by=alone)
    login_verified(client, alone)
    response = client.post(_step(application), {"action": "next"})
    assert response.status_code == 302


def test_the_no_child_message_is_translated(client, alone, canteen):
    application = services.application_start(procedure=canteen, applicant=alone.person, by=alone)
    login_verified(client, alone)
    page = client.get(_step(application), headers={"accept-language": "en"}).content.decode()
    assert "No child is declared in your household" in page
    assert "Complete the description of my household" in page


@pytest.mark.parametrize(
    "question",
    [
        {"name": "ecole", "label": "École", "kind": "text", "relationships": ["child"]},
        {**CHILD, "relationships": []},
        {**CHILD, "relationships": "child"},
        {**CHILD, "relationships": ["cousin"]},
    ],
)
def test_a_wrong_relationships_key_is_refused_when_the_procedure_is_checked(question):
    of = factories.procedure(questions=[question])
    with pytest.raises(ValidationError) as refused:
        of.clean()
    assert "relationships" in str(refused.value)


def test_the_demo_canteen_asks_for_a_child_and_its_definition_is_valid():
    [canteen] = [spec for spec in PROCEDURES if spec["slug"] == "inscription-cantine"]
    [question] = [q for q in canteen["questions"] if q["name"] == "enfant"]
    assert question["relationships"] == ["child"]
    of = factories.procedure(questions=canteen["questions"])
    of.clean()
