"""Why a national aid is not due, and how the amount of a due one is made up, read from the law's own variables.

``reason`` names the FIRST condition an aid's famille does not meet, in the order the law states them (age,
composition of the household, housing, activity, resources...), with the figures it depends on: the household's
value and the threshold. ``breakdown`` gives, for an aid that is due, the few figures a person needs to follow the
calculation, and they add up to the amount to the cent. ``local_reason`` does the same as ``reason`` for a local aid
and one person.

Everything is read from the simulation: the aid's eligibility variables, its resources, ceilings and intermediate
amounts, and the parameters of the month through ``simulation.tax_benefit_system.parameters``. No amount of the law
is copied here: where OpenFisca-France computes a ceiling inside a formula without a variable of its own (PAJE,
bourses, ARS), the same expression is evaluated from the same parameters.

This module is pure Python (numpy and openfisca-core): no Django, no wording. The sentences people read are built
from ``Reason.code`` / ``Line.code`` and their figures by ``guichet.rights.wording``; ``CODES``, ``LINE_CODES`` and
``LOCAL_CODES`` list every code, so that the wording and its tests can check none is left without words.

Conventions: the famille at index ``famille`` (0: the household's main famille); an aid computed on individuals (AAH)
is read for the members of that famille, an aid computed on the ménage (chèque énergie) for the ménage of its
demandeur. Money figures are euros rounded to the cent; rates are percentages; ``year`` figures are the income year
a resource is read on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy
from openfisca_core import periods

if TYPE_CHECKING:
    from openfisca_core.simulations import Simulation

    from guichet.rights.engine.benefits import Benefit
    from guichet.rights.engine.local import LocalAid

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


# ---------------------------------------------------------------------------------------------------------------
# Reasons, aid by aid: each returns the first unmet condition, or None when it finds none.


def _residence(reader: _Famille, minimum_years: float) -> Reason:
    # Residence permit condition: the longest duration among the parents is the one that could open the right.
    years = reader.persons("duree_possession_titre_sejour")[reader.is_parent]
    return Reason("residence", {"years": int(years.max()) if len(years) else 0, "minimum_years": int(minimum_years)})


def _rsa_reason(reader: _Famille) -> Reason | None:
    rsa = reader.parameters().prestations_sociales.solidarite_insertion.minima_sociaux.rsa
    if not reader.value("rsa_eligibilite"):
        ages = reader.ages()
        has_children = reader.value("rsa_nb_enfants") > 0
        young_active = (
            (ages > rsa.rsa_cond.age_min_rsa_jeune)
            & (ages < rsa.rsa_cond.age_max_rsa_jeune)
            & reader.persons("rsa_jeune_condition_heures_travail_remplie").astype(bool)
        )
        age_ok = (has_children | (ages >= rsa.rsa_cond.age_pac) | young_active) & reader.is_parent
        if not age_ok.any():
            return Reason("rsa.age", {"age": reader.oldest_parent_age(), "minimum_age": int(rsa.rsa_cond.age_pac)})
        students = reader.persons("etudiant").astype(bool)
        if (students | ~age_ok).all():
            return Reason("rsa.student", {"age": reader.oldest_parent_age()})
        if not reader.persons("rsa_condition_nationalite")[reader.is_parent].any():
            reason = _residence(reader, rsa.rsa_cond.duree_min_titre_sejour.non_eee)
            return Reason("rsa.residence", reason.figures)
    socle = max(reader.value("rsa_socle"), reader.value("rsa_socle_majore"))
    ceiling = socle - reader.value("rsa_forfait_logement")
    resources = reader.value("rsa_base_ressources")
    if resources >= ceiling:
        return Reason("rsa.resources", {"resources": _money(resources), "ceiling": _money(ceiling)})
    amount = ceiling - resources
    minimum = rsa.rsa_maj.montant_minimum_verse
    if amount < minimum:
        return Reason("rsa.minimum", {"amount": _money(amount), "minimum": _money(minimum)})
    return None


def _ppa_reason(reader: _Famille) -> Reason | None:
    ppa = reader.parameters().prestations_sociales.solidarite_insertion.minima_sociaux.ppa
    rsa = reader.parameters().prestations_sociales.solidarite_insertion.minima_sociaux.rsa
    months = reader.past_months()
    # The prime of a month is the mean of the three previous months' "fictive" primes, each with its own eligibility.
    if not any(reader.value("ppa_eligibilite", month) for month in months):
        ages = reader.ages()
        if (ages < ppa.pa_cond.age_min).all():
            return Reason("ppa.age", {"age": int(ages.max()), "minimum_age": int(ppa.pa_cond.age_min)})
        reason = _residence(reader, rsa.rsa_cond.duree_min_titre_sejour.non_eee)
        return Reason("ppa.residence", reason.figures)
    incomes = numpy.array([reader.persons("ppa_revenu_activite_individu", month) for month in months])
    if not reader.value("ppa_eligibilite_apprenants"):
        learners = (
            reader.persons("etudiant").astype(bool)
            | reader.persons("stagiaire").astype(bool)
            | reader.persons("apprenti").astype(bool)
        )
        floor = float(reader.persons("ppa_plancher_revenu_activite_apprenant")[0])
        learning_parents = learners & reader.is_parent
        if learning_parents.any() and not (incomes[:, ~learners & reader.is_parent] > 0).any():
            # The learner closest to the floor: the highest of their lowest monthly incomes.
            lowest = incomes[:, learning_parents].min(axis=0).max()
            return Reason("ppa.student", {"income": _money(lowest), "minimum": _money(floor)})
        return Reason("ppa.activity", {"income": _money(incomes[:, reader.is_parent].sum(axis=0).max(initial=0.0))})
    computed = reader.mean("ppa_fictive", months)
    if computed <= 0:
        return Reason(
            "ppa.resources",
            {
                "resources": _money(reader.mean("ppa_base_ressources", months)),
                "activity_income": _money(reader.mean("ppa_revenu_activite", months)),
                "forfait": _money(reader.mean("ppa_fictive_montant_forfaitaire", months)),
            },
        )
    minimum = ppa.pa_m.montant_minimum_verse
    if computed < minimum:
        return Reason("ppa.minimum", {"amount": _money(computed), "minimum": _money(minimum)})
    return None


def _housing_tail(reader: _Famille, selected: float) -> Reason | None:
    """The conditions after the amount before thresholds: minimum paid, rent too high, flat-rate reduction."""
    al = reader.parameters().prestations_sociales.aides_logement.allocations_logement
    conventionne = bool(reader.menage("logement_conventionne"))
    minimum = al.locatif.seuils_minimum_versement["apl" if conventionne else "non_apl"]
    if selected < minimum:
        return Reason("aide_logement.minimum", {"amount": _money(selected), "minimum": _money(minimum)})
    rent, degressive, suppressed = _housing_degressivity_bounds(reader)
    if reader.value("aide_logement_montant_brut_avant_degressivite") > 0 and rent > suppressed and suppressed > 0:
        exception = reader.menage("statut_occupation_logement") in ("primo_accedant", "locataire_foyer")
        if not exception and not reader.persons("handicap").any():
            return Reason("aide_logement.rent_too_high", {"rent": _money(rent), "ceiling": _money(suppressed)})
    if reader.value("aide_logement_montant") <= 0:
        return Reason(
            "aide_logement.small",
            {"amount": _money(selected), "deduction": _money(al.locatif.minoration_forfaitaire)},
        )
    return None


def _housing_degressivity_bounds(reader: _Famille) -> tuple[float, float, float]:
    """The real rent and the rents above which the aid decreases and disappears (aide_logement_montant_brut)."""
    al = reader.parameters().prestations_sociales.aides_logement.allocations_logement
    zone = reader.menage("zone_apl")
    ceiling = reader.value("aide_logement_loyer_plafond")
    coefficients = al.locatif.coefficients_degressivite_suppression[zone]
    degressive = round(ceiling * coefficients.degressivite, 2)
    suppressed = round(ceiling * coefficients.suppression, 2)
    return reader.value("aide_logement_loyer_reel"), degressive, suppressed


def _housing_reason(reader: _Famille) -> Reason | None:
    status = reader.menage("statut_occupation_logement")
    crous = bool(reader.menage("logement_crous"))
    if status == "primo_accedant" and not reader.menage("aides_logement_primo_accedant_eligibilite"):
        return Reason("aide_logement.loan", {"status": status})
    if status not in (*RENTING, "primo_accedant", "locataire_foyer") and not crous:
        return Reason("aide_logement.status", {"status": status})
    if reader.menage("loyer") <= 0:
        return Reason("aide_logement.rent", {"rent": 0.0})
    # ALS and ALF (not the APL of a conventionné dwelling) exclude a dwelling let by a close relative.
    if not reader.menage("logement_conventionne") and reader.value("proprietaire_proche_famille"):
        return Reason("aide_logement.family_landlord", {})
    resources = reader.value("aide_logement_base_ressources")
    if status in RENTING:
        counted = reader.value("aide_logement_loyer_retenu") + reader.value("aide_logement_charges")
        participation = reader.value("aide_logement_participation_personnelle")
        if participation >= counted:
            return Reason(
                "aide_logement.resources",
                {"resources": _money(resources), "participation": _money(participation), "rent": _money(counted)},
            )
        selected = counted - participation
    else:
        selected = reader.value("aides_logement_accedant_et_foyer")
        if selected <= 0:
            return Reason(
                "aide_logement.resources_accession",
                {"resources": _money(resources), "coefficient": round(reader.value("aides_logement_k"), 4)},
            )
    return _housing_tail(reader, selected)


def _af_reason(reader: _Famille) -> Reason | None:
    af = reader.parameters().prestations_sociales.prestations_familiales.prestations_generales.af
    children = int(reader.value("af_nbenf"))
    # Overseas (except Mayotte) one child opens the right; in mainland France, two.
    minimum = 1 if reader.menage("residence_dom") else int(af.af_cm.nb_enfants_min_pour_allocation)
    if children < minimum:
        return Reason("af.children", {"children": children, "minimum": minimum, "maximum_age": int(af.af_cm.age2) + 1})
    return None


def _cf_reason(reader: _Famille) -> Reason | None:
    cf = reader.parameters().prestations_sociales.prestations_familiales.prestations_generales.cf
    eligible = int(reader.persons("cf_enfant_eligible").sum())
    if not reader.value("cf_eligibilite_base") and not reader.value("cf_eligibilite_dom"):
        return Reason(
            "cf.children",
            {
                "children": eligible,
                "minimum": int(cf.cf_cm.nombre_d_enfants_minimal),
                "minimum_age": int(cf.cf_cm.age_min),
                "maximum_age": int(cf.cf_cm.age_max),
            },
        )
    if reader.value("cf_montant") <= 0:
        return Reason(
            "cf.resources",
            {
                "resources": _money(reader.value("cf_base_ressources")),
                "ceiling": _money(reader.value("cf_plafond")),
                "year": reader.month.n_2.start.year,
            },
        )
    # The CF is not paid with the PAJE's basic allowance (L532-1 and L532-2 of the Code de la sécurité sociale).
    if reader.value("paje_base") > 0:
        return Reason("cf.paje", {"paje": _money(reader.value("paje_base"))})
    return None


def _asf_reason(reader: _Famille) -> Reason | None:
    asf = reader.parameters().prestations_sociales.prestations_familiales.education_presence_parentale.asf
    if reader.value("en_couple"):
        return Reason("asf.couple", {})
    children = int((reader.persons("asf_elig_enfant").astype(bool) & reader.is_child).sum())
    if children == 0:
        af = reader.parameters().prestations_sociales.prestations_familiales.prestations_generales.af
        return Reason("asf.child", {"children": 0, "maximum_age": int(af.af_cm.age3)})
    support = float(reader.persons("pensions_alimentaires_percues").sum())
    # asf_montant: the ASF of each child minus the child support received (a flat rate of the BMAF per child).
    bmaf = reader.parameters().prestations_sociales.prestations_familiales.bmaf.bmaf
    full = children * bmaf * asf.montant_asf.orphelin_assimile_seul_parent
    if reader.value("asf_montant") <= asf.seuil:
        return Reason("asf.support", {"support": _money(support), "amount": _money(full), "children": children})
    return None


def _ars_children(reader: _Famille) -> tuple[dict[str, int], Any]:
    """The children counted by the ARS in each age band (ars formula: ages in December, 18 reached late)."""
    year = reader.year
    december = periods.period(f"{year.start.year}-12")
    october = periods.period(f"{year.start.year}-10")
    ars = reader.parameters(october).prestations_sociales.prestations_familiales.education_presence_parentale.ars
    ages = reader.persons("age", december)
    months = reader.persons("age_en_mois", december)
    independent = reader.persons("autonomie_financiere", december).astype(bool)
    child = reader.is_child & ~independent
    cond = ars.ars_cond
    bands = {
        "primary": int((child & (ages >= cond.age_entree_primaire) & (ages <= cond.age_entree_college - 1)).sum()),
        "college": int((child & (ages >= cond.age_entree_college) & (ages <= cond.age_entree_lycee - 1)).sum()),
        "lycee": int(
            (
                child
                & (
                    ((ages >= cond.age_entree_lycee) & (ages <= cond.age_sortie_lycee - 1))
                    | ((months >= 12 * cond.age_sortie_lycee) & (months <= 12 * cond.age_sortie_lycee + 2))
                )
            ).sum()
        ),
    }
    return bands, ars


def _ars_ceiling(reader: _Famille, ars: Any) -> tuple[float, float]:
    october = periods.period(f"{reader.year.start.year}-10")
    children = reader.value("af_nbenf", october)
    ceiling = ars.ars_plaf.plafond_ressources * (1 + children * ars.ars_plaf.majoration_par_enf_supp)
    resources = reader.value("prestations_familiales_base_ressources", reader.year.first_month)
    return resources, ceiling


def _ars_reason(reader: _Famille) -> Reason | None:
    bands, ars = _ars_children(reader)
    if sum(bands.values()) == 0:
        cond = ars.ars_cond
        return Reason(
            "ars.children",
            {"children": 0, "minimum_age": int(cond.age_entree_primaire), "maximum_age": int(cond.age_sortie_lycee)},
        )
    resources, ceiling = _ars_ceiling(reader, ars)
    year = reader.year.first_month.n_2.start.year
    amount = sum(line.amount for line in _ars_lines(reader))
    if amount <= 0:
        return Reason("ars.resources", {"resources": _money(resources), "ceiling": _money(ceiling), "year": year})
    # A differential ARS below the minimum paid is not paid (ars formula).
    if amount < ars.montant_minimum_verse:
        return Reason("ars.minimum", {"amount": _money(amount), "minimum": _money(ars.montant_minimum_verse)})
    return None


def _paje_ceilings(reader: _Famille) -> tuple[float, float]:
    """The full-rate and partial-rate ceilings of the PAJE's basic allowance (paje_base, formula since 2021-05)."""
    paje = reader.parameters().prestations_sociales.prestations_familiales.petite_enfance.paje
    children = reader.value("af_nbenf")
    single = not reader.value("en_couple")
    dual = bool(reader.value("biactivite"))
    ceilings = []
    for rate in ("taux_plein", "taux_partiel"):
        plafonds = paje.paje_plaf.ne_adopte_apres_04_2018
        base = plafonds[rate].plafond_ressources_0_enfant
        ceilings.append(
            base
            + min(children, 2) * plafonds.majorations_enfants.premier_2eme_enfant * base
            + max(children - 2, 0) * plafonds.majorations_enfants.troisieme_plus_enfant * base
            + (dual or single) * plafonds[rate].biactifs_parents_isoles
        )
    return ceilings[0], ceilings[1]


