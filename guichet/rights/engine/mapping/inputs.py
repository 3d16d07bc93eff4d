"""The entities of a batch of households and the inputs that come straight from their answers.

``Inputs`` holds, for each OpenFisca entity, the values of every (variable, period) given, one array per
(variable, period) over the entity's instances in the batch's order. Both ways of giving a household to OpenFisca
read it: ``simulate`` sets it on one vectorised simulation, ``mapping.situation_dict`` writes it as a Web API
situation; both therefore give OpenFisca the very same values. What is derived with OpenFisca itself (gross and
taxable incomes, revenus fiscaux de référence, past benefits) is added by ``incomes`` and ``past``.
"""

import dataclasses
import datetime

import numpy
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_core.simulations import Simulation

from guichet.rights.engine.accel import build
from guichet.rights.engine.situation import RESOURCE_ORDER, HouseholdColumns
from guichet.rights.engine.system import get_tax_benefit_system

WINDOW_MONTHS = 36  # months before M given situations, housing and incomes (24 at least: past years are read)
HISTORY_MONTHS = 12  # months declared before M
ACTIVITE = {
    "employed": "actif",
    "self_employed": "actif",
    "unemployed": "chomeur",
    "student": "etudiant",
    "retired": "retraite",
    "disabled": "inactif",
    "inactive": "inactif",
    "child": "inactif",
}
OCCUPATION = {
    "tenant": "locataire_vide",
    "furnished_tenant": "locataire_meuble",
    "social_tenant": "locataire_hlm",
    "owner": "proprietaire",
    "hosted": "loge_gratuitement",
    "homeless": "sans_domicile",
}
RENTING = frozenset({"tenant", "furnished_tenant", "social_tenant"})
SCOLARITE = {
    "maternelle": "maternelle",
    "primaire": "primaire",
    "college": "college",
    "lycee": "lycee",
    "superieur": "enseignement_superieur",
    "none": "inconnue",
}
# Resources set as the person declares them (the other kinds are solved from their net: see ``incomes``).
DIRECT_RESOURCES = {
    "child_support": "pensions_alimentaires_percues",
    "child_support_paid": "pensions_alimentaires_versees_individu",
    "disability_pension": "pensions_invalidite",
}
# A micro-entrepreneur's monthly turnover, by activity (services when not given), and the box of the tax return
# (versement libératoire regime) where the year's turnover is declared.
TURNOVER = {
    "sales": ("rpns_auto_entrepreneur_CA_achat_revente", "ebic_impv"),
    "services": ("rpns_auto_entrepreneur_CA_bic", "ebic_imps"),
    "liberal": ("rpns_auto_entrepreneur_CA_bnc", "ebnc_impo"),
}
CHILD_SUPPORT_PAID_BOX = "f6gu"  # alimony paid, declared on the tax return (a deduction)
# The role of each relationship in each group entity (an ``other`` member heads a famille and a foyer of their own).
GROUP_ROLES = {
    "famille": {"self": "demandeur", "partner": "conjoint", "child": "enfant", "other": "demandeur"},
    "foyer_fiscal": {
        "self": "declarant_principal",
        "partner": "conjoint",
        "child": "personne_a_charge",
        "other": "declarant_principal",
    },
    "menage": {"self": "personne_de_reference", "partner": "conjoint", "child": "enfant", "other": "autre"},
}
RELATIONSHIP_ORDER = sorted(GROUP_ROLES["menage"])  # relationships, by code
GROUP_ENTITIES = ("famille", "foyer_fiscal", "menage")
NOT_UNEMPLOYED = numpy.datetime64("9999-12-31")  # OpenFisca's default for ``date_debut_chomage`` (date.max)


# ---------------------------------------------------------------------------------------------------------------
# Periods


def month_shift(period_month: str, delta: int) -> str:
    """The month ``delta`` months after (negative: before) ``period_month``, as ``YYYY-MM``."""
    year, month = int(period_month[:4]), int(period_month[5:7])
    index = year * 12 + month - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def history_months(period_month: str, count: int = HISTORY_MONTHS) -> list[str]:
    """The ``count`` months before ``period_month``, oldest first."""
    return [month_shift(period_month, -offset) for offset in range(count, 0, -1)]


def situation_months(period_month: str) -> list[str]:
    """The months a household declares resources for: the 12 months before ``period_month`` and the month itself."""
    return [*history_months(period_month), period_month]


def window_months(period_month: str) -> list[str]:
    """The months given situations, housing and incomes: from M-36 to M."""
    return [*history_months(period_month, WINDOW_MONTHS), period_month]


