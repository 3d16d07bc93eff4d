"""The lines of a calculation, code by code (``guichet.rights.engine.reasons.LINE_CODES``), as a person reads them."""

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.core.formats import euros, percent
from guichet.rights.wording.common import Figures, _years, count_word


def _people(f: Figures) -> str:
    count = int(f["people"])
    return ngettext("%(count)s personne", "%(count)s personnes", count) % {"count": count_word(count, feminine=True)}


def _children(f: Figures, key: str = "children") -> str:
    count = int(f[key])
    return ngettext("%(count)s enfant", "%(count)s enfants", count) % {"count": count_word(count)}


def _age_band(f: Figures) -> str:
    if "maximum_age" not in f:
        return _("de %(minimum)s ou plus") % {"minimum": _years(f["minimum_age"])}
    if not f["minimum_age"]:
        return _("de moins de %(maximum)s") % {"maximum": _years(int(f["maximum_age"]) + 1)}
    return _("de %(minimum)s à %(maximum)s") % {"minimum": f["minimum_age"], "maximum": _years(f["maximum_age"])}


def _af_base(f: Figures) -> str:
    label = _("Allocations familiales pour %(children)s") % {"children": _children(f)}
    if int(f["rate"]) < 100:
        label = _("%(label)s, à %(rate)s selon vos revenus") % {"label": label, "rate": percent(f["rate"])}
    return label


def _grant(aid: str) -> Callable[[Figures], str]:
    def label(f: Figures) -> str:
        pupils = ngettext("%(count)s élève", "%(count)s élèves", int(f["pupils"])) % {"count": count_word(f["pupils"])}
        if aid == "bourse_college":
            text = _("Bourse de collège, échelon %(level)s, pour %(pupils)s (%(per_pupil)s par élève et par an)")
        else:
            text = _("Bourse de lycée, échelon %(level)s, pour %(pupils)s (%(per_pupil)s par élève et par an)")
        return text % {"level": f["level"], "pupils": pupils, "per_pupil": euros(f["per_pupil"])}

    return label