def _paje_reason(reader: _Famille) -> Reason | None:
    paje = reader.parameters().prestations_sociales.prestations_familiales.petite_enfance.paje
    if not reader.persons("enfant_eligible_paje")[reader.is_child].any():
        return Reason(
            "paje_base.child", {"children": 0, "maximum_age": int(paje.paje_cm.age_limite_enfant_adopte_non)}
        )
    resources = reader.value("prestations_familiales_base_ressources")
    _full, partial = _paje_ceilings(reader)
    if resources > partial:
        return Reason(
            "paje_base.resources",
            {"resources": _money(resources), "ceiling": _money(partial), "year": reader.month.n_2.start.year},
        )
    return None


def _aah_candidate(reader: _Famille) -> int:
    """The member of the famille closest to the AAH: the highest incapacity rate, the demandeur first on a tie."""
    rates = reader.persons("taux_incapacite")
    order = numpy.argsort(-rates, kind="stable")
    return int(order[0])


def _aah_reason(reader: _Famille) -> Reason | None:
    aah = reader.parameters().prestations_sociales.prestations_etat_de_sante.invalidite.aah
    position = _aah_candidate(reader)
    rate = float(reader.persons("taux_incapacite")[position])
    age = int(reader.ages()[position])
    percent = round(rate * 100)
    full_rate = round(aah.taux_capacite.taux_incapacite * 100)
    reduced_rate = round(aah.taux_capacite.taux_incapacite_rsdae * 100)
    if rate < aah.taux_capacite.taux_incapacite:
        if rate < aah.taux_capacite.taux_incapacite_rsdae:
            return Reason("aah.rate", {"rate": percent, "minimum": full_rate, "reduced_minimum": reduced_rate})
        if not reader.persons("aah_restriction_substantielle_durable_acces_emploi")[position]:
            return Reason("aah.rsdae", {"rate": percent, "minimum": full_rate, "reduced_minimum": reduced_rate})
        if age > aah.age_legal_retraite:
            return Reason(
                "aah.retirement_age",
                {"age": age, "maximum_age": int(aah.age_legal_retraite), "rate": percent, "minimum": full_rate},
            )
    if not reader.persons("aah_eligible")[position]:
        return Reason("aah.age", {"age": age, "minimum_age": int(aah.age_minimal)})
    maximum = float(aah.montant)
    pension = float(reader.persons("aah_base_non_cumulable")[position])
    if pension >= maximum:
        return Reason("aah.pension", {"pension": _money(pension), "maximum": _money(maximum)})
    resources, ceiling = _aah_resources(reader, position)
    if resources >= ceiling:
        return Reason("aah.resources", {"resources": _money(resources), "ceiling": _money(ceiling)})
    return None