def full_years(period_month: str) -> list[str]:
    """The calendar years whose twelve months are all among the 36 months before ``period_month``."""
    first, last = month_shift(period_month, -WINDOW_MONTHS), month_shift(period_month, -1)
    return [
        str(year)
        for year in range(int(first[:4]), int(last[:4]) + 1)
        if f"{year}-01" >= first and f"{year}-12" <= last
    ]


def _yearly(amounts: numpy.ndarray, months: list[str], years: list[str]) -> numpy.ndarray:
    """``[person, year]``: the sums over each year of monthly ``[person, month]`` amounts, in whole euros (a tax
    return's boxes)."""
    return numpy.stack(
        [numpy.round(amounts[:, [month.startswith(year) for month in months]].sum(axis=1)) for year in years], axis=1
    ).reshape(len(amounts), len(years))


def school_year_months(period_month: str) -> list[str]:
    """The months of the current school year up to ``period_month``: from September (of this year or the last)."""
    year, month = int(period_month[:4]), int(period_month[5:7])
    start = f"{year if month >= 9 else year - 1}-09"
    months = [start]
    while months[-1] != period_month:
        months.append(month_shift(months[-1], 1))
    return months


def ages(birth: numpy.ndarray, on: datetime.date) -> numpy.ndarray:
    """Ages in whole years on a day, from birth dates as ``datetime64[D]``."""
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    months = birth.astype("datetime64[M]").astype(int) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    before = (months > on.month) | ((months == on.month) & (days > on.day))
    return on.year - years - before.astype(int)


# ---------------------------------------------------------------------------------------------------------------
# Entities


@dataclasses.dataclass
class Layout:
    """The OpenFisca entities of a batch of households.

    One famille and one foyer fiscal per household (its ``self``, ``partner`` and children), then one per ``other``
    member, in the members' order; one ménage per household. ``famille_of[person]`` is a person's famille (and foyer
    fiscal), ``group_household[group]`` the household of a famille, ``main_famille[household]`` its first famille.
    """

    household_count: int
    person_household: numpy.ndarray
    person_member_id: list[str]
    relationship: numpy.ndarray  # codes into RELATIONSHIP_ORDER
    famille_of: numpy.ndarray
    group_household: numpy.ndarray
    main_famille: numpy.ndarray
    couple: numpy.ndarray  # persons who are one of a couple's two adults

    @property
    def person_count(self) -> int:
        return len(self.person_household)

    @property
    def group_count(self) -> int:
        return len(self.group_household)

    def instances(self, entity: str) -> int:
        """How many instances of an entity the batch has."""
        if entity == "individu":
            return self.person_count
        if entity == "menage":
            return self.household_count
        return self.group_count

    def household_of(self, entity: str) -> numpy.ndarray:
        """For each instance of an entity, the index of its household in the batch."""
        if entity == "individu":
            return self.person_household
        if entity == "menage":
            return numpy.arange(self.household_count)
        return self.group_household


def layout(columns: HouseholdColumns) -> Layout:
    """The entities of the households of ``columns``."""
    household_count = len(columns)
    household_of = columns.member_household
    relationships = numpy.searchsorted(RELATIONSHIP_ORDER, columns.relationship)
    is_other = relationships == RELATIONSHIP_ORDER.index("other")
    others = numpy.bincount(household_of, weights=is_other, minlength=household_count).astype(numpy.int64)
    main_famille = numpy.concatenate([[0], numpy.cumsum(others + 1)[:-1]]).astype(numpy.int64)
    sizes = columns.household_sizes()
    earlier_others = numpy.cumsum(is_other) - is_other  # "other" members before each member
    first_member = numpy.concatenate([[0], numpy.cumsum(sizes)[:-1]])
    rank = earlier_others - earlier_others[first_member][household_of]
    famille_of = main_famille[household_of] + numpy.where(is_other, 1 + rank, 0)
    partners = numpy.bincount(
        household_of, weights=relationships == RELATIONSHIP_ORDER.index("partner"), minlength=household_count
    )
    couple = (partners > 0)[household_of] & numpy.isin(
        relationships, [RELATIONSHIP_ORDER.index("self"), RELATIONSHIP_ORDER.index("partner")]
    )
    return Layout(
        household_count=household_count,
        person_household=household_of,
        person_member_id=columns.member_id,
        relationship=relationships,
        famille_of=famille_of,
        group_household=numpy.repeat(numpy.arange(household_count), others + 1),
        main_famille=main_famille,
        couple=couple,
    )


# ---------------------------------------------------------------------------------------------------------------
# Inputs


