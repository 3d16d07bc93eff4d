import datetime
from decimal import Decimal

import pytest

from guichet.accounts.models import Household, HouseholdMember, MonthlyResource
from guichet.rights.engine.from_models import household_input_from_model
from tests.factories import PersonFactory


@pytest.mark.django_db
def test_household_input_from_model():
    household = Household.objects.create(
        person=PersonFactory(),
        commune_insee="69123",
        housing="tenant",
        monthly_rent=Decimal("612.50"),
    )
    child = HouseholdMember.objects.create(
        household=household,
        position=1,
        relationship="child",
        first_name="B",
        birth_date=datetime.date(2015, 1, 2),
        situation="child",
    )
    me = HouseholdMember.objects.create(
        household=household,
        position=0,
        relationship="self",
        first_name="A",
        birth_date=datetime.date(1985, 3, 1),
        situation="employed",
    )
    MonthlyResource.objects.create(member=me, month=datetime.date(2024, 12, 1), kind="salary", amount=Decimal("1500"))
    MonthlyResource.objects.create(member=me, month=datetime.date(2024, 11, 1), kind="other", amount=Decimal("20.5"))
    data = household_input_from_model(household)
    assert [member.id for member in data.members] == [str(me.pk), str(child.pk)]
    # An "other" income saved before the kinds were detailed is read as alimony, as it always was.
    assert data.members[0].resources == {"2024-12": {"salary": Decimal("1500")}, "2024-11": {"child_support": Decimal("20.5")}}
    assert data.monthly_rent == Decimal("612.50")
    assert data.last_year_taxable_income is None
    assert data.to_dict()["members"][0]["resources"]["2024-12"] == {"salary": 1500.0}
