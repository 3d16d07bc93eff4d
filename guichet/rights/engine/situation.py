"""The engine's input: a household described in plain Python, independent of Django and of OpenFisca.

It mirrors ``guichet.accounts.models`` (Household, HouseholdMember, MonthlyResource) so the engine can be used from a
batch job, a test or a benchmark without a database. Amounts are net monthly euros.

``HouseholdColumns`` says the same of many households at once, one array per field: what a territory-wide screening
reads from its data warehouse. Building a million small objects costs more than computing their rights.
"""

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal

import numpy

RELATIONSHIPS = frozenset({"self", "partner", "child", "other"})
SITUATIONS = frozenset(
    {"employed", "self_employed", "unemployed", "student", "retired", "disabled", "inactive", "child"}
)
HOUSINGS = frozenset({"tenant", "social_tenant", "owner", "hosted", "homeless"})
RESOURCE_ORDER = ("salary", "unemployment", "pension", "other")  # the kinds of ``HouseholdColumns.resources``
RESOURCE_KINDS = frozenset(RESOURCE_ORDER)

Amount = Decimal | float | int

_EPOCH_DAY = datetime.date(1970, 1, 1).toordinal()  # day 0 of numpy's datetime64[D]


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


@dataclasses.dataclass
class HouseholdColumns:
    """Many households as arrays: each field of ``HouseholdInput`` and ``MemberInput``, one row per household or
    per member. Checked as the objects are (``InvalidHousehold``), all at once.

    Members are listed household by household: ``member_household`` (the row of each member's household) never
    decreases and every household has a member. ``resources[member, kind, month]`` is the net amount of each kind
    (``RESOURCE_ORDER``) in each of ``months`` (0 when not given); ``month_given[member, month]`` says whether the
    member gave any resource for that month (a month asked for without resources is taken to be like the one
    before: see ``mapping``). ``monthly_rent`` and ``last_year_taxable_income`` are NaN when not given.
    """

    months: tuple[str, ...]
    housing: numpy.ndarray
    commune_insee: numpy.ndarray
    monthly_rent: numpy.ndarray
    last_year_taxable_income: numpy.ndarray
    member_household: numpy.ndarray
    member_id: list[str]
    relationship: numpy.ndarray
    birth_date: numpy.ndarray
    situation: numpy.ndarray
    resources: numpy.ndarray
    month_given: numpy.ndarray
    household_id: list[str | None] | None = None

    def __post_init__(self) -> None:
        self.months = tuple(_check_month(month) for month in self.months)
        self.housing = numpy.asarray(self.housing, dtype=str)
        self.commune_insee = numpy.asarray(self.commune_insee, dtype=str)
        self.monthly_rent = numpy.asarray(self.monthly_rent, dtype=numpy.float64)
        self.last_year_taxable_income = numpy.asarray(self.last_year_taxable_income, dtype=numpy.float64)
        self.member_household = numpy.asarray(self.member_household, dtype=numpy.int64)
        self.member_id = [str(member_id) for member_id in self.member_id]
        self.relationship = numpy.asarray(self.relationship, dtype=str)
        self.birth_date = numpy.asarray(self.birth_date, dtype="datetime64[D]")
        self.situation = numpy.asarray(self.situation, dtype=str)
        self.resources = numpy.asarray(self.resources, dtype=numpy.float64)
        self.month_given = numpy.asarray(self.month_given, dtype=bool)
        households, members = len(self.housing), len(self.member_household)
        if not households:
            raise InvalidHousehold("no household given")
        for name in ("commune_insee", "monthly_rent", "last_year_taxable_income"):
            if getattr(self, name).shape != (households,):
                raise InvalidHousehold(f"{name} must have one value per household")
        if self.household_id is not None and len(self.household_id) != households:
            raise InvalidHousehold("household_id must have one value per household")
        for name in ("member_id", "relationship", "birth_date", "situation"):
            if len(getattr(self, name)) != members:
                raise InvalidHousehold(f"{name} must have one value per member")
        if self.resources.shape != (members, len(RESOURCE_ORDER), len(self.months)):
            raise InvalidHousehold("resources must be an array of (member, kind, month)")
        if self.month_given.shape != (members, len(self.months)):
            raise InvalidHousehold("month_given must be an array of (member, month)")
        household = self.member_household
        if members and (household[0] != 0 or (numpy.diff(household) < 0).any() or household[-1] >= households):
            raise InvalidHousehold("members must be listed household by household")
        if (self.household_sizes() == 0).any():
            raise InvalidHousehold("every household has members")
        _check_choices("housing", self.housing, HOUSINGS)
        _check_choices("relationship", self.relationship, RELATIONSHIPS)
        _check_choices("situation", self.situation, SITUATIONS)
        if (numpy.char.str_len(self.commune_insee) != 5).any():
            raise InvalidHousehold("commune_insee must have 5 characters")
        if not numpy.isfinite(self.resources).all() or (self.resources < 0).any():
            raise InvalidHousehold("resources cannot be negative")
        if numpy.isnat(self.birth_date).any():
            raise InvalidHousehold("every member has a birth date")
        if (numpy.bincount(household[self.relationship == "self"], minlength=households) != 1).any():
            raise InvalidHousehold("a household has exactly one 'self' member")
        if (numpy.bincount(household[self.relationship == "partner"], minlength=households) > 1).any():
            raise InvalidHousehold("a household has at most one 'partner'")
        if len(set(zip(household.tolist(), self.member_id, strict=True))) != members:
            raise InvalidHousehold("member ids must be unique within a household")

    def __len__(self) -> int:
        return len(self.housing)

    def household_sizes(self) -> numpy.ndarray:
        """How many members each household has."""
        return numpy.bincount(self.member_household, minlength=len(self.housing))

    def shapes(self) -> dict[tuple[str, ...], numpy.ndarray]:
        """The rows of the households of each shape: the relationships of their members, in order (as
        ``mapping.shape_key``), in the order the shapes first appear."""
        sizes = self.household_sizes()
        starts = numpy.concatenate([[0], numpy.cumsum(sizes)[:-1]])
        order = sorted(RELATIONSHIPS)
        codes = numpy.searchsorted(order, self.relationship) + 1
        rank = numpy.arange(len(self.member_household)) - starts[self.member_household]
        table = numpy.zeros((len(sizes), int(sizes.max())), dtype=numpy.int64)
        table[self.member_household, rank] = codes
        unique, first, inverse = numpy.unique(table, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        rows = numpy.argsort(inverse, kind="stable")
        bounds = numpy.searchsorted(inverse[rows], numpy.arange(len(unique) + 1))
        shapes = {}
        for shape in numpy.argsort(first, kind="stable"):
            key = tuple(order[code - 1] for code in unique[shape] if code)
            shapes[key] = rows[bounds[shape] : bounds[shape + 1]]
        return shapes

    def members_of(self, rows: Sequence[int] | numpy.ndarray) -> numpy.ndarray:
        """The members (their indices) of the households of these rows: household by household, members in order."""
        rows = numpy.asarray(rows, dtype=numpy.int64)
        sizes = self.household_sizes()
        starts = numpy.cumsum(sizes) - sizes
        taken = sizes[rows]
        offsets = numpy.arange(int(taken.sum())) - numpy.repeat(numpy.cumsum(taken) - taken, taken)
        return numpy.repeat(starts[rows], taken) + offsets

    def take(self, rows: Sequence[int] | numpy.ndarray) -> "HouseholdColumns":
        """The households of these rows, in this order."""
        rows = numpy.asarray(rows, dtype=numpy.int64)
        members = self.members_of(rows)
        return HouseholdColumns(
            months=self.months,
            housing=self.housing[rows],
            commune_insee=self.commune_insee[rows],
            monthly_rent=self.monthly_rent[rows],
            last_year_taxable_income=self.last_year_taxable_income[rows],
            member_household=numpy.repeat(numpy.arange(len(rows)), self.household_sizes()[rows]),
            member_id=[self.member_id[member] for member in members.tolist()],
            relationship=self.relationship[members],
            birth_date=self.birth_date[members],
            situation=self.situation[members],
            resources=self.resources[members],
            month_given=self.month_given[members],
            household_id=None if self.household_id is None else [self.household_id[row] for row in rows.tolist()],
        )

    @classmethod
    def from_households(cls, households: Sequence[HouseholdInput], months: Sequence[str]) -> "HouseholdColumns":
        """The columns of ``households``, with their resources over ``months`` (other months are left out)."""
        members = [member for household in households for member in household.members]
        column = {month: index for index, month in enumerate(months)}
        count = len(months)
        kind_offset = {kind: index * count for index, kind in enumerate(RESOURCE_ORDER)}
        # One flat index of (member, kind, month) per amount given, set at once (a territory brings millions).
        cells: list[int] = []
        amounts: list[float] = []
        given: list[int] = []
        for person, member in enumerate(members):
            for month, by_kind in member.resources.items():
                index = column.get(month)
                if index is None:
                    continue
                if by_kind:
                    given.append(person * count + index)
                base = person * len(RESOURCE_ORDER) * count + index
                for kind, amount in by_kind.items():
                    cells.append(base + kind_offset[kind])
                    amounts.append(float(amount or 0))
        resources = numpy.zeros(len(members) * len(RESOURCE_ORDER) * count)
        resources[numpy.array(cells, dtype=numpy.int64)] = amounts
        month_given = numpy.zeros(len(members) * count, dtype=bool)
        month_given[numpy.array(given, dtype=numpy.int64)] = True

        def optional(values: list) -> numpy.ndarray:
            return numpy.array([numpy.nan if value is None else float(value) for value in values])

        return cls(
            months=tuple(months),
            housing=[household.housing for household in households],
            commune_insee=[household.commune_insee for household in households],
            monthly_rent=optional([household.monthly_rent for household in households]),
            last_year_taxable_income=optional([household.last_year_taxable_income for household in households]),
            member_household=[index for index, household in enumerate(households) for _member in household.members],
            member_id=[member.id for member in members],
            relationship=[member.relationship for member in members],
            # Through ordinals: numpy converts date objects one by one, slowly.
            birth_date=(numpy.array([member.birth_date.toordinal() for member in members]) - _EPOCH_DAY).astype(
                "datetime64[D]"
            ),
            situation=[member.situation for member in members],
            resources=resources.reshape(len(members), len(RESOURCE_ORDER), count),
            month_given=month_given.reshape(len(members), count),
            household_id=[household.id for household in households],
        )


def _check_choices(name: str, values: numpy.ndarray, choices: frozenset[str]) -> None:
    unknown = set(numpy.unique(values).tolist()) - choices
    if unknown:
        raise InvalidHousehold(f"unknown {name} {sorted(unknown)[0]!r}")