class Inputs(dict):
    """``{entity: {variable: {period: array}}}``, in the order the values are given to OpenFisca."""

    def put(self, entity: str, variable: str, periods: list[str] | tuple[str, ...], values: numpy.ndarray) -> None:
        """Give ``values`` (one per instance of ``entity``) for each of ``periods``: the same array for each."""
        by_period = self.setdefault(entity, {}).setdefault(variable, {})
        for period in periods:
            by_period[period] = values

    def put_each(self, entity: str, variable: str, periods: list[str], values: numpy.ndarray) -> None:
        """Give ``values[:, column]`` for ``periods[column]``: one column per period."""
        by_period = self.setdefault(entity, {}).setdefault(variable, {})
        for column, period in enumerate(periods):
            by_period[period] = numpy.ascontiguousarray(values[:, column])

    def merged(self, *others: "Inputs") -> "Inputs":
        """A new ``Inputs`` with these values, then each of ``others``'."""
        result = Inputs()
        for source in (self, *others):
            for entity, variables in source.items():
                for variable, by_period in variables.items():
                    result.setdefault(entity, {}).setdefault(variable, {}).update(by_period)
        return result


def declared_resources(columns: HouseholdColumns, period_month: str) -> numpy.ndarray:
    """Each member's net amounts by kind over ``window_months``: ``[member, kind, month]``.

    The 12 months before M are the ones declared; M is the one declared for M, or else M-1's; every month before
    M-12 is the mean of the 12 declared months (``docs/rights-mapping.md``, rule 1).
    """
    if columns.months != tuple(situation_months(period_month)):
        raise ValueError(f"the households' resources are not given for the 13 months up to {period_month}")
    declared = columns.resources[:, :, :HISTORY_MONTHS]
    current = numpy.where(
        columns.month_given[:, None, HISTORY_MONTHS],
        columns.resources[:, :, HISTORY_MONTHS],
        columns.resources[:, :, HISTORY_MONTHS - 1],
    )
    mean = declared.sum(axis=2) / HISTORY_MONTHS
    older = numpy.repeat(mean[:, :, None], WINDOW_MONTHS - HISTORY_MONTHS, axis=2)
    return numpy.concatenate([older, declared, current[:, :, None]], axis=2)


def situation_inputs(columns: HouseholdColumns, lay: Layout, period_month: str, nets: numpy.ndarray) -> Inputs:
    """The inputs read off the answers: persons, situations, housing and the resources given as declared."""
    months = window_months(period_month)
    first_day = datetime.date.fromisoformat(f"{period_month}-01")
    inputs = Inputs()

    # Individus
    inputs.put("individu", "date_naissance", ["ETERNITY"], columns.birth_date)
    situations = columns.situation
    inputs.put("individu", "activite", months, numpy.array([ACTIVITE[key] for key in situations.tolist()]))
    rate = numpy.nan_to_num(columns.disability_rate)
    disabled = (situations == "disabled") | (rate >= 50)
    inputs.put("individu", "handicap", months, disabled)
    inputs.put("individu", "taux_incapacite", months, rate / 100)
    restriction = columns.employment_restriction
    inputs.put("individu", "aah_restriction_substantielle_durable_acces_emploi", months, restriction)
    inputs.put("individu", "statut_marital", months, numpy.where(lay.couple, "pacse", "celibataire"))
    inputs.put("individu", "scolarite", school_year_months(period_month), _scolarite(columns, first_day))
    start = numpy.datetime64(f"{months[0]}-01")
    unemployed_since = numpy.where(
        numpy.isnat(columns.unemployed_since),
        numpy.where(situations == "unemployed", start, NOT_UNEMPLOYED),
        columns.unemployed_since,
    )
    inputs.put("individu", "date_debut_chomage", ["ETERNITY"], unemployed_since.astype("datetime64[D]"))
    for kind, variable in DIRECT_RESOURCES.items():
        inputs.put_each("individu", variable, months, nets[:, RESOURCE_ORDER.index(kind)])
    years = full_years(period_month)
    turnover = nets[:, RESOURCE_ORDER.index("self_employed")]
    activity = numpy.where(columns.self_employed_activity == "", "services", columns.self_employed_activity)
    for key, (monthly, yearly) in TURNOVER.items():
        mine = numpy.where((activity == key)[:, None], turnover, 0.0)
        inputs.put_each("individu", monthly, months, mine)
        inputs.put_each("individu", yearly, years, _yearly(mine, months, years))

    # Foyers fiscaux: the alimony its declarants paid, year by year.
    paid = _yearly(nets[:, RESOURCE_ORDER.index("child_support_paid")], months, years)
    declarant = lay.relationship != RELATIONSHIP_ORDER.index("child")
    by_foyer = numpy.zeros((lay.group_count, len(years)))
    numpy.add.at(by_foyer, lay.famille_of[declarant], paid[declarant])
    inputs.put_each("foyer_fiscal", CHILD_SUPPORT_PAID_BOX, years, by_foyer)

    # Ménages
    housing = columns.housing
    inputs.put("menage", "statut_occupation_logement", months, numpy.array([OCCUPATION[key] for key in housing]))
    renting = numpy.isin(housing, sorted(RENTING))
    inputs.put("menage", "loyer", months, numpy.where(renting, numpy.nan_to_num(columns.monthly_rent), 0.0))
    inputs.put("menage", "coloc", months, columns.shared_tenancy & renting)
    inputs.put("menage", "depcom", months, columns.commune_insee)
    return inputs