def _aah_resources(reader: _Famille, position: int) -> tuple[float, float]:
    """Resources and ceiling of the AAH variant applied: deconjugalised, or conjugalised when kept and better."""
    deconj = (
        float(reader.persons("aah_base_ressources_deconjugalisee")[position]),
        float(reader.persons("aah_plafond_ressources_deconjugalise")[position]),
    )
    if not reader.persons("aah_conjugalise_eligible")[position]:
        return deconj
    conj = (
        float(reader.persons("aah_base_ressources_conjugalisee")[position]),
        float(reader.persons("aah_plafond_ressources_conjugalise")[position]),
    )
    return conj if conj[1] - conj[0] > deconj[1] - deconj[0] else deconj


def _aspa_reason(reader: _Famille) -> Reason | None:
    params = reader.parameters()
    aspa = params.prestations_sociales.solidarite_insertion.minimum_vieillesse.aspa
    legal_age = params.prestations_sociales.prestations_etat_de_sante.invalidite.aah.age_legal_retraite
    parents = reader.is_parent
    if not reader.persons("aspa_eligibilite")[parents].any():
        ages = reader.ages()[parents]
        disabled = (reader.persons("taux_incapacite")[parents] > aspa.taux_incapacite_aspa_anticipe) | reader.persons(
            "inapte_travail"
        )[parents].astype(bool)
        age_ok = (ages >= aspa.age_min) | ((ages >= legal_age) & disabled)
        if not age_ok.any():
            if disabled.any():
                age = int(ages[disabled].max())
                return Reason("aspa.age_disabled", {"age": age, "minimum_age": int(legal_age)})
            return Reason("aspa.age", {"age": int(ages.max()), "minimum_age": int(aspa.age_min)})
        reason = _residence(reader, aspa.duree_min_titre_sejour)
        return Reason("aspa.residence", reason.figures)
    ceiling, resources, _maximum, _excess = _aspa_terms(reader)
    return Reason("aspa.resources", {"resources": _money(resources), "ceiling": _money(ceiling)})