LINES: dict[str, Callable[[Figures], str]] = {
    "rsa.forfait": lambda f: _("Montant forfaitaire du RSA pour %(people)s") % {"people": _people(f)},
    "rsa.single_parent": lambda f: _("Majoration pour parent isolé"),
    "rsa.activity_income": lambda f: _("Revenus d'activité (moyenne des trois derniers mois)"),
    "rsa.other_income": lambda f: _(
        "Autres ressources : chômage, retraite, pensions… (moyenne des trois derniers mois)"
    ),
    "rsa.family_benefits": lambda f: _("Prestations familiales prises en compte"),
    "rsa.other_benefits": lambda f: _("Autres allocations prises en compte (AAH, ASPA, ASS…)"),
    "rsa.forfait_logement": lambda f: _("Forfait logement (aide au logement reçue ou logement sans loyer)"),
    "ppa.forfait": lambda f: _("Montant forfaitaire de la prime pour %(people)s") % {"people": _people(f)},
    "ppa.forfait_single_parent": lambda f: _("Montant forfaitaire majoré pour parent isolé"),
    "ppa.activity_share": lambda f: (
        _("%(rate)s de vos revenus d'activité (%(income)s par mois)")
        % {"rate": percent(f["rate"]), "income": euros(f["activity_income"])}
    ),
    "ppa.bonus": lambda f: _("Bonification pour les revenus d'activité proches du Smic ou plus"),
    "ppa.activity_income": lambda f: _("Revenus d'activité pris en compte"),
    "ppa.family_benefits": lambda f: _("Prestations familiales prises en compte"),
    "ppa.other_income": lambda f: _("Autres ressources : chômage, retraite, pensions…"),
    "ppa.forfait_logement": lambda f: _("Forfait logement"),
    "ppa.minimum_deduction": lambda f: _("Déduction minimale : au moins le montant forfaitaire est déduit"),
    "ppa.zero_month": lambda f: _("Mois où la prime calculée était négative, ramenée à 0"),
    "aide_logement.rent": lambda f: (
        _("Loyer pris en compte (loyer de %(rent)s, plafond de %(ceiling)s)")
        % {"rent": euros(f["rent"]), "ceiling": euros(f["ceiling"])}
    ),
    "aide_logement.charges": lambda f: _("Forfait de charges"),
    "aide_logement.participation": lambda f: (
        _("Votre participation personnelle, selon vos ressources de %(resources)s sur douze mois")
        % {"resources": euros(f["resources"])}
    ),
    "aide_logement.accession": lambda f: (
        _("Aide calculée pour votre mensualité ou redevance de %(payment)s") % {"payment": euros(f["payment"])}
    ),
    "aide_logement.degressivity": lambda f: (
        _("Réduction pour un loyer au-dessus de %(ceiling)s") % {"ceiling": euros(f["ceiling"])}
    ),
    "aide_logement.reduction": lambda f: _("Réduction forfaitaire appliquée à toutes les aides au logement"),
    "aide_logement.rls": lambda f: _("Part de la réduction de loyer de solidarité (logement social)"),
    "aide_logement.crds": lambda f: _("Contribution au remboursement de la dette sociale (CRDS)"),
    "aide_logement.rounding": lambda f: _("Arrondi à l'euro inférieur"),
    "af.base": _af_base,
    "af.age": lambda f: _("Majoration pour âge (%(children)s)") % {"children": _children(f)},
    "af.forfait": lambda f: _("Allocation forfaitaire pour un enfant de 20 ans"),
    "af.complement": lambda f: _("Complément dégressif (revenus juste au-dessus d'un plafond)"),
    "cf.base": lambda f: _("Complément familial pour %(children)s") % {"children": _children(f)},
    "cf.increased": lambda f: _("Complément familial majoré pour %(children)s") % {"children": _children(f)},
    "cf.differential": lambda f: (
        _("Complément familial réduit : revenus de %(resources)s, juste au-dessus du plafond de %(ceiling)s")
        % {"resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    "asf.children": lambda f: (
        _("Allocation pour %(children)s (%(per_child)s par enfant)")
        % {"children": _children(f), "per_child": euros(f["per_child"])}
    ),
    "asf.support": lambda f: _("Pension alimentaire reçue"),
    "ars.primary": lambda f: (
        _("%(children)s %(band)s (%(per_child)s par enfant)")
        % {"children": _children(f), "band": _age_band(f), "per_child": euros(f["per_child"])}
    ),
    "ars.college": lambda f: (
        _("%(children)s %(band)s (%(per_child)s par enfant)")
        % {"children": _children(f), "band": _age_band(f), "per_child": euros(f["per_child"])}
    ),
    "ars.lycee": lambda f: (
        _("%(children)s %(band)s (%(per_child)s par enfant)")
        % {"children": _children(f), "band": _age_band(f), "per_child": euros(f["per_child"])}
    ),
    "ars.resources": lambda f: (
        _("Réduction : vos revenus de %(resources)s dépassent le plafond de %(ceiling)s")
        % {"resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    "paje_base.full": lambda f: _("Allocation de base à taux plein"),
    "paje_base.partial": lambda f: (
        _("Allocation de base à taux partiel (revenus au-dessus de %(ceiling)s)") % {"ceiling": euros(f["ceiling"])}
    ),
    "aah.maximum": lambda f: _("Montant maximal de l'AAH"),
    "aah.resources": lambda f: (
        _("Réduction selon vos ressources (%(resources)s par mois, plafond de %(ceiling)s)")
        % {"resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    "aah.pension": lambda f: (
        _("Pension d'invalidité ou ASI reçue (%(pension)s par mois)") % {"pension": euros(f["pension"])}
    ),
    "aah.hospital": lambda f: _("Réduction après 60 jours d'hospitalisation ou d'incarcération"),
    "aspa.maximum": lambda f: _("Montant maximal de l'ASPA pour votre foyer"),
    "aspa.resources": lambda f: _("Vos ressources prises en compte (moyenne des trois derniers mois)"),
    "css.free": lambda f: (
        _("Gratuite : vos ressources de %(resources)s ne dépassent pas %(ceiling)s")
        % {"resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    "css.rsa": lambda f: _("Gratuite pour les bénéficiaires du RSA"),
    "css_participation.age_band": lambda f: (
        ngettext(
            "%(people)s personne %(band)s : %(per_person)s par mois",
            "%(people)s personnes %(band)s : %(per_person)s par mois chacune",
            int(f["people"]),
        )
        % {
            "people": count_word(f["people"], feminine=True),
            "band": _age_band(f),
            "per_person": euros(f["per_person"]),
        }
    ),
    "cheque_energie.amount": lambda f: (
        _("Chèque énergie pour un revenu fiscal de référence %(year)s de %(per_unit)s par unité de consommation")
        % {"year": f["year"], "per_unit": euros(f["rfr_per_unit"])}
    ),
    "bourse_college.pupils": _grant("bourse_college"),
    "bourse_lycee.pupils": _grant("bourse_lycee"),
}