def _scolarite(columns: HouseholdColumns, first_day: datetime.date) -> numpy.ndarray:
    """The school level given, or for a member without one the level of their age (households saved before)."""
    age = ages(columns.birth_date, first_day)
    by_age = numpy.full(len(age), "inconnue", dtype=object)
    by_age[(age >= 3) & (age <= 5)] = "maternelle"
    by_age[(age >= 6) & (age <= 10)] = "primaire"
    by_age[(age >= 11) & (age <= 14)] = "college"
    by_age[(age >= 15) & (age <= 17)] = "lycee"
    by_age[(age >= 18) & (columns.situation == "student")] = "enseignement_superieur"
    given = numpy.array([SCOLARITE.get(level, "") for level in columns.school_level.tolist()], dtype=object)
    return numpy.where(given == "", by_age, given).astype(str)


# ---------------------------------------------------------------------------------------------------------------
# One vectorised simulation


def new_simulation(lay: Layout) -> Simulation:
    """An OpenFisca simulation with the batch's entities and roles, and no input yet."""
    tbs = get_tax_benefit_system()
    builder = SimulationBuilder()
    builder.create_entities(tbs)
    builder.declare_person_entity("individu", numpy.arange(lay.person_count))
    groups = numpy.arange(lay.group_count)
    # Familles and foyers fiscaux have the same shape (one per household plus one per "other" member).
    for entity, ids, assignment in (
        ("famille", groups, lay.famille_of),
        ("foyer_fiscal", groups, lay.famille_of),
        ("menage", numpy.arange(lay.household_count), lay.person_household),
    ):
        population = builder.declare_entity(entity, ids)
        # Roles given as indices into the entity's roles (OpenFisca compares strings role by role otherwise).
        keys = [role.key for role in population.entity.flattened_roles]
        by_relationship = numpy.array(
            [keys.index(GROUP_ROLES[entity][relationship]) for relationship in RELATIONSHIP_ORDER]
        )
        builder.join_with_persons(population, assignment, by_relationship[lay.relationship])
    return builder.build(tbs)


def simulate(lay: Layout, inputs: Inputs) -> Simulation:
    """One simulation of the batch with ``inputs`` given."""
    simulation = new_simulation(lay)
    variables = simulation.tax_benefit_system.variables
    encoded: dict[int, EnumArray] = {}
    for by_variable in inputs.values():
        for name, by_period in by_variable.items():
            possible_values = getattr(variables[name], "possible_values", None)
            for period, values in by_period.items():
                if possible_values is not None:
                    # Strings of an enumeration as OpenFisca stores them, encoded once per array (``set_input``
                    # would sort the strings each time): through the few distinct keys.
                    codes = encoded.get(id(values))
                    if codes is None:
                        unique, inverse = numpy.unique(values, return_inverse=True)
                        table = possible_values.encode(unique)
                        codes = encoded[id(values)] = EnumArray(
                            numpy.asarray(table)[inverse.reshape(-1)], possible_values
                        )
                    values = EnumArray(codes.copy(), possible_values)
                elif name == "depcom":
                    values = numpy.char.encode(values, "ascii").astype("S5")
                build.set_input(simulation, name, period, values)
    return simulation


def json_value(value: object) -> object:
    """One input value as the Web API writes it."""
    if isinstance(value, numpy.datetime64):
        return str(value.astype("datetime64[D]"))
    if isinstance(value, numpy.bool_):
        return bool(value)
    if isinstance(value, numpy.floating):
        return float(value)
    if isinstance(value, numpy.integer):
        return int(value)
    if isinstance(value, numpy.str_):
        return str(value)
    return value