def _aspa_terms(reader: _Famille) -> tuple[float, float, float, float]:
    """The ASPA's monthly ceiling, resources, maximum and excess share, as the aspa formula (since 2020-04) has them.

    A couple where one partner gets the ASPA and the other the ASI shares the couple's maximum: the ASPA half and
    half of the excess over the ceiling (then ``share`` is 1/2).
    """
    aspa = reader.parameters().prestations_sociales.solidarite_insertion.minimum_vieillesse.aspa
    parents = reader.is_parent
    aspa_ok = reader.persons("aspa_eligibilite")[parents].astype(bool)
    asi_ok = reader.persons("asi_eligibilite")[parents].astype(bool)
    couple = bool(reader.value("en_couple"))
    mixed = len(aspa_ok) == 2 and bool((aspa_ok & asi_ok[::-1]).any())
    if aspa_ok.all() and len(aspa_ok) == 2:
        maximum, ceiling = aspa.montant_maximum_annuel.couples, aspa.plafond_ressources.couples
    elif mixed:
        # The model adds a monthly ASI (the demandeur's for a married couple, else the conjoint's) to the yearly half
        # maximum before dividing by 12 (aspa formula): reproduced as is, since only the excess depends on it.
        role = "demandeur" if reader.value("maries") else "conjoint"
        asi = float(reader.persons("asi")[reader.roles.index(role)]) if role in reader.roles else 0.0
        maximum, ceiling = asi + aspa.montant_maximum_annuel.couples / 2, aspa.plafond_ressources.couples
    else:
        maximum = aspa.montant_maximum_annuel.personnes_seules
        ceiling = aspa.plafond_ressources.couples if couple else aspa.plafond_ressources.personnes_seules
    resources = reader.value("asi_aspa_base_ressources")
    excess = max(resources + maximum / 12 - ceiling / 12, 0.0)
    if mixed:
        return ceiling / 12, resources, aspa.montant_maximum_annuel.couples / 24, excess / 2
    return ceiling / 12, resources, maximum / 12, excess


def _css_dependent(reader: _Famille) -> Reason | None:
    if reader.value("css_cmu_acs_eligibilite"):
        return None
    cmu = reader.parameters().prestations_sociales.solidarite_insertion.minima_sociaux.cs.cmu
    return Reason("dependent", {"age": int(reader.ages().max()), "minimum_age": int(cmu.age_limite_pac)})


def _css_reason(reader: _Famille) -> Reason | None:
    dependent = _css_dependent(reader)
    if dependent:
        return Reason("css.dependent", dependent.figures)
    resources = reader.value("css_cmu_base_ressources")
    ceiling = reader.value("cmu_c_plafond")
    participation = reader.value("acs_plafond")
    figures = {
        "resources": _money(resources),
        "ceiling": _money(ceiling),
        "participation_ceiling": _money(participation),
    }
    if resources <= participation:
        return Reason("css.participation", figures)
    return Reason("css.resources", figures)


def _css_participation_reason(reader: _Famille) -> Reason | None:
    dependent = _css_dependent(reader)
    if dependent:
        return Reason("css_participation.dependent", dependent.figures)
    resources = reader.value("css_cmu_base_ressources")
    if reader.value("cmu_c"):
        ceiling = reader.value("cmu_c_plafond")
        figures = {"resources": _money(resources), "ceiling": _money(ceiling)}
        # The CSS is free under its ceiling, and for every RSA recipient whatever their resources (cmu_c).
        return Reason("css_participation.free" if resources <= ceiling else "css_participation.rsa", figures)
    ceiling = reader.value("acs_plafond")
    return Reason("css_participation.resources", {"resources": _money(resources), "ceiling": _money(ceiling)})


