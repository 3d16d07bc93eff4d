"""The engine's input: a household described in plain Python, independent of Django and of OpenFisca.

It mirrors ``guichet.accounts.models`` (Household, HouseholdMember, MonthlyResource) so the engine can be used from a
batch job, a test or a benchmark without a database. Amounts are net monthly euros.

``HouseholdColumns`` says the same of many households at once, one array per field: what a territory-wide screening
reads from its data warehouse. Building a million small objects costs more than computing their rights.
"""

import dataclasses
import datetime
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

import numpy

RELATIONSHIPS = frozenset({"self", "partner", "child", "other"})
SITUATIONS = frozenset(
    {"employed", "self_employed", "unemployed", "student", "retired", "disabled", "inactive", "child"}
)
HOUSINGS = frozenset({"tenant", "furnished_tenant", "social_tenant", "owner", "hosted", "homeless"})
SCHOOL_LEVELS = frozenset({"maternelle", "primaire", "college", "lycee", "superieur", "none"})
SELF_EMPLOYED_ACTIVITIES = frozenset({"sales", "services", "liberal"})
# The kinds of ``HouseholdColumns.resources``, in order. Net monthly euros; ``self_employed`` is a micro-entrepreneur's
# turnover, ``child_support_paid`` alimony paid (a deduction), the others incomes received.
RESOURCE_ORDER = (
    "salary",
    "unemployment",
    "pension",
    "child_support",
    "self_employed",
    "disability_pension",
    "child_support_paid",
)
RESOURCE_KINDS = frozenset(RESOURCE_ORDER)
# Households saved before the kinds were detailed gave "other" for alimony and any other income; it is read as
# alimony received, as it always was.
LEGACY_KINDS = {"other": "child_support"}

Amount = Decimal | float | int

_EPOCH_DAY = datetime.date(1970, 1, 1).toordinal()  # day 0 of numpy's datetime64[D]


class InvalidHousehold(ValueError):
    """The household cannot be given to the engine (unknown choice, missing person of reference...)."""


