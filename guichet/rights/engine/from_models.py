"""Build the engine's input from the Django models of ``guichet.accounts``.

Kept apart from ``situation`` so the rest of the engine never imports Django models.
"""

from collections import defaultdict
from typing import TYPE_CHECKING

from guichet.rights.engine.situation import HouseholdInput, MemberInput

if TYPE_CHECKING:
    from guichet.accounts.models import Household


def household_input_from_model(household: "Household") -> HouseholdInput:
    """Return the ``HouseholdInput`` of a saved ``Household``: members by position with their answers, resources by
    month and kind, the aids received."""
    members = []
    for member in household.members.order_by("position", "id").prefetch_related("resources"):
        resources: dict[str, dict[str, float]] = defaultdict(dict)
        for resource in member.resources.all():
            resources[resource.month.strftime("%Y-%m")][resource.kind] = resource.amount
        members.append(
            MemberInput(
                id=str(member.pk),
                relationship=member.relationship,
                birth_date=member.birth_date,
                situation=member.situation,
                resources=dict(resources),
                disability_rate=member.disability_rate,
                employment_restriction=member.employment_restriction,
                school_level=member.school_level or None,
                unemployed_since=member.unemployed_since,
                self_employed_activity=member.self_employed_activity or None,
            )
        )
    return HouseholdInput(
        id=str(household.pk),
        members=members,
        housing=household.housing,
        shared_tenancy=household.shared_tenancy,
        commune_insee=household.commune_insee,
        monthly_rent=household.monthly_rent,
        last_year_taxable_income=household.last_year_taxable_income,
        taxable_income_two_years_ago=household.taxable_income_two_years_ago,
        already_received=household.already_received or {},
    )