def _energy_scale(reader: _Famille) -> tuple[float, float, float, Any]:
    """The chèque énergie's rfr, consumption units, rfr per unit, and the scale applying to the household's size."""
    year = reader.year
    baremes = reader.parameters(year).prestations_sociales.solidarite_insertion.autre_solidarite.cheque_energie.baremes
    units = float(reader.menage("cheque_energie_unites_consommation", year))
    # The ménage's rfr: each of its foyers fiscaux counted once, through its declarant principal.
    menages = reader.simulation.populations["menage"]
    foyers = reader.simulation.populations["foyer_fiscal"]
    rfr_of_person = numpy.asarray(reader.simulation.calculate("rfr", year.n_2))[foyers.members_entity_id]
    principal = foyers.has_role(foyers.entity.DECLARANT_PRINCIPAL)
    rfr = float(rfr_of_person[(menages.members_entity_id == reader.menage_index()) & principal].sum())
    scale = baremes.une_uc if units <= 1 else (baremes.une_uc_a_deux_uc if units < 2 else baremes.plus_de_deux_ucs)
    return rfr, units, rfr / units, scale


def _energy_reason(reader: _Famille) -> Reason | None:
    year = reader.year
    if not reader.menage("cheque_energie_eligibilite_logement", year):
        january = year.first_month
        return Reason(
            "cheque_energie.dwelling",
            {"status": reader.menage("statut_occupation_logement", january), "month": str(january)},
        )
    if reader.menage("cheque_energie_montant", year) > 0:
        # Dwelling and scale hold: the ménage has no tax declarant (young people declared by their parents).
        return Reason("cheque_energie.declarant", {})
    rfr, units, per_unit, scale = _energy_scale(reader)
    return Reason(
        "cheque_energie.resources",
        {
            "rfr": _money(rfr),
            "units": round(units, 2),
            "rfr_per_unit": _money(per_unit),
            "ceiling": _money(scale.thresholds[-1]),
            "year": year.n_2.start.year,
        },
    )


def _grant_ceilings(reader: _Famille, node: Any, levels: int) -> list[float]:
    """The rfr ceilings of each level of a bourse, lowest level (1) first (bourse_*_echelon since 2016)."""
    children = int(reader.is_child.sum())
    column = f"plafond_{min(max(children, 1), 8)}e"
    # The ceilings are multiples of the hourly SMIC of July of the year of the incomes (N-2).
    july = periods.period(f"{reader.month.n_2.start.year}-07")
    smic = reader.parameters(july).marche_travail.salaire_minimum.smic.smic_b_horaire
    return [round(node[f"echelon_{level}"][column] * smic) for level in range(1, levels + 1)]


def _grant_reason(reader: _Famille, aid: str, school: str) -> Reason | None:
    pupils = _pupils(reader, school)
    if pupils == 0:
        return Reason(f"{aid}.pupil", {"pupils": 0})
    bourses = reader.parameters().prestations_sociales.education.bourses.bourses_education
    node = bourses[aid].apres_2016
    levels = 3 if aid == "bourse_college" else 6
    ceiling = _grant_ceilings(reader, node, levels)[0]
    rfr = reader.foyer("rfr", reader.month.n_2)
    if rfr > ceiling:
        return Reason(
            f"{aid}.resources",
            {"rfr": _money(rfr), "ceiling": _money(ceiling), "year": reader.month.n_2.start.year},
        )
    return None


def _pupils(reader: _Famille, school: str) -> int:
    """The famille's children at collège or lycée this month (``scolarite``, never guessed from the age)."""
    schooling = reader.simulation.calculate("scolarite", reader.month).decode_to_str()[reader.members]
    return int(((schooling == school) & reader.is_child).sum())


REASONS: dict[str, Callable[[_Famille], Reason | None]] = {
    "rsa": _rsa_reason,
    "ppa": _ppa_reason,
    "aide_logement": _housing_reason,
    "af": _af_reason,
    "cf": _cf_reason,
    "asf": _asf_reason,
    "ars": _ars_reason,
    "paje_base": _paje_reason,
    "aah": _aah_reason,
    "aspa": _aspa_reason,
    "css": _css_reason,
    "css_participation": _css_participation_reason,
    "cheque_energie": _energy_reason,
    "bourse_college": lambda reader: _grant_reason(reader, "bourse_college", "college"),
    "bourse_lycee": lambda reader: _grant_reason(reader, "bourse_lycee", "lycee"),
}


def reason(simulation: Simulation, benefit: Benefit, period_month: str, famille: int = 0) -> Reason | None:
    """The first condition of a national aid that the famille at index ``famille`` does not meet, or None if due.

    Conditions are checked in the order the law states them, each with the aid's own OpenFisca variables and
    parameters of the month. When none of the known conditions explains a zero amount, the code is
    ``"<aid>.other"`` (a last resort the tests check ordinary households never reach).
    """
    reader = _Famille(simulation, period_month, famille)
    if _aid_value(reader, benefit) > 0:
        return None
    found = REASONS[benefit.id](reader) if benefit.id in REASONS else None
    return found or Reason(f"{benefit.id}.other", {})


# ---------------------------------------------------------------------------------------------------------------
# Breakdowns: the lines of the calculation of an aid that is due. They add up to the amount.


def _rsa_lines(reader: _Famille) -> list[Line]:
    socle = reader.value("rsa_socle")
    majore = reader.value("rsa_socle_majore")
    people = int(reader.value("nb_parents") + reader.value("rsa_nb_enfants"))
    lines = [Line("rsa.forfait", _money(socle), {"people": people})]
    if majore > socle:
        lines.append(Line("rsa.single_parent", majore - socle, {"children": int(reader.value("rsa_nb_enfants"))}))
    # rsa_base_ressources: a member's own resources count unless a child not "à charge" for the RSA.
    counted = (~reader.is_child) | reader.persons("rsa_enfant_a_charge").astype(bool)
    activity = float((reader.persons("rsa_revenu_activite_individu") * counted).sum())
    other = float((reader.persons("rsa_base_ressources_individu") * counted).sum())
    for code, value in (
        ("rsa.activity_income", activity),
        ("rsa.other_income", other),
        ("rsa.family_benefits", reader.value("rsa_base_ressources_prestations_familiales")),
        ("rsa.other_benefits", reader.value("rsa_base_ressources_minima_sociaux")),
        ("rsa.forfait_logement", reader.value("rsa_forfait_logement")),
    ):
        if abs(value) >= CENT:
            lines.append(Line(code, -value))
    return lines