def _as_date(value: datetime.date | str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise InvalidHousehold(f"not a date 'YYYY-MM-DD': {value!r}") from error


def _optional_date(value: datetime.date | str | None) -> datetime.date | None:
    return None if value in (None, "") else _as_date(value)


def _optional_amount(name: str, value: Amount | str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise InvalidHousehold(f"{name} must be a number, got {value!r}") from error
    if not math.isfinite(number) or number < 0:
        raise InvalidHousehold(f"{name} cannot be negative")
    return number


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
    ``disability_rate`` is the incapacity rate recognised by the MDPH, in percent (None: not given);
    ``employment_restriction`` the lasting restriction of access to work it may recognise (RSDAE);
    ``school_level`` one of ``SCHOOL_LEVELS`` (None: not asked, derived from the age: see ``mapping``);
    ``unemployed_since`` the first day without a job; ``self_employed_activity`` the kind of a micro-enterprise.
    """

    id: str
    relationship: str
    birth_date: datetime.date | str
    situation: str
    resources: Mapping[str, Mapping[str, Amount]] = dataclasses.field(default_factory=dict)
    disability_rate: float | None = None
    employment_restriction: bool = False
    school_level: str | None = None
    unemployed_since: datetime.date | str | None = None
    self_employed_activity: str | None = None

    def __post_init__(self) -> None:
        self.id = str(self.id)
        if self.relationship not in RELATIONSHIPS:
            raise InvalidHousehold(f"unknown relationship {self.relationship!r}")
        if self.situation not in SITUATIONS:
            raise InvalidHousehold(f"unknown situation {self.situation!r}")
        self.birth_date = _as_date(self.birth_date)
        resources: dict[str, dict[str, Amount]] = {}
        for month, by_kind in self.resources.items():
            _check_month(month)
            if not isinstance(by_kind, Mapping):
                raise InvalidHousehold(f"resources of {month} must map kinds to amounts")
            normalised: dict[str, Amount] = {}
            for kind, amount in by_kind.items():
                kind = LEGACY_KINDS.get(kind, kind)
                if kind not in RESOURCE_KINDS:
                    raise InvalidHousehold(f"unknown resource kind {kind!r}")
                if amount is None:
                    continue
                if isinstance(amount, bool) or not isinstance(amount, Decimal | float | int):
                    raise InvalidHousehold(f"resource amounts must be numbers, got {amount!r}")
                if not math.isfinite(amount) or amount < 0:
                    raise InvalidHousehold("resources cannot be negative")
                normalised[kind] = normalised.get(kind, 0) + amount
            resources[month] = normalised
        self.resources = resources
        self.disability_rate = _optional_amount("disability_rate", self.disability_rate)
        if self.disability_rate is not None and self.disability_rate > 100:
            raise InvalidHousehold("disability_rate is a percentage between 0 and 100")
        self.employment_restriction = bool(self.employment_restriction)
        if self.school_level is not None and self.school_level not in SCHOOL_LEVELS:
            raise InvalidHousehold(f"unknown school_level {self.school_level!r}")
        self.unemployed_since = _optional_date(self.unemployed_since)
        if self.self_employed_activity is not None and self.self_employed_activity not in SELF_EMPLOYED_ACTIVITIES:
            raise InvalidHousehold(f"unknown self_employed_activity {self.self_employed_activity!r}")

    def resource(self, month: str, kind: str) -> float:
        """The net amount of one kind of resource for one month, 0 when not given."""
        return float(self.resources.get(month, {}).get(kind, 0) or 0)

    @property
    def disabled(self) -> bool:
        """Whether the person counts as disabled: a rate of 50 % or more, or the situation says so."""
        return self.situation == "disabled" or (self.disability_rate or 0) >= 50


@dataclasses.dataclass
class HouseholdInput:
    """A household: exactly one ``self`` member, at most one ``partner``, and its housing.

    ``monthly_rent`` is the rent without charges; ``last_year_taxable_income`` and ``taxable_income_two_years_ago``
    the revenus fiscaux de référence of the years N-1 and N-2; ``already_received`` the aids received now, euros a
    month by catalogue id (an amount of 0 is an aid not received).
    """

    members: list[MemberInput]
    housing: str
    commune_insee: str
    monthly_rent: Amount | None = None
    last_year_taxable_income: Amount | None = None
    id: str | None = None
    shared_tenancy: bool = False
    taxable_income_two_years_ago: Amount | None = None
    already_received: Mapping[str, Amount] = dataclasses.field(default_factory=dict)

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
        for name in ("monthly_rent", "last_year_taxable_income", "taxable_income_two_years_ago"):
            _optional_amount(name, getattr(self, name))
        self.shared_tenancy = bool(self.shared_tenancy)
        if not isinstance(self.already_received, Mapping):
            raise InvalidHousehold("already_received must map aid ids to euros a month")
        received = {}
        for aid_id, amount in self.already_received.items():
            if not isinstance(aid_id, str) or not aid_id:
                raise InvalidHousehold("already_received must map aid ids to euros a month")
            value = _optional_amount(f"already_received[{aid_id}]", amount)
            if value:  # nothing received, or 0: an aid not received (see ``mapping.past``)
                received[aid_id] = value
        self.already_received = received

    @property
    def reference_person(self) -> MemberInput:
        """The ``self`` member."""
        return next(member for member in self.members if member.relationship == "self")

    def to_dict(self) -> dict:
        """A JSON-serialisable copy, stored with results so they can be recomputed identically."""

        def number(value: Amount | None) -> float | None:
            return None if value is None else float(value)

        return {
            "id": self.id,
            "housing": self.housing,
            "shared_tenancy": self.shared_tenancy,
            "commune_insee": self.commune_insee,
            "monthly_rent": number(self.monthly_rent),
            "last_year_taxable_income": number(self.last_year_taxable_income),
            "taxable_income_two_years_ago": number(self.taxable_income_two_years_ago),
            "already_received": {key: float(value) for key, value in sorted(self.already_received.items())},
            "members": [
                {
                    "id": member.id,
                    "relationship": member.relationship,
                    "birth_date": member.birth_date.isoformat(),
                    "situation": member.situation,
                    "disability_rate": member.disability_rate,
                    "employment_restriction": member.employment_restriction,
                    "school_level": member.school_level,
                    "unemployed_since": member.unemployed_since.isoformat() if member.unemployed_since else None,
                    "self_employed_activity": member.self_employed_activity,
                    "resources": {
                        month: {kind: float(amount) for kind, amount in sorted(by_kind.items())}
                        for month, by_kind in sorted(member.resources.items())
                    },
                }
                for member in self.members
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "HouseholdInput":
        """The inverse of ``to_dict``; households saved before a field existed load with its default."""
        if not isinstance(data, Mapping):
            raise InvalidHousehold("a household is a JSON object")
        try:
            members = data["members"]
            if not isinstance(members, list) or not all(isinstance(member, Mapping) for member in members):
                raise InvalidHousehold("members must be a list of objects")
            return cls(
                id=data.get("id"),
                housing=data["housing"],
                shared_tenancy=data.get("shared_tenancy") or False,
                commune_insee=data["commune_insee"],
                monthly_rent=data.get("monthly_rent"),
                last_year_taxable_income=data.get("last_year_taxable_income"),
                taxable_income_two_years_ago=data.get("taxable_income_two_years_ago"),
                already_received=data.get("already_received") or {},
                members=[
                    MemberInput(
                        id=member["id"],
                        relationship=member["relationship"],
                        birth_date=member["birth_date"],
                        situation=member["situation"],
                        resources=member.get("resources") or {},
                        disability_rate=member.get("disability_rate"),
                        employment_restriction=member.get("employment_restriction") or False,
                        school_level=member.get("school_level"),
                        unemployed_since=member.get("unemployed_since"),
                        self_employed_activity=member.get("self_employed_activity"),
                    )
                    for member in members
                ],
            )
        except KeyError as error:
            raise InvalidHousehold(f"missing field {error.args[0]!r}") from error


@dataclasses.dataclass
class HouseholdColumns:
    """Many households as arrays: each field of ``HouseholdInput`` and ``MemberInput``, one row per household or
    per member. Checked as the objects are (``InvalidHousehold``), all at once.

    Members are listed household by household: ``member_household`` (the row of each member's household) never
    decreases and every household has a member. ``resources[member, kind, month]`` is the net amount of each kind
    (``RESOURCE_ORDER``) in each of ``months`` (0 when not given); ``month_given[member, month]`` says whether the
    member declared that month, even with no income (a month asked for and not declared is taken to be like the one
    before: see ``mapping``). Amounts not given (rent, taxable incomes, disability rate) are NaN, choices not given
    (school level, self-employed activity) "", dates not given NaT. ``already_received`` maps an aid id to one
    amount per household, NaN where that household did not declare it. The columns after ``household_id`` may be
    left out: they then hold "not given" for everyone.
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
    shared_tenancy: numpy.ndarray | None = None
    taxable_income_two_years_ago: numpy.ndarray | None = None
    already_received: dict[str, numpy.ndarray] | None = None
    disability_rate: numpy.ndarray | None = None
    employment_restriction: numpy.ndarray | None = None
    school_level: numpy.ndarray | None = None
    unemployed_since: numpy.ndarray | None = None
    self_employed_activity: numpy.ndarray | None = None

    def __post_init__(self) -> None:
        self.months = tuple(_check_month(month) for month in self.months)
        self.housing = numpy.asarray(self.housing, dtype=str)
        households, members = len(self.housing), len(self.member_household)

        def column(value: object, dtype: object, size: int, default: object) -> numpy.ndarray:
            if value is None:
                return numpy.full(size, default, dtype=dtype)
            return numpy.asarray(value, dtype=dtype)

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
        self.shared_tenancy = column(self.shared_tenancy, bool, households, False)
        self.taxable_income_two_years_ago = column(
            self.taxable_income_two_years_ago, numpy.float64, households, numpy.nan
        )
        received = self.already_received or {}
        self.already_received = {str(key): numpy.asarray(amount, dtype=float) for key, amount in received.items()}
        self.disability_rate = column(self.disability_rate, numpy.float64, members, numpy.nan)
        self.employment_restriction = column(self.employment_restriction, bool, members, False)
        self.school_level = column(self.school_level, "<U10", members, "")
        self.unemployed_since = column(self.unemployed_since, "datetime64[D]", members, numpy.datetime64("NaT"))
        self.self_employed_activity = column(self.self_employed_activity, "<U8", members, "")
        if not households:
            raise InvalidHousehold("no household given")
        for name in ("commune_insee", "monthly_rent", "last_year_taxable_income", "shared_tenancy"):
            if getattr(self, name).shape != (households,):
                raise InvalidHousehold(f"{name} must have one value per household")
        if self.taxable_income_two_years_ago.shape != (households,):
            raise InvalidHousehold("taxable_income_two_years_ago must have one value per household")
        for key, values in self.already_received.items():
            if values.shape != (households,):
                raise InvalidHousehold(f"already_received[{key}] must have one value per household")
            if (values < 0).any() or numpy.isinf(values).any():
                raise InvalidHousehold("already_received amounts cannot be negative")
        if self.household_id is not None and len(self.household_id) != households:
            raise InvalidHousehold("household_id must have one value per household")
        for name in (
            "member_id",
            "relationship",
            "birth_date",
            "situation",
            "disability_rate",
            "employment_restriction",
            "school_level",
            "unemployed_since",
            "self_employed_activity",
        ):
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
        _check_choices("school_level", self.school_level[self.school_level != ""], SCHOOL_LEVELS)
        _check_choices(
            "self_employed_activity",
            self.self_employed_activity[self.self_employed_activity != ""],
            SELF_EMPLOYED_ACTIVITIES,
        )
        if (numpy.char.str_len(self.commune_insee) != 5).any():
            raise InvalidHousehold("commune_insee must have 5 characters")
        if not numpy.isfinite(self.resources).all() or (self.resources < 0).any():
            raise InvalidHousehold("resources cannot be negative")
        rates = self.disability_rate[~numpy.isnan(self.disability_rate)]
        if ((rates < 0) | (rates > 100)).any():
            raise InvalidHousehold("disability_rate is a percentage between 0 and 100")
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
        assert self.already_received is not None
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
            shared_tenancy=self.shared_tenancy[rows],
            taxable_income_two_years_ago=self.taxable_income_two_years_ago[rows],
            already_received={key: values[rows] for key, values in self.already_received.items()},
            disability_rate=self.disability_rate[members],
            employment_restriction=self.employment_restriction[members],
            school_level=self.school_level[members],
            unemployed_since=self.unemployed_since[members],
            self_employed_activity=self.self_employed_activity[members],
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
                given.append(person * count + index)  # a month declared, even without any income
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

        received_ids = sorted({key for household in households for key in household.already_received})
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
            shared_tenancy=[household.shared_tenancy for household in households],
            taxable_income_two_years_ago=optional(
                [household.taxable_income_two_years_ago for household in households]
            ),
            already_received={
                key: optional([household.already_received.get(key) for household in households])
                for key in received_ids
            },
            disability_rate=optional([member.disability_rate for member in members]),
            employment_restriction=[member.employment_restriction for member in members],
            school_level=[member.school_level or "" for member in members],
            unemployed_since=[
                numpy.datetime64(member.unemployed_since) if member.unemployed_since else numpy.datetime64("NaT")
                for member in members
            ],
            self_employed_activity=[member.self_employed_activity or "" for member in members],
        )


def _check_choices(name: str, values: numpy.ndarray, choices: frozenset[str]) -> None:
    unknown = set(numpy.unique(values).tolist()) - choices
    if unknown:
        raise InvalidHousehold(f"unknown {name} {sorted(unknown)[0]!r}")
