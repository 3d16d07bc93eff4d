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
        housing="furnished_tenant",
        shared_tenancy=True,
        monthly_rent=Decimal("612.50"),
        taxable_income_two_years_ago=Decimal("9000"),
        already_received={"aide_logement": "180.00"},
    )
    child = HouseholdMember.objects.create(
        household=household,
        position=1,
        relationship="child",
        first_name="B",
        birth_date=datetime.date(2015, 1, 2),
        situation="child",
        school_level="primaire",
    )
    me = HouseholdMember.objects.create(
        household=household,
        position=0,
        relationship="self",
        first_name="A",
        birth_date=datetime.date(1985, 3, 1),
        situation="disabled",
        disability_rate=60,
        employment_restriction=True,
    )
    MonthlyResource.objects.create(member=me, month=datetime.date(2024, 12, 1), kind="salary", amount=Decimal("1500"))
    MonthlyResource.objects.create(
        member=me, month=datetime.date(2024, 11, 1), kind="child_support", amount=Decimal("20.5")
    )
    data = household_input_from_model(household)
    assert [member.id for member in data.members] == [str(me.pk), str(child.pk)]
    assert data.members[0].resources == {
        "2024-12": {"salary": Decimal("1500")},
        "2024-11": {"child_support": Decimal("20.5")},
    }
    assert data.members[0].disability_rate == 60 and data.members[0].employment_restriction
    assert data.members[1].school_level == "primaire" and data.members[0].school_level is None
    assert data.monthly_rent == Decimal("612.50") and data.shared_tenancy and data.housing == "furnished_tenant"
    assert data.last_year_taxable_income is None and data.taxable_income_two_years_ago == Decimal("9000")
    assert data.already_received == {"aide_logement": 180.0}
    assert data.to_dict()["members"][0]["resources"]["2024-12"] == {"salary": 1500.0}
