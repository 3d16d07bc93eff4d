"""What the reasons and the lines of a calculation are made of, and how they read one famille of a simulation."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy
from openfisca_core import periods

if TYPE_CHECKING:
    from openfisca_core.simulations import Simulation

    from guichet.rights.engine.benefits import Benefit

Figure = float | int | str


@dataclasses.dataclass(frozen=True)
class Reason:
    """The condition of an aid that is not met (``code``, e.g. ``"af.children"``) and the figures it depends on."""

    code: str
    figures: dict[str, Figure] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Line:
    """One figure of an aid's calculation as a person reads it: added (positive) or taken off (negative)."""

    code: str
    amount: float
    figures: dict[str, Figure] = dataclasses.field(default_factory=dict)


# Every code ``reason`` returns, aid by aid, in the order the conditions are checked (``<aid>.other`` aside).
CODES: dict[str, tuple[str, ...]] = {
    "rsa": ("rsa.age", "rsa.student", "rsa.residence", "rsa.resources", "rsa.minimum"),
    "ppa": ("ppa.age", "ppa.residence", "ppa.student", "ppa.activity", "ppa.resources", "ppa.minimum"),
    "aide_logement": (
        "aide_logement.loan",
        "aide_logement.status",
        "aide_logement.rent",
        "aide_logement.family_landlord",
        "aide_logement.resources",
        "aide_logement.resources_accession",
        "aide_logement.minimum",
        "aide_logement.rent_too_high",
        "aide_logement.small",
    ),
    "af": ("af.children",),
    "cf": ("cf.children", "cf.resources", "cf.paje"),
    "asf": ("asf.couple", "asf.child", "asf.support"),
    "ars": ("ars.children", "ars.resources", "ars.minimum"),
    "paje_base": ("paje_base.child", "paje_base.resources"),
    "aah": ("aah.rate", "aah.rsdae", "aah.retirement_age", "aah.age", "aah.pension", "aah.resources"),
    "aspa": ("aspa.age", "aspa.age_disabled", "aspa.residence", "aspa.resources"),
    "css": ("css.dependent", "css.participation", "css.resources"),
    "css_participation": (
        "css_participation.dependent",
        "css_participation.free",
        "css_participation.rsa",
        "css_participation.resources",
    ),
    "cheque_energie": ("cheque_energie.dwelling", "cheque_energie.declarant", "cheque_energie.resources"),
    "bourse_college": ("bourse_college.pupil", "bourse_college.resources"),
    "bourse_lycee": ("bourse_lycee.pupil", "bourse_lycee.resources"),
}
# Every code ``breakdown`` returns, aid by aid (``<aid>.rounding`` aside: the law's roundings, any aid).
LINE_CODES: dict[str, tuple[str, ...]] = {
    "rsa": (
        "rsa.forfait",
        "rsa.single_parent",
        "rsa.activity_income",
        "rsa.other_income",
        "rsa.family_benefits",
        "rsa.other_benefits",
        "rsa.forfait_logement",
    ),
    "ppa": (
        "ppa.forfait",
        "ppa.forfait_single_parent",
        "ppa.activity_share",
        "ppa.bonus",
        "ppa.activity_income",
        "ppa.family_benefits",
        "ppa.other_income",
        "ppa.forfait_logement",
        "ppa.minimum_deduction",
        "ppa.zero_month",
    ),
    "aide_logement": (
        "aide_logement.rent",
        "aide_logement.charges",
        "aide_logement.participation",
        "aide_logement.accession",
        "aide_logement.degressivity",
        "aide_logement.reduction",
        "aide_logement.rls",
        "aide_logement.crds",
    ),
    "af": ("af.base", "af.age", "af.forfait", "af.complement"),
    "cf": ("cf.base", "cf.increased", "cf.differential"),
    "asf": ("asf.children", "asf.support"),
    "ars": ("ars.primary", "ars.college", "ars.lycee", "ars.resources"),
    "paje_base": ("paje_base.full", "paje_base.partial"),
    "aah": ("aah.maximum", "aah.resources", "aah.pension", "aah.hospital"),
    "aspa": ("aspa.maximum", "aspa.resources"),
    "css": ("css.free", "css.rsa"),
    "css_participation": ("css_participation.age_band",),
    "cheque_energie": ("cheque_energie.amount",),
    "bourse_college": ("bourse_college.pupils",),
    "bourse_lycee": ("bourse_lycee.pupils",),
}
LOCAL_CODES = (
    "local.validity",
    "local.commune",
    "local.age_min",
    "local.age_max",
    "local.qf_min",
    "local.qf_max",
    "local.qf_bands",
    "local.receives",
    "local.not_receives",
    "local.student",
    "local.not_student",
    "local.disabled",
    "local.not_disabled",
    "local.other",
)
# Housing statuses for which the rent-based housing aid is computed (aide_logement_montant_selectionne_avant_seuil).
RENTING = ("locataire_hlm", "locataire_vide", "locataire_meuble")
# A difference this small between the lines and the amount is floating-point noise, not a rounding of the law.
CENT = 0.005


