"""Households to OpenFisca-France situations, and results back.

This is the ONLY module that knows OpenFisca's entity, role and variable names (apart from the catalogue of aids in
``benefits``, which names the variable each aid is computed by). It offers two equivalent paths:

* ``situation_dict`` builds the OpenFisca Web API JSON situation of one household (individus, familles,
  foyers_fiscaux, menages), used by explanations, the Web API compatibility and the differential tests;
* ``build_batch`` builds ONE vectorised simulation for many households straight from numpy arrays
  (``SimulationBuilder.declare_person_entity`` / ``declare_entity`` / ``join_with_persons`` then ``set_input``).
  Building one big dictionary instead is quadratic in OpenFisca (``list.index`` on every person), which rules it out
  for a territory-wide screening.

Both paths set exactly the same inputs; ``tests/rights/engine`` checks they give the same amounts.

How a household is described to OpenFisca (the choices are documented here because they shape every result):

* Entities: the person of reference (``self``) and the ``partner`` are the parents of one famille, the two declarants
  of one foyer fiscal (a joint tax return is assumed: married or PACS) and the reference person and spouse of the
  ménage; ``child`` members are its enfants / personnes à charge. An ``other`` member (a lodger, a grown-up relative)
  forms a famille and a foyer fiscal of their own inside the same ménage, because CAF and tax rules treat them so.
* Resources: the net monthly amounts of the last 12 months and of the month asked for are set month by month. A
  month asked for without resources of its own is taken to be like the last month: OpenFisca would otherwise read a
  drop to 0 as a job loss and "neutralise" past earnings for the RSA. ``salary -> salaire_net``,
  ``unemployment -> chomage_net``, ``pension -> retraite_nette`` and ``other -> pensions_alimentaires_percues`` (an
  income every minimum benefit counts). The sums over those 12 months stand for the taxable incomes
  (``salaire_imposable``, ``chomage_imposable``, ``retraite_imposable``) of the three previous calendar years
  (``TAX_YEARS``): family benefits and housing aids look at the year before last, and the months of the past year
  are computed too (the minimum benefits average the last three months), so their own year before last is asked
  for as well. The household's ``last_year_taxable_income`` is the revenu fiscal de référence (``rfr``) of those
  years, or, when unknown, the sum of the 12 months' resources. Setting ``rfr`` spares OpenFisca the whole
  income-tax computation; without the third year, it would compute that year's taxes and the contribution rates
  they set, back to 2018.
* Benefits of the past 13 months (RSA, prime d'activité, housing and family benefits, ASPA, AAH and its
  complement, ASI, ASS) and the work-accident annuity (the form never gives the rate it needs, so it is 0 in every
  month) are set to 0: the household form does not ask which benefits were received (screening non-take-up is the
  point), and without those inputs OpenFisca recomputes every past month of each, which is most of the calculation
  time (the AAH complement alone brings back every past month of the housing aids).
* Situation: ``activite`` (actif, chomeur, etudiant, retraite, inactif) and ``handicap`` for the 13 months; a
  ``disabled`` member is given an incapacity rate of 80 %, since the form does not ask for it (AAH is thus a
  possibility to check with the MDPH, not a promise). Schooling (``scolarite``) is derived from the age, and adult
  students are in higher education.
* Housing: ``statut_occupation_logement``, ``loyer`` (the rent given, charges included, only for tenants) and
  ``depcom`` (the commune's INSEE code) for the month asked for.
"""

import dataclasses
import datetime
from collections.abc import Sequence

import numpy
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_core.simulations import Simulation
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from guichet.rights.engine.benefits import Benefit
from guichet.rights.engine.situation import RESOURCE_ORDER, HouseholdColumns, HouseholdInput, MemberInput
from guichet.rights.engine.system import get_tax_benefit_system

