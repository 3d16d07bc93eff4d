"""Breakdowns, aid by aid: the lines of the calculation of an aid that is due. They add up to the amount."""

from __future__ import annotations

from collections.abc import Callable

import numpy

from guichet.rights.engine.reasons.conditions import (
    _aah_resources,
    _ars_lines,
    _aspa_terms,
    _energy_scale,
    _housing_degressivity_bounds,
    _paje_ceilings,
    _pupils,
)
from guichet.rights.engine.reasons.famille import CENT, RENTING, Figure, Line, _Famille, _money


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