def _money(value: float) -> float:
    return round(float(value), 2)


_at_instant: dict[tuple[int, str], Any] = {}


def _parameters_at(tax_benefit_system: Any, instant: str) -> Any:
    """The law's parameters at an instant, built once per system and instant (building them walks the whole tree,
    tens of milliseconds; the law never changes while the process runs)."""
    key = (id(tax_benefit_system), instant)
    found = _at_instant.get(key)
    if found is None:
        if len(_at_instant) > 256:
            _at_instant.clear()
        found = _at_instant[key] = tax_benefit_system.parameters(instant)
    return found


class _Famille:
    """One famille of a simulation and the month asked for: the values of its members, ménage and foyer fiscal."""

    def __init__(self, simulation: Simulation, period_month: str, famille: int) -> None:
        self.simulation = simulation
        self.month = periods.period(period_month)
        self.index = famille
        population = simulation.populations["famille"]
        self.members = numpy.flatnonzero(population.members_entity_id == famille)
        roles = [population.members_role[person].key for person in self.members]
        self.roles = roles
        self.is_parent = numpy.array([role in ("demandeur", "conjoint") for role in roles], dtype=bool)
        self.is_child = ~self.is_parent
        # The demandeur heads the famille; its ménage and foyer fiscal are the household's.
        self.demandeur = int(self.members[roles.index("demandeur")]) if "demandeur" in roles else int(self.members[0])

    @property
    def year(self) -> periods.Period:
        return self.month.this_year

    def past_months(self, count: int = 3) -> list[periods.Period]:
        """The ``count`` months before the month asked for, oldest first."""
        return [self.month.offset(-offset) for offset in range(count, 0, -1)]

    def parameters(self, period: object = None) -> Any:
        return _parameters_at(self.simulation.tax_benefit_system, str(periods.period(period or self.month).start))

    def _array(self, variable: str, period: object) -> numpy.ndarray:
        return numpy.asarray(self.simulation.calculate(variable, period))

    def value(self, variable: str, period: object = None) -> float:
        """A famille variable of this famille."""
        return float(self._array(variable, period or self.month)[self.index])

    def mean(self, variable: str, months: list[periods.Period]) -> float:
        """A famille variable averaged over several months."""
        return sum(self.value(variable, month) for month in months) / len(months)

    def persons(self, variable: str, period: object = None) -> numpy.ndarray:
        """An individual variable for each member of this famille (members in the simulation's order)."""
        return self._array(variable, period or self.month)[self.members]

    def menage_index(self) -> int:
        return int(self.simulation.populations["menage"].members_entity_id[self.demandeur])

    def menage(self, variable: str, period: object = None) -> Any:
        """A ménage variable for the ménage of the demandeur (enumerations as their names)."""
        values = self.simulation.calculate(variable, period or self.month)
        if hasattr(values, "decode_to_str"):
            return str(values.decode_to_str()[self.menage_index()])
        return numpy.asarray(values)[self.menage_index()].item()

    def foyer(self, variable: str, period: object) -> float:
        """A foyer fiscal variable for the foyer fiscal of the demandeur."""
        foyer = int(self.simulation.populations["foyer_fiscal"].members_entity_id[self.demandeur])
        return float(self._array(variable, period)[foyer])

    def ages(self) -> numpy.ndarray:
        return self.persons("age").astype(int)

    def oldest_parent_age(self) -> int:
        ages = self.ages()[self.is_parent]
        return int(ages.max()) if len(ages) else int(self.ages().max())


def aid_value(simulation: Simulation, benefit: Benefit, period_month: str, famille: int = 0) -> float:
    """The value of an aid for one famille (booleans as 0/1; individual aids summed over the famille's members)."""
    reader = _Famille(simulation, period_month, famille)
    return _aid_value(reader, benefit)


def _aid_value(reader: _Famille, benefit: Benefit) -> float:
    period = benefit.period_for(str(reader.month))
    entity = reader.simulation.tax_benefit_system.variables[benefit.variable].entity.key
    values = numpy.asarray(reader.simulation.calculate(benefit.variable, period), dtype=numpy.float64)
    if entity == "individu":
        return float(values[reader.members].sum())
    if entity == "menage":
        return float(values[reader.menage_index()])
    return float(values[reader.index])