def _ppa_lines(reader: _Famille) -> list[Line]:
    months = reader.past_months()
    ppa = reader.parameters().prestations_sociales.solidarite_insertion.minima_sociaux.ppa
    sums = dict.fromkeys(
        ("forfait", "bonus", "share", "activity", "family", "other", "logement", "floor", "zero"), 0.0
    )
    majore = False
    for month in months:
        if not reader.value("ppa_eligibilite", month):
            continue  # an ineligible month's prime is 0 and adds nothing to the mean
        forfait = reader.value("ppa_fictive_montant_forfaitaire", month)
        majore = majore or bool(reader.value("rsa_majore_eligibilite", month))
        bonus = float(reader.persons("ppa_bonification", month).sum())
        activity = reader.value("ppa_revenu_activite", month)
        share = reader.value("ppa_fictive_ressource_activite", month)
        other = reader.value("ppa_ressources_hors_activite", month)
        family = reader.value("ppa_base_ressources_prestations_familiales", month)
        logement = reader.value("ppa_forfait_logement", month)
        # ppa_fictive deducts at least the montant forfaitaire, and is never negative.
        floor = max(activity + other + logement, forfait) - (activity + other + logement)
        raw = forfait + bonus + share - (activity + other + logement) - floor
        for key, value in (
            ("forfait", forfait),
            ("bonus", bonus),
            ("share", share),
            ("activity", activity),
            ("family", family),
            ("other", other - family),
            ("logement", logement),
            ("floor", floor),
            ("zero", max(raw, 0.0) - raw),
        ):
            sums[key] += value
    mean = {key: value / len(months) for key, value in sums.items()}
    rate = round(ppa.pa_m.majoration_ressources_revenus_activite * 100)
    people = int(reader.value("nb_parents") + reader.value("rsa_nb_enfants"))
    lines = [
        Line("ppa.forfait_single_parent" if majore else "ppa.forfait", mean["forfait"], {"people": people}),
        Line("ppa.activity_share", mean["share"], {"rate": rate, "activity_income": _money(mean["activity"])}),
    ]
    for code, key, sign in (
        ("ppa.bonus", "bonus", 1),
        ("ppa.activity_income", "activity", -1),
        ("ppa.family_benefits", "family", -1),
        ("ppa.other_income", "other", -1),
        ("ppa.forfait_logement", "logement", -1),
        ("ppa.minimum_deduction", "floor", -1),
        ("ppa.zero_month", "zero", 1),
    ):
        if abs(mean[key]) >= CENT:
            lines.append(Line(code, sign * mean[key]))
    return lines


def _housing_lines(reader: _Famille) -> list[Line]:
    params = reader.parameters()
    al = params.prestations_sociales.aides_logement.allocations_logement
    status = reader.menage("statut_occupation_logement")
    resources = reader.value("aide_logement_base_ressources")
    if status in RENTING:
        rent, degressive, suppressed = _housing_degressivity_bounds(reader)
        ceiling = reader.value("aide_logement_loyer_plafond")
        lines = [
            Line(
                "aide_logement.rent",
                reader.value("aide_logement_loyer_retenu"),
                {"rent": _money(rent), "ceiling": _money(ceiling)},
            ),
            Line("aide_logement.charges", reader.value("aide_logement_charges")),
            Line(
                "aide_logement.participation",
                -reader.value("aide_logement_participation_personnelle"),
                {"resources": _money(resources)},
            ),
        ]
    else:
        lines = [
            Line(
                "aide_logement.accession",
                reader.value("aides_logement_accedant_et_foyer"),
                {"resources": _money(resources), "payment": _money(reader.menage("loyer"))},
            )
        ]
    before = reader.value("aide_logement_montant_brut_avant_degressivite")
    brut = reader.value("aide_logement_montant_brut")
    minoration = float(al.locatif.minoration_forfaitaire)
    # aide_logement_montant_brut: the amount times the degressivity coefficient, rounded, minus a flat reduction.
    degressivity = brut + minoration - before
    if abs(degressivity) >= CENT:
        rent, degressive, suppressed = _housing_degressivity_bounds(reader)
        lines.append(
            Line("aide_logement.degressivity", degressivity, {"rent": _money(rent), "ceiling": _money(degressive)})
        )
    lines.append(Line("aide_logement.reduction", -minoration))
    after_rls = reader.value("aide_logement_montant_brut_crds")
    if abs(brut - after_rls) >= CENT:
        lines.append(Line("aide_logement.rls", after_rls - brut))
    crds = reader.value("crds_logement")
    if abs(crds) >= CENT:
        lines.append(Line("aide_logement.crds", crds))
    # The net amount is rounded down to the euro (aide_logement_montant).
    rounding = reader.value("aide_logement") - (after_rls + crds)
    if abs(rounding) >= CENT:
        lines.append(Line("aide_logement.rounding", rounding))
    return lines


def _af_lines(reader: _Famille) -> list[Line]:
    children = int(reader.value("af_nbenf"))
    rate = round(reader.value("af_taux_modulation") * 100)
    lines = [Line("af.base", reader.value("af_base"), {"children": children, "rate": rate})]
    majorations = reader.persons("af_majoration_enfant")
    if reader.value("af_majoration") >= CENT:
        lines.append(Line("af.age", reader.value("af_majoration"), {"children": int((majorations > 0).sum())}))
    if reader.value("af_allocation_forfaitaire") >= CENT:
        lines.append(Line("af.forfait", reader.value("af_allocation_forfaitaire")))
    complement = reader.value("af_complement_degressif") + reader.value(
        "af_allocation_forfaitaire_complement_degressif"
    )
    if complement >= CENT:
        lines.append(Line("af.complement", complement))
    return lines