NET_VARIABLES = {
    "salary": "salaire_net",
    "unemployment": "chomage_net",
    "pension": "retraite_nette",
    "other": "pensions_alimentaires_percues",
}
TAXABLE_VARIABLES = {
    "salary": "salaire_imposable",
    "unemployment": "chomage_imposable",
    "pension": "retraite_imposable",
}
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
    "social_tenant": "locataire_hlm",
    "owner": "proprietaire",
    "hosted": "loge_gratuitement",
    "homeless": "sans_domicile",
}
RENTING = frozenset({"tenant", "social_tenant"})
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
PAST_ZERO_FAMILLE = ("rsa", "ppa", "aide_logement", "af", "cf", "asf", "paje_base", "aspa")
PAST_ZERO_INDIVIDU = ("aah", "caah", "asi", "ass", "rente_accident_travail")
DISABILITY_RATE = 0.8
HISTORY_MONTHS = 12
PAST_BENEFIT_MONTHS = 13
TAX_YEARS = 3
# Benefits counted in the CAF's family quotient ("prestations familiales" of the month).
QF_BENEFITS = ("af", "cf", "asf", "paje_base")


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
    """The months for which situation and resources are set: the 12 months of history and the month itself."""
    return [*history_months(period_month), period_month]


def _age(birth_date: datetime.date, on: datetime.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _scolarite(age: int, situation: str) -> str | None:
    # An approximation from the age (the form does not ask for the class): French school years.
    if 3 <= age <= 5:
        return "maternelle"
    if 6 <= age <= 10:
        return "primaire"
    if 11 <= age <= 14:
        return "college"
    if 15 <= age <= 17:
        return "lycee"
    if age >= 18 and situation == "student":
        return "enseignement_superieur"
    return None


# ---------------------------------------------------------------------------------------------------------------
# One household -> OpenFisca Web API situation


def _member_sums(member: MemberInput, months: Sequence[str]) -> dict[str, float]:
    # Sequential float64 sums in chronological order: the batch path adds in the same order, so both give the very
    # same float32 inputs.
    sums = {}
    for kind in RESOURCE_ORDER:
        total = 0.0
        for month in months:
            total += member.resource(month, kind)
        sums[kind] = total
    return sums


def _member_total(sums: dict[str, float]) -> float:
    total = 0.0
    for kind in RESOURCE_ORDER:
        total += sums[kind]
    return total


def situation_dict(household: HouseholdInput, period_month: str) -> dict:
    """The OpenFisca Web API situation of one household for the month ``YYYY-MM`` (inputs only)."""
    first_day = datetime.date.fromisoformat(f"{period_month}-01")
    months = situation_months(period_month)
    history = history_months(period_month)
    past_benefits = history_months(period_month, PAST_BENEFIT_MONTHS)
    year = int(period_month[:4])
    tax_years = tuple(str(year - back) for back in range(1, TAX_YEARS + 1))

    individus: dict[str, dict] = {}
    estimates: dict[str, float] = {}
    for member in household.members:
        sums = _member_sums(member, history)
        estimates[member.id] = _member_total(sums)
        variables: dict[str, dict] = {
            "date_naissance": {"ETERNITY": member.birth_date.isoformat()},
            "activite": dict.fromkeys(months, ACTIVITE[member.situation]),
            "handicap": dict.fromkeys(months, member.situation == "disabled"),
        }
        if member.situation == "disabled":
            variables["taux_incapacite"] = dict.fromkeys(months, DISABILITY_RATE)
        if member.relationship in ("self", "partner") and any(m.relationship == "partner" for m in household.members):
            variables["statut_marital"] = dict.fromkeys(months, "pacse")
        scolarite = _scolarite(_age(member.birth_date, first_day), member.situation)
        if scolarite:
            variables["scolarite"] = {period_month: scolarite}
        current = period_month if member.resources.get(period_month) else history[-1]
        for kind in RESOURCE_ORDER:
            net = {month: member.resource(month, kind) for month in history}
            net[period_month] = member.resource(current, kind)
            variables[NET_VARIABLES[kind]] = net
        for kind, variable in TAXABLE_VARIABLES.items():
            variables[variable] = dict.fromkeys(tax_years, sums[kind])
        for variable in PAST_ZERO_INDIVIDU:
            variables[variable] = dict.fromkeys(past_benefits, 0)
        individus[member.id] = variables

    def ids(*relationships: str) -> list[str]:
        return [member.id for member in household.members if member.relationship in relationships]

    parents = ids("self") + ids("partner")
    children = ids("child")
    main_rfr = household.last_year_taxable_income
    if main_rfr is None:
        main_rfr = 0.0
        for member_id in ids("self", "partner", "child"):
            main_rfr += estimates[member_id]

    def past_zero() -> dict:
        # Fresh dicts for every famille: a payload must not share objects between instances.
        return {variable: dict.fromkeys(past_benefits, 0) for variable in PAST_ZERO_FAMILLE}

    familles = {"famille": {"parents": parents, "enfants": children, **past_zero()}}
    foyers = {
        "foyer_fiscal": {
            "declarants": parents,
            "personnes_a_charge": children,
            "rfr": dict.fromkeys(tax_years, float(main_rfr)),
        }
    }
    for other in ids("other"):
        familles[f"famille_{other}"] = {"parents": [other], "enfants": [], **past_zero()}
        foyers[f"foyer_fiscal_{other}"] = {
            "declarants": [other],
            "personnes_a_charge": [],
            "rfr": dict.fromkeys(tax_years, estimates[other]),
        }
    renting = household.housing in RENTING
    menage = {
        "personne_de_reference": ids("self"),
        "conjoint": ids("partner"),
        "enfants": children,
        "autres": ids("other"),
        "statut_occupation_logement": {period_month: OCCUPATION[household.housing]},
        "loyer": {period_month: float(household.monthly_rent or 0) if renting else 0.0},
        "depcom": {period_month: household.commune_insee},
    }
    return {"individus": individus, "familles": familles, "foyers_fiscaux": foyers, "menages": {"menage": menage}}


def request_benefits(situation: dict, benefits: Sequence[Benefit], period_month: str) -> dict:
    """Add ``null`` requests for the given aids to a situation, on every instance of each aid's entity.

    The result is a Web API ``/calculate`` payload. The situation is modified in place and returned.
    """
    tbs = get_tax_benefit_system()
    for benefit in benefits:
        plural = tbs.variables[benefit.variable].entity.plural
        for instance in situation[plural].values():
            instance.setdefault(benefit.variable, {})[benefit.period_for(period_month)] = None
    return situation


def calculate_payload(household: HouseholdInput, benefits: Sequence[Benefit], period_month: str) -> dict:
    """The Web API ``/calculate`` payload asking for ``benefits`` of one household."""
    return request_benefits(situation_dict(household, period_month), benefits, period_month)


def sum_from_payload(result: dict, benefit: Benefit, period_month: str) -> float:
    """The household total of one aid in a Web API ``/calculate`` response built by ``calculate_payload``."""
    tbs = get_tax_benefit_system()
    plural = tbs.variables[benefit.variable].entity.plural
    period = benefit.period_for(period_month)
    return float(sum(float(instance[benefit.variable][period]) for instance in result[plural].values()))


# ---------------------------------------------------------------------------------------------------------------
# Many households -> one vectorised simulation


@dataclasses.dataclass
class Batch:
    """A vectorised simulation of many households and how its entities map back to them."""

    simulation: Simulation
    period_month: str
    household_count: int
    person_household: numpy.ndarray
    person_member_id: list[str]
    group_household: dict[str, numpy.ndarray]

    def entity_household(self, entity_key: str) -> numpy.ndarray:
        """For each instance of an entity, the index of its household in the batch."""
        if entity_key == "individu":
            return self.person_household
        return self.group_household[entity_key]


def _ages(birth: numpy.ndarray, on: datetime.date) -> numpy.ndarray:
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    months = birth.astype("datetime64[M]").astype(int) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    before = (months > on.month) | ((months == on.month) & (days > on.day))
    return on.year - years - before.astype(int)


def _encode(tbs: TaxBenefitSystem, variable: str, values: numpy.ndarray) -> EnumArray:
    """Strings of an enumeration variable as OpenFisca stores them (``set_input`` encodes strings each time)."""
    return tbs.variables[variable].possible_values.encode(values)


def shape_key(household: HouseholdInput) -> tuple:
    """What decides the entities and the set of inputs ``build_batch`` gives a household: its members'
    relationships (every other input is given for every household, whatever its values).

    Households with the same key make a batch of identical blocks, which ``accel.fold`` can reuse values across.
    ``HouseholdColumns.shapes`` groups many households by the same key.
    """
    return tuple(member.relationship for member in household.members)


def to_columns(households: Sequence[HouseholdInput], period_month: str) -> HouseholdColumns:
    """The columns ``build_batch`` reads, for households given as objects."""
    return HouseholdColumns.from_households(households, situation_months(period_month))


def build_batch(households: HouseholdColumns | Sequence[HouseholdInput], period_month: str) -> Batch:
    """One OpenFisca simulation for all ``households``, built from arrays; same inputs as ``situation_dict``, except
    that every member is given ``taux_incapacite`` and ``scolarite``, at OpenFisca's default value (0, ``inconnue``)
    when ``situation_dict`` leaves them out: the same amounts, and households that differ only there have the same
    inputs, so one simulation folds them together (``shape_key``)."""
    columns = households if isinstance(households, HouseholdColumns) else to_columns(households, period_month)
    months = situation_months(period_month)
    if columns.months != tuple(months):
        raise ValueError(f"the households' resources are not given for the 13 months up to {period_month}")
    tbs = get_tax_benefit_system()
    first_day = datetime.date.fromisoformat(f"{period_month}-01")
    history_count = HISTORY_MONTHS
    year = int(period_month[:4])
    tax_years = tuple(str(year - back) for back in range(1, TAX_YEARS + 1))

    n_households = len(columns)
    household_of = columns.member_household
    person_count = len(household_of)
    order = sorted(GROUP_ROLES["menage"])  # relationships, by code
    relationships = numpy.searchsorted(order, columns.relationship)
    is_other = relationships == order.index("other")
    # One famille (and foyer fiscal) per household, then one per "other" member, in the members' order.
    others = numpy.bincount(household_of, weights=is_other, minlength=n_households).astype(numpy.int64)
    main_famille = numpy.concatenate([[0], numpy.cumsum(others + 1)[:-1]])
    group_count = int(n_households + others.sum())
    sizes = columns.household_sizes()
    earlier_others = numpy.cumsum(is_other) - is_other  # "other" members before each member
    first_member = numpy.concatenate([[0], numpy.cumsum(sizes)[:-1]])
    rank = earlier_others - earlier_others[first_member][household_of]
    famille_index = main_famille[household_of] + numpy.where(is_other, 1 + rank, 0)
    famille_household = numpy.repeat(numpy.arange(n_households), others + 1)
    partners = numpy.bincount(household_of, weights=relationships == order.index("partner"), minlength=n_households)
    couple = (partners > 0)[household_of] & numpy.isin(relationships, [order.index("self"), order.index("partner")])

    builder = SimulationBuilder()
    builder.create_entities(tbs)
    builder.declare_person_entity("individu", numpy.arange(person_count))
    groups = numpy.arange(group_count)
    # Familles and foyers fiscaux have the same shape (one per household plus one per "other" member).
    for entity, ids, assignment in (
        ("famille", groups, famille_index),
        ("foyer_fiscal", groups, famille_index),
        ("menage", numpy.arange(n_households), household_of),
    ):
        population = builder.declare_entity(entity, ids)
        # Roles given as indices into the entity's roles (OpenFisca compares strings role by role otherwise).
        keys = [role.key for role in population.entity.flattened_roles]
        by_relationship = numpy.array([keys.index(GROUP_ROLES[entity][relationship]) for relationship in order])
        builder.join_with_persons(population, assignment, by_relationship[relationships])
    simulation = builder.build(tbs)

    def set_input(variable: str, period: str, values: numpy.ndarray) -> None:
        simulation.set_input(variable, period, values)

    def encode(variable: str, table: dict[str, str], keys: numpy.ndarray) -> EnumArray:
        # Strings of an enumeration as OpenFisca stores them, encoded once (``set_input`` would sort strings each
        # time): through the few distinct keys.
        unique, inverse = numpy.unique(keys, return_inverse=True)
        codes = _encode(tbs, variable, numpy.array([table[key] for key in unique.tolist()]))
        return EnumArray(numpy.asarray(codes)[inverse.reshape(-1)], codes.possible_values)

    # Individus
    birth = columns.birth_date
    set_input("date_naissance", "ETERNITY", birth)
    situations = columns.situation
    activite = encode("activite", ACTIVITE, situations)
    disabled = situations == "disabled"
    marital = _encode(tbs, "statut_marital", numpy.where(couple, "pacse", "celibataire"))
    for month in months:
        set_input("activite", month, EnumArray(activite.copy(), activite.possible_values))
        set_input("handicap", month, disabled)
        set_input("taux_incapacite", month, numpy.where(disabled, DISABILITY_RATE, 0).astype(numpy.float32))
        if couple.any():
            set_input("statut_marital", month, EnumArray(marital.copy(), marital.possible_values))
    ages = _ages(birth, first_day)
    scolarite = numpy.full(person_count, "inconnue", dtype=object)
    scolarite[(ages >= 3) & (ages <= 5)] = "maternelle"
    scolarite[(ages >= 6) & (ages <= 10)] = "primaire"
    scolarite[(ages >= 11) & (ages <= 14)] = "college"
    scolarite[(ages >= 15) & (ages <= 17)] = "lycee"
    scolarite[(ages >= 18) & (situations == "student")] = "enseignement_superieur"
    set_input("scolarite", period_month, scolarite.astype(str))

    # By kind, month and person, contiguous: each (kind, month) row is read several times.
    resources = numpy.ascontiguousarray(columns.resources.transpose(1, 2, 0))
    # The month asked for, when not given, is taken as the last month given (see the module docstring).
    resources[:, history_count] = numpy.where(
        columns.month_given[:, history_count], resources[:, history_count], resources[:, history_count - 1]
    )
    for kind, name in enumerate(RESOURCE_ORDER):
        for column, month in enumerate(months):
            set_input(NET_VARIABLES[name], month, resources[kind, column].astype(numpy.float32))
    sums = numpy.zeros((len(RESOURCE_ORDER), person_count))
    for kind in range(len(RESOURCE_ORDER)):
        for column in range(history_count):  # sequential, in the same order as situation_dict
            sums[kind] += resources[kind, column]
    for name, variable in TAXABLE_VARIABLES.items():
        for tax_year in tax_years:
            set_input(variable, tax_year, sums[RESOURCE_ORDER.index(name)].astype(numpy.float32))
    person_total = numpy.zeros(person_count)
    for kind in range(len(RESOURCE_ORDER)):
        person_total += sums[kind]
    past_benefits = history_months(period_month, PAST_BENEFIT_MONTHS)
    zeros = numpy.zeros(person_count, dtype=numpy.float32)
    for variable in PAST_ZERO_INDIVIDU:
        for month in past_benefits:
            set_input(variable, month, zeros)

    # Familles and foyers fiscaux
    zeros = numpy.zeros(group_count, dtype=numpy.float32)
    for variable in PAST_ZERO_FAMILLE:
        for month in past_benefits:
            set_input(variable, month, zeros)
    rfr = numpy.bincount(famille_index, weights=person_total, minlength=group_count)
    given = columns.last_year_taxable_income
    rfr[main_famille] = numpy.where(numpy.isnan(given), rfr[main_famille], given)
    for tax_year in tax_years:
        set_input("rfr", tax_year, rfr.astype(numpy.float32))

    # Ménages
    housing = columns.housing
    set_input("statut_occupation_logement", period_month, encode("statut_occupation_logement", OCCUPATION, housing))
    renting = numpy.isin(housing, sorted(RENTING))
    rents = numpy.where(renting, numpy.nan_to_num(columns.monthly_rent), 0.0).astype(numpy.float32)
    set_input("loyer", period_month, rents)
    set_input("depcom", period_month, numpy.char.encode(columns.commune_insee, "ascii").astype("S5"))

    return Batch(
        simulation=simulation,
        period_month=period_month,
        household_count=n_households,
        person_household=household_of,
        person_member_id=columns.member_id,
        group_household={
            "famille": famille_household,
            "foyer_fiscal": famille_household,
            "menage": numpy.arange(n_households),
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# Results back


def benefit_values(simulation: Simulation, benefit: Benefit, period_month: str) -> numpy.ndarray:
    """The values of one aid for every instance of its entity, as float64 (booleans as 0/1)."""
    values = simulation.calculate(benefit.variable, benefit.period_for(period_month))
    return numpy.asarray(values, dtype=numpy.float64)


def household_amounts(batch: Batch, benefit: Benefit) -> numpy.ndarray:
    """One aid summed per household (over its familles, ménage or members), rounded to the cent.

    A household with an ``other`` member holds several familles: their rights add up to the household's.
    """
    values = benefit_values(batch.simulation, benefit, batch.period_month)
    entity = batch.simulation.tax_benefit_system.variables[benefit.variable].entity.key
    totals = numpy.bincount(batch.entity_household(entity), weights=values, minlength=batch.household_count)
    return numpy.round(totals, 2)


def to_persons(simulation: Simulation, entity_key: str, values: numpy.ndarray) -> numpy.ndarray:
    """Broadcast values of a group entity to its members (identity for individus)."""
    if entity_key == "individu":
        return values
    return values[simulation.populations[entity_key].members_entity_id]


def _calculate(simulation: Simulation, variable: str, period: str) -> numpy.ndarray:
    return numpy.asarray(simulation.calculate(variable, period))


def family_quotient(simulation: Simulation, period_month: str) -> numpy.ndarray:
    """The CAF family quotient of each person's famille for the month, in euros.

    QF = (revenu fiscal de référence of year N-2 / 12 + family benefits of the month) / number of shares, where shares
    are 1 per parent (2 for a couple), +0.5 for each of the first two children, +1 from the third child, and +0.5 for
    a single parent. The rfr of a famille is the one of each parent's foyer fiscal where that parent is the main
    declarant (so a married couple counts it once, an unmarried one adds both).
    """
    familles = simulation.populations["famille"]
    foyers = simulation.populations["foyer_fiscal"]
    tax_year = str(int(period_month[:4]) - 2)
    rfr = _calculate(simulation, "rfr", tax_year).astype(numpy.float64)
    is_parent = familles.has_role(familles.entity.PARENT)
    is_principal = foyers.has_role(foyers.entity.DECLARANT_PRINCIPAL)
    parent_rfr = numpy.where(is_parent & is_principal, rfr[foyers.members_entity_id], 0.0)
    famille_rfr = familles.sum(parent_rfr)
    benefits = numpy.zeros(familles.count)
    for variable in QF_BENEFITS:
        benefits += _calculate(simulation, variable, period_month)
    children = familles.sum(_calculate(simulation, "prestations_familiales_enfant_a_charge", period_month))
    parents = familles.sum(is_parent)
    shares = (
        numpy.where(parents >= 2, 2.0, 1.0)
        + 0.5 * numpy.minimum(children, 2)
        + numpy.maximum(children - 2, 0)
        + numpy.where((parents < 2) & (children > 0), 0.5, 0.0)
    )
    quotient = (famille_rfr / 12 + benefits) / shares
    return numpy.round(quotient, 2)[familles.members_entity_id]


def person_features(
    simulation: Simulation, period_month: str, benefits: Sequence[Benefit]
) -> dict[str, numpy.ndarray]:
    """What local aids look at, one value per person, from any OpenFisca-France simulation.

    ``age``, ``commune`` (INSEE code of the ménage, str), ``qf`` (family quotient), ``student``, ``disabled``, and
    for each given national aid ``receives:<id>`` (the person's famille, ménage or the person gets it).
    """
    tbs = simulation.tax_benefit_system
    activite = simulation.calculate("activite", period_month).decode_to_str()
    depcom = to_persons(simulation, "menage", _calculate(simulation, "depcom", period_month))
    features: dict[str, numpy.ndarray] = {
        "age": _calculate(simulation, "age", period_month).astype(numpy.int64),
        "commune": numpy.char.decode(depcom.astype("S5"), "ascii"),
        "qf": family_quotient(simulation, period_month),
        "student": numpy.asarray(activite == "etudiant"),
        "disabled": _calculate(simulation, "handicap", period_month).astype(bool),
    }
    for benefit in benefits:
        entity = tbs.variables[benefit.variable].entity.key
        values = benefit_values(simulation, benefit, period_month)
        features[f"receives:{benefit.id}"] = to_persons(simulation, entity, values) > 0
    return features


def feature_keys(period_month: str, benefits: Sequence[Benefit]) -> list[str]:
    """The trace keys (``variable<period>``) ``person_features`` computes, for a local aid's trace node."""
    keys = [f"{variable}<{period_month}>" for variable in ("age", "depcom", "activite", "handicap")]
    keys.append(f"rfr<{int(period_month[:4]) - 2}>")
    keys += [f"{variable}<{period_month}>" for variable in (*QF_BENEFITS, "prestations_familiales_enfant_a_charge")]
    keys += [f"{benefit.variable}<{benefit.period_for(period_month)}>" for benefit in benefits]
    return keys
