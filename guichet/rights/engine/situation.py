"""The engine's input: a household described in plain Python, independent of Django and of OpenFisca.

It mirrors ``guichet.accounts.models`` (Household, HouseholdMember, MonthlyResource) so the engine can be used from a
batch job, a test or a benchmark without a database. Amounts are net monthly euros.
"""

import dataclasses
import datetime
from collections.abc import Mapping
from decimal import Decimal

RELATIONSHIPS = frozenset({"self", "partner", "child", "other"})
SITUATIONS = frozenset(
    {"employed", "self_employed", "unemployed", "student", "retired", "disabled", "inactive", "child"}
)
HOUSINGS = frozenset({"tenant", "social_tenant", "owner", "hosted", "homeless"})
RESOURCE_KINDS = frozenset({"salary", "unemployment", "pension", "other"})

Amount = Decimal | float | int


class InvalidHousehold(ValueError):
    """The household cannot be given to the engine (unknown choice, missing person of reference...)."""


def _as_date(value: datetime.date | str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def _check_month(month: str) -> str:
    try:
        datetime.date.fromisoformat(f"{month}-01")
    except (TypeError, ValueError) as error:
        raise InvalidHousehold(f"month must be 'YYYY-MM', got {month!r}") from error
    if len(month) != 7:
        raise InvalidHousehold(f"month must be 'YYYY-MM', got {month!r}")
    return month


@dataclasses.dataclass
class MemberInput:
    """One person of the household.

    ``resources`` maps a month ``"YYYY-MM"`` to a mapping ``kind -> net amount in euros`` for that month.
    """

    id: str
    relationship: str
    birth_date: datetime.date | str
    situation: str
    resources: Mapping[str, Mapping[str, Amount]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.id = str(self.id)
        if self.relationship not in RELATIONSHIPS:
            raise InvalidHousehold(f"unknown relationship {self.relationship!r}")
        if self.situation not in SITUATIONS:
            raise InvalidHousehold(f"unknown situation {self.situation!r}")
        self.birth_date = _as_date(self.birth_date)
        for month, by_kind in self.resources.items():
            _check_month(month)
            for kind, amount in by_kind.items():
                if kind not in RESOURCE_KINDS:
                    raise InvalidHousehold(f"unknown resource kind {kind!r}")
                if amount < 0:
                    raise InvalidHousehold("resources cannot be negative")

    def resource(self, month: str, kind: str) -> float:
        """The net amount of one kind of resource for one month, 0 when not given."""
        return float(self.resources.get(month, {}).get(kind, 0) or 0)


@dataclasses.dataclass
class HouseholdInput:
    """A household: exactly one ``self`` member, at most one ``partner``, and its housing."""

    members: list[MemberInput]
    housing: str
    commune_insee: str
    monthly_rent: Amount | None = None
    last_year_taxable_income: Amount | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if self.housing not in HOUSINGS:
            raise InvalidHousehold(f"unknown housing {self.housing!r}")
        self.commune_insee = str(self.commune_insee)
        if len(self.commune_insee) != 5:
            raise InvalidHousehold("commune_insee must have 5 characters")
        relationships = [member.relationship for member in self.members]
        if relationships.count("self") != 1:
            raise InvalidHousehold("a household has exactly one 'self' member")
        if relationships.count("partner") > 1:
            raise InvalidHousehold("a household has at most one 'partner'")
        if len({member.id for member in self.members}) != len(self.members):
            raise InvalidHousehold("member ids must be unique within a household")

    @property
    def reference_person(self) -> MemberInput:
        """The ``self`` member."""
        return next(member for member in self.members if member.relationship == "self")

    def to_dict(self) -> dict:
        """A JSON-serialisable copy, stored with results so they can be recomputed identically."""
        return {
            "id": self.id,
            "housing": self.housing,
            "commune_insee": self.commune_insee,
            "monthly_rent": None if self.monthly_rent is None else float(self.monthly_rent),
            "last_year_taxable_income": (
                None if self.last_year_taxable_income is None else float(self.last_year_taxable_income)
            ),
            "members": [
                {
                    "id": member.id,
                    "relationship": member.relationship,
                    "birth_date": member.birth_date.isoformat(),
                    "situation": member.situation,
                    "resources": {
                        month: {kind: float(amount) for kind, amount in by_kind.items()}
                        for month, by_kind in sorted(member.resources.items())
                    },
                }
                for member in self.members
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "HouseholdInput":
        """The inverse of ``to_dict``."""
        return cls(
            id=data.get("id"),
            housing=data["housing"],
            commune_insee=data["commune_insee"],
            monthly_rent=data.get("monthly_rent"),
            last_year_taxable_income=data.get("last_year_taxable_income"),
            members=[
                MemberInput(
                    id=member["id"],
                    relationship=member["relationship"],
                    birth_date=member["birth_date"],
                    situation=member["situation"],
                    resources=member.get("resources", {}),
                )
                for member in data["members"]
            ],
        )