def _cf_lines(reader: _Famille) -> list[Line]:
    children = int(reader.persons("cf_enfant_eligible").sum())
    base = reader.value("cf_non_majore_avant_cumul")
    majore = reader.value("cf_majore_avant_cumul")
    if majore >= base:
        return [Line("cf.increased", majore, {"children": children})]
    bmaf = reader.parameters().prestations_sociales.prestations_familiales.bmaf.bmaf
    cf = reader.parameters().prestations_sociales.prestations_familiales.prestations_generales.cf
    full = bmaf * cf.cf_cm.complement_familial.taux_cf_base
    if base >= full - CENT:
        return [Line("cf.base", base, {"children": children})]
    # The differential CF: a twelfth of what the resources leave below the ceiling raised by 12 months of CF.
    return [
        Line(
            "cf.differential",
            base,
            {
                "resources": _money(reader.value("cf_base_ressources")),
                "ceiling": _money(reader.value("cf_plafond")),
            },
        )
    ]


def _asf_lines(reader: _Famille) -> list[Line]:
    params = reader.parameters().prestations_sociales.prestations_familiales
    per_child = params.bmaf.bmaf * params.education_presence_parentale.asf.montant_asf.orphelin_assimile_seul_parent
    children = int((reader.persons("asf_elig_enfant").astype(bool) & reader.is_child).sum())
    lines = [Line("asf.children", children * per_child, {"children": children, "per_child": _money(per_child)})]
    support = float(reader.persons("pensions_alimentaires_percues").sum())
    if support >= CENT:
        lines.append(Line("asf.support", -support))
    return lines


def _ars_lines(reader: _Famille) -> list[Line]:
    bands, ars = _ars_children(reader)
    october = periods.period(f"{reader.year.start.year}-10")
    bmaf = reader.parameters(october).prestations_sociales.prestations_familiales.bmaf.bmaf
    rates = {"primary": ars.ars_m.taux_primaire, "college": ars.ars_m.taux_college, "lycee": ars.ars_m.taux_lycee}
    cond = ars.ars_cond
    ages = {
        "primary": (cond.age_entree_primaire, cond.age_entree_college - 1),
        "college": (cond.age_entree_college, cond.age_entree_lycee - 1),
        "lycee": (cond.age_entree_lycee, cond.age_sortie_lycee),
    }
    lines = [
        Line(
            f"ars.{band}",
            count * bmaf * rates[band],
            {
                "children": count,
                "per_child": _money(bmaf * rates[band]),
                "minimum_age": int(ages[band][0]),
                "maximum_age": int(ages[band][1]),
            },
        )
        for band, count in bands.items()
        if count
    ]
    resources, ceiling = _ars_ceiling(reader, ars)
    if resources > ceiling:
        lines.append(
            Line("ars.resources", -(resources - ceiling), {"resources": _money(resources), "ceiling": _money(ceiling)})
        )
    return lines


def _paje_lines(reader: _Famille) -> list[Line]:
    full, partial = _paje_ceilings(reader)
    resources = reader.value("prestations_familiales_base_ressources")
    code = "paje_base.full" if resources <= full else "paje_base.partial"
    return [Line(code, reader.value("paje_base"), {"resources": _money(resources), "ceiling": _money(full)})]


def _aah_lines(reader: _Famille) -> list[Line]:
    aah = reader.parameters().prestations_sociales.prestations_etat_de_sante.invalidite.aah
    maximum = float(aah.montant)
    lines = []
    amounts = reader.persons("aah")
    for position in numpy.flatnonzero(amounts > 0):
        resources, ceiling = _aah_resources(reader, position)
        by_resources = min(maximum, max(0.0, ceiling - resources))
        pension = float(reader.persons("aah_base_non_cumulable")[position])
        by_pension = max(0.0, maximum - pension)
        lines.append(Line("aah.maximum", maximum, {"age": int(reader.ages()[position])}))
        if by_resources <= by_pension and maximum - by_resources >= CENT:
            lines.append(
                Line(
                    "aah.resources",
                    by_resources - maximum,
                    {"resources": _money(resources), "ceiling": _money(ceiling)},
                )
            )
        elif by_pension < by_resources:
            lines.append(Line("aah.pension", by_pension - maximum, {"pension": _money(pension)}))
        base = float(reader.persons("aah_base")[position])
        # Reduced AAH after 60 days in hospital or prison, without a dependant (aah formula).
        if base - float(amounts[position]) >= CENT:
            lines.append(Line("aah.hospital", float(amounts[position]) - base))
    return lines


def _aspa_lines(reader: _Famille) -> list[Line]:
    ceiling, resources, maximum, excess = _aspa_terms(reader)
    lines = [Line("aspa.maximum", maximum, {"ceiling": _money(ceiling)})]
    if excess >= CENT:
        lines.append(Line("aspa.resources", -excess, {"resources": _money(resources), "ceiling": _money(ceiling)}))
    return lines


def _css_lines(reader: _Famille) -> list[Line]:
    # The free CSS is a cover, not money: its line says why it is free and costs 0 €.
    resources = reader.value("css_cmu_base_ressources")
    if reader.value("rsa") > 0 and resources > reader.value("cmu_c_plafond"):
        return [Line("css.rsa", 0.0, {})]
    return [Line("css.free", 0.0, {"resources": _money(resources), "ceiling": _money(reader.value("cmu_c_plafond"))})]


def _css_participation_lines(reader: _Famille) -> list[Line]:
    amounts = reader.persons("css_participation_forfaitaire_montant_i")
    ages = reader.ages()
    bands = [(0, 29), (30, 49), (50, 59), (60, 69), (70, None)]
    lines = []
    for low, high in bands:
        inside = (ages >= low) & (ages <= (high if high is not None else 10**4))
        count = int(inside.sum())
        if count:
            unit = float(amounts[inside][0])
            figures: dict[str, Figure] = {"people": count, "per_person": _money(unit), "minimum_age": low}
            if high is not None:
                figures["maximum_age"] = high
            lines.append(Line("css_participation.age_band", float(amounts[inside].sum()), figures))
    return lines


