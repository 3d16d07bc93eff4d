"""Reasons, aid by aid: each returns the first condition its famille does not meet, or None when it finds none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
from openfisca_core import periods

from guichet.rights.engine.reasons.famille import RENTING, Line, Reason, _Famille, _money


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
