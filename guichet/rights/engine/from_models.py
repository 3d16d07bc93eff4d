"""Build the engine's input from the Django models of ``guichet.accounts``.

Kept apart from ``situation`` so the rest of the engine never imports Django models.
"""

from collections import defaultdict
from typing import TYPE_CHECKING

from guichet.rights.engine.situation import HouseholdInput, MemberInput

if TYPE_CHECKING:
    from guichet.accounts.models import Household


def household_input_from_model(household: "Household") -> HouseholdInput:
    """Return the ``HouseholdInput`` of a saved ``Household``: members by position, resources by month and kind."""
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
            )
        )
    return HouseholdInput(
        id=str(household.pk),
        members=members,
        housing=household.housing,
        commune_insee=household.commune_insee,
        monthly_rent=household.monthly_rent,
        last_year_taxable_income=household.last_year_taxable_income,
    )