def _energy_lines(reader: _Famille) -> list[Line]:
    rfr, units, per_unit, _scale = _energy_scale(reader)
    amount = float(reader.menage("cheque_energie", reader.year))
    figures = {"rfr": _money(rfr), "units": round(units, 2), "rfr_per_unit": _money(per_unit)}
    return [Line("cheque_energie.amount", amount, {**figures, "year": reader.month.n_2.start.year})]


def _grant_lines(reader: _Famille, aid: str, school: str) -> list[Line]:
    pupils = _pupils(reader, school)
    amount = reader.value(aid)
    level = int(reader.value(f"{aid}_echelon"))
    per_pupil = amount / pupils if pupils else 0.0
    return [Line(f"{aid}.pupils", amount, {"pupils": pupils, "per_pupil": _money(per_pupil), "level": level})]


BREAKDOWNS: dict[str, Callable[[_Famille], list[Line]]] = {
    "rsa": _rsa_lines,
    "ppa": _ppa_lines,
    "aide_logement": _housing_lines,
    "af": _af_lines,
    "cf": _cf_lines,
    "asf": _asf_lines,
    "ars": _ars_lines,
    "paje_base": _paje_lines,
    "aah": _aah_lines,
    "aspa": _aspa_lines,
    "css": _css_lines,
    "css_participation": _css_participation_lines,
    "cheque_energie": _energy_lines,
    "bourse_college": lambda reader: _grant_lines(reader, "bourse_college", "college"),
    "bourse_lycee": lambda reader: _grant_lines(reader, "bourse_lycee", "lycee"),
}


def breakdown(simulation: Simulation, benefit: Benefit, period_month: str, famille: int = 0) -> list[Line]:
    """The lines of the calculation of a due aid for the famille at index ``famille``; empty when it is not due.

    The amounts add up to the aid's value for that famille to the cent (for the free CSS, a cover and not money,
    the lines are worth 0 €). Where the law rounds (the housing aid is rounded down to the euro, the CF to the cent),
    a ``"<aid>.rounding"`` line says so instead of hiding it.
    """
    reader = _Famille(simulation, period_month, famille)
    value = _aid_value(reader, benefit)
    if value <= 0:
        return []
    lines = [Line(line.code, _money(line.amount), line.figures) for line in BREAKDOWNS[benefit.id](reader)]
    target = 0.0 if benefit.kind == "boolean" else _money(value)
    difference = _money(target - sum(line.amount for line in lines))
    if abs(difference) >= CENT and not any(line.code == f"{benefit.id}.rounding" for line in lines):
        # Cents lost by the law's own roundings (and by rounding each line to the cent), shown rather than hidden.
        lines.append(Line(f"{benefit.id}.rounding", difference))
    return lines


# ---------------------------------------------------------------------------------------------------------------
# Local aids


def local_reason(aid: LocalAid, features: Mapping[str, numpy.ndarray], person: int, period_month: str) -> Reason:
    """The condition of a local aid that one person does not meet, with figures (checked in the aid's order).

    ``features`` is what ``mapping.person_features`` returns. Codes: ``local.validity``, ``local.commune``,
    ``local.age_min``, ``local.age_max``, ``local.qf_min``, ``local.qf_max`` (above the aid's own ceiling),
    ``local.qf_bands`` (above the highest band's ceiling), ``local.receives``, ``local.not_receives``,
    ``local.student``, ``local.not_student``, ``local.disabled``, ``local.not_disabled``, and ``local.other``.
    """
    if not aid.valid_on(period_month):
        figures: dict[str, Figure] = {"month": period_month, "start": aid.start.isoformat()}
        if aid.end is not None:
            figures["end"] = aid.end.isoformat()
        return Reason("local.validity", figures)
    failed = _local_condition(aid.conditions, features, person)
    if failed:
        return failed
    # The aid applies to the person; no band matched: for a family-quotient grid, the QF is above its last ceiling.
    ceilings = [band.when["qf_max"] for band in aid.bands if "qf_max" in band.when]
    qf = float(features["qf"][person])
    if ceilings and qf > max(ceilings):
        return Reason("local.qf_bands", {"qf": _money(qf), "ceiling": _money(max(ceilings))})
    for band in aid.bands:
        failed = _local_condition(band.when, features, person)
        if failed and failed.code != "local.qf_max":
            return failed
    return Reason("local.other", {})


def _local_condition(conditions: Mapping, features: Mapping[str, numpy.ndarray], person: int) -> Reason | None:
    """The first condition of a mapping (the aid's own or a band's) that one person does not meet."""
    for name, value in conditions.items():
        if name == "communes":
            commune = str(features["commune"][person])
            if commune not in value:
                return Reason("local.commune", {"commune": commune, "communes": len(value)})
        elif name in ("age_min", "age_max"):
            age = int(features["age"][person])
            if (name == "age_min" and age < value) or (name == "age_max" and age > value):
                # Both bounds, when the aid has both, make one sentence ("from 15 to 25").
                bounds = {key: int(conditions[key]) for key in ("age_min", "age_max") if key in conditions}
                return Reason(f"local.{name}", {"age": age, **bounds})
        elif name in ("qf_min", "qf_max"):
            qf = float(features["qf"][person])
            if (name == "qf_min" and qf < value) or (name == "qf_max" and qf > value):
                return Reason(f"local.{name}", {"qf": _money(qf), "limit": _money(value)})
        elif name == "receives":
            if not any(bool(features[f"receives:{benefit}"][person]) for benefit in value):
                return Reason("local.receives", {"aids": ",".join(value)})
        elif name == "not_receives":
            received = [benefit for benefit in value if bool(features[f"receives:{benefit}"][person])]
            if received:
                return Reason("local.not_receives", {"aids": ",".join(received)})
        elif name in ("student", "disabled") and bool(features[name][person]) != value:
            return Reason(f"local.{name}" if value else f"local.not_{name}", {})
    return None
