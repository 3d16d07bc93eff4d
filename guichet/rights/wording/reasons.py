"""Why an aid is not due, code by code (``guichet.rights.engine.reasons.CODES``), as a person reads it."""

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.core.formats import euros, percent
from guichet.rights.wording.common import Figures, _date, _month, _rule, _years, count_word


def _declared_children(count: object) -> str:
    value = int(count)
    if value == 0:
        return _("vous n'en déclarez aucun")
    return ngettext("vous en déclarez %(count)s", "vous en déclarez %(count)s", value) % {"count": count_word(value)}


def _your_age(figures: Figures) -> str:
    return _("vous avez %(age)s") % {"age": _years(figures["age"])}


def _status(status: object) -> str:
    """The person's housing situation, as said after a semicolon."""
    phrases = {
        "proprietaire": _("vous êtes propriétaire de votre logement"),
        "loge_gratuitement": _("vous êtes hébergé gratuitement"),
        "sans_domicile": _("vous n'avez pas de logement stable"),
        "locataire_foyer": _("vous logez dans un foyer ou une résidence"),
        "primo_accedant": _("vous remboursez un prêt pour votre logement"),
        "locataire_hlm": _("vous êtes locataire d'un logement social"),
        "locataire_vide": _("vous êtes locataire"),
        "locataire_meuble": _("vous êtes locataire d'un meublé"),
    }
    return phrases.get(str(status), _("votre situation de logement n'est pas indiquée"))


def _residence(aid: str, figures: Figures) -> str:
    return _(
        "Pour %(aid)s, il faut un titre de séjour autorisant à travailler depuis au moins %(minimum)s ; "
        "le vôtre date de %(years)s."
    ) % {"aid": aid, "minimum": _years(figures["minimum_years"]), "years": _years(figures["years"])}


def _aah_rate(figures: Figures) -> str:
    rule = _(
        "L'AAH demande un taux d'incapacité d'au moins %(minimum)s (ou de %(reduced)s à moins de %(minimum)s "
        "avec une restriction durable d'accès à l'emploi)"
    ) % {"minimum": percent(figures["minimum"]), "reduced": percent(figures["reduced_minimum"])}
    if not figures["rate"]:
        return _rule(rule, _("aucun taux d'incapacité n'est déclaré"))
    return _rule(rule, _("le vôtre est de %(rate)s") % {"rate": percent(figures["rate"])})


def _local_age(figures: Figures) -> str:
    age = _your_age(figures)
    if "age_min" in figures and "age_max" in figures:
        rule = _("Cette aide est réservée aux personnes de %(minimum)s à %(maximum)s") % {
            "minimum": figures["age_min"],
            "maximum": _years(figures["age_max"]),
        }
    elif "age_min" in figures:
        rule = _("Cette aide est réservée aux personnes de %(minimum)s ou plus") % {
            "minimum": _years(figures["age_min"])
        }
    else:
        rule = _("Cette aide est réservée aux personnes de %(maximum)s ou moins") % {
            "maximum": _years(figures["age_max"])
        }
    return _rule(rule, age)


def _aid_names(ids: object) -> str:
    # Late import: the catalogue loads OpenFisca's system to read its references; labels only are needed here.
    from guichet.rights.engine.benefits import BENEFITS_BY_ID

    names = [str(BENEFITS_BY_ID[aid].label) if aid in BENEFITS_BY_ID else aid for aid in str(ids).split(",") if aid]
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s ou %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _local_validity(figures: Figures) -> str:
    month = _month(figures["month"])
    if "end" in figures:
        return _("Cette aide ne s'applique pas en %(month)s : elle vaut du %(start)s au %(end)s.") % {
            "month": month,
            "start": _date(figures["start"]),
            "end": _date(figures["end"]),
        }
    return _("Cette aide ne s'applique pas en %(month)s : elle vaut à partir du %(start)s.") % {
        "month": month,
        "start": _date(figures["start"]),
    }


REASONS: dict[str, Callable[[Figures], str]] = {
    # RSA
    "rsa.age": lambda f: _rule(
        _(
            "Le RSA est ouvert à partir de %(minimum)s, ou plus tôt pour un parent ou un jeune qui a travaillé "
            "au moins deux ans"
        )
        % {"minimum": _years(f["minimum_age"])},
        _your_age(f),
    ),
    "rsa.student": lambda f: _("Le RSA n'est pas versé aux étudiants."),
    "rsa.residence": lambda f: _residence(_("le RSA"), f),
    "rsa.resources": lambda f: (
        _(
            "Vos ressources de %(resources)s par mois (moyenne des trois derniers mois) dépassent le plafond de "
            "%(ceiling)s pour votre foyer."
        )
        % {"resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    "rsa.minimum": lambda f: (
        _("Le RSA calculé pour votre foyer (%(amount)s par mois) est inférieur au minimum versé de %(minimum)s.")
        % {"amount": euros(f["amount"]), "minimum": euros(f["minimum"])}
    ),
    # Prime d'activité
    "ppa.age": lambda f: _rule(
        _("La prime d'activité est ouverte à partir de %(minimum)s") % {"minimum": _years(f["minimum_age"])},
        _your_age(f),
    ),
    "ppa.residence": lambda f: _residence(_("la prime d'activité"), f),
    "ppa.student": lambda f: (
        _(
            "Un étudiant, un stagiaire ou un apprenti y a droit s'il gagne plus de %(minimum)s chacun des trois "
            "derniers mois ; vos revenus d'activité sont descendus à %(income)s."
        )
        % {"minimum": euros(f["minimum"]), "income": euros(f["income"])}
    ),
    "ppa.activity": lambda f: _(
        "La prime d'activité complète les revenus du travail : aucun revenu d'activité n'est déclaré sur les "
        "trois derniers mois."
    ),
    "ppa.resources": lambda f: (
        _(
            "Vos ressources de %(resources)s par mois en moyenne sur les trois derniers mois, dont %(activity)s de "
            "revenus d'activité, sont trop élevées : la prime calculée pour votre foyer est nulle."
        )
        % {"resources": euros(f["resources"]), "activity": euros(f["activity_income"])}
    ),
    "ppa.minimum": lambda f: (
        _("La prime calculée pour votre foyer (%(amount)s par mois) est inférieure au minimum versé de %(minimum)s.")
        % {"amount": euros(f["amount"]), "minimum": euros(f["minimum"])}
    ),
    # Housing aid
    "aide_logement.status": lambda f: _rule(
        _("Les aides au logement sont versées aux locataires et à certains accédants à la propriété"),
        _status(f["status"]),
    ),
    "aide_logement.loan": lambda f: _(
        "Un prêt pour acheter son logement signé depuis 2018 n'ouvre droit à l'aide que s'il est conventionné, pour "
        "un logement ancien situé en zone 3."
    ),
    "aide_logement.rent": lambda f: _("Aucun loyer n'est déclaré pour votre logement."),
    "aide_logement.family_landlord": lambda f: _(
        "L'allocation de logement n'est pas versée quand le logement est loué par un proche parent."
    ),
    "aide_logement.resources": lambda f: (
        _(
            "Avec des ressources de %(resources)s sur douze mois, votre participation personnelle (%(participation)s "
            "par mois) dépasse le loyer pris en compte, charges comprises (%(rent)s par mois)."
        )
        % {"resources": euros(f["resources"]), "participation": euros(f["participation"]), "rent": euros(f["rent"])}
    ),
    "aide_logement.resources_accession": lambda f: (
        _("Avec des ressources de %(resources)s sur douze mois, l'aide calculée pour votre prêt est nulle.")
        % {"resources": euros(f["resources"])}
    ),
    "aide_logement.rent_too_high": lambda f: (
        _(
            "Votre loyer de %(rent)s par mois dépasse %(ceiling)s, montant au-delà duquel l'aide n'est plus versée "
            "pour un logement comme le vôtre."
        )
        % {"rent": euros(f["rent"]), "ceiling": euros(f["ceiling"])}
    ),
    "aide_logement.minimum": lambda f: (
        _("L'aide calculée (%(amount)s par mois) est inférieure au minimum versé de %(minimum)s.")
        % {"amount": euros(f["amount"]), "minimum": euros(f["minimum"])}
    ),
    "aide_logement.small": lambda f: (
        _(
            "L'aide calculée (%(amount)s par mois), une fois retirée la réduction forfaitaire de %(deduction)s et "
            "arrondie à l'euro inférieur, tombe à 0 €."
        )
        % {"amount": euros(f["amount"]), "deduction": euros(f["deduction"])}
    ),
    # Family benefits
    "af.children": lambda f: _rule(
        ngettext(
            "Il faut au moins %(minimum)s enfant à charge",
            "Il faut au moins %(minimum)s enfants à charge",
            int(f["minimum"]),
        )
        % {"minimum": count_word(f["minimum"])},
        _declared_children(f["children"]),
    ),
    "cf.children": lambda f: _rule(
        _("Il faut au moins %(minimum)s enfants à charge de %(minimum_age)s ou plus (et de moins de %(maximum_age)s)")
        % {
            "minimum": count_word(f["minimum"]),
            "minimum_age": _years(f["minimum_age"]),
            "maximum_age": _years(f["maximum_age"]),
        },
        _declared_children(f["children"]),
    ),
    "cf.resources": lambda f: (
        _(
            "Les revenus de votre foyer en %(year)s (%(resources)s) dépassent le plafond de %(ceiling)s fixé pour le "
            "complément familial."
        )
        % {"year": f["year"], "resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    "cf.paje": lambda f: (
        _(
            "Le complément familial n'est pas versé avec l'allocation de base de la PAJE, à laquelle vous avez droit "
            "(%(paje)s par mois)."
        )
        % {"paje": euros(f["paje"])}
    ),
    "asf.couple": lambda f: _(
        "L'allocation de soutien familial est versée à un parent qui élève seul son enfant ; vous vivez en couple."
    ),
    "asf.child": lambda f: _rule(
        _("Il faut élever un enfant de moins de %(maximum_age)s privé de l'aide de l'un de ses parents")
        % {"maximum_age": _years(f["maximum_age"])},
        _declared_children(0),
    ),
    "asf.support": lambda f: (
        _(
            "La pension alimentaire que vous recevez (%(support)s par mois) atteint le montant de l'allocation "
            "(%(amount)s par mois)."
        )
        % {"support": euros(f["support"]), "amount": euros(f["amount"])}
    ),
    "ars.children": lambda f: _rule(
        _("L'allocation de rentrée scolaire est versée pour les enfants de %(minimum_age)s à %(maximum_age)s")
        % {"minimum_age": f["minimum_age"], "maximum_age": _years(f["maximum_age"])},
        _declared_children(0),
    ),
    "ars.resources": lambda f: (
        _(
            "Les revenus de votre foyer en %(year)s (%(resources)s) dépassent le plafond de %(ceiling)s : "
            "l'allocation, réduite du dépassement, est nulle."
        )
        % {"year": f["year"], "resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    "ars.minimum": lambda f: (
        _(
            "L'allocation réduite du dépassement de plafond (%(amount)s) est inférieure au minimum versé de "
            "%(minimum)s."
        )
        % {"amount": euros(f["amount"]), "minimum": euros(f["minimum"])}
    ),
    "paje_base.child": lambda f: _rule(
        _("L'allocation de base est versée pour un enfant de moins de %(maximum_age)s")
        % {"maximum_age": _years(f["maximum_age"])},
        _declared_children(0),
    ),
    "paje_base.resources": lambda f: (
        _(
            "Les revenus de votre foyer en %(year)s (%(resources)s) dépassent le plafond de %(ceiling)s de "
            "l'allocation de base pour votre famille."
        )
        % {"year": f["year"], "resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    # AAH
    "aah.rate": _aah_rate,
    "aah.rsdae": lambda f: (
        _(
            "Avec un taux d'incapacité de %(rate)s, l'AAH demande une restriction substantielle et durable d'accès à "
            "l'emploi reconnue par la MDPH."
        )
        % {"rate": percent(f["rate"])}
    ),
    "aah.retirement_age": lambda f: _rule(
        _("Avec un taux d'incapacité inférieur à %(minimum)s, l'AAH s'arrête à l'âge légal de la retraite, %(age)s")
        % {"minimum": percent(f["minimum"]), "age": _years(f["maximum_age"])},
        _your_age(f),
    ),
    "aah.age": lambda f: _rule(
        _("L'AAH est versée à partir de %(minimum)s") % {"minimum": _years(f["minimum_age"])}, _your_age(f)
    ),
    "aah.pension": lambda f: (
        _("Votre pension d'invalidité (%(pension)s par mois) atteint le montant maximal de l'AAH (%(maximum)s).")
        % {"pension": euros(f["pension"]), "maximum": euros(f["maximum"])}
    ),
    "aah.resources": lambda f: (
        _("Vos ressources de %(resources)s par mois dépassent le plafond de %(ceiling)s de l'AAH.")
        % {"resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    # ASPA
    "aspa.age": lambda f: _rule(
        _("L'ASPA est versée à partir de %(minimum)s") % {"minimum": _years(f["minimum_age"])}, _your_age(f)
    ),
    "aspa.age_disabled": lambda f: _rule(
        _(
            "Pour une personne handicapée ou inapte au travail, l'ASPA est versée à partir de l'âge légal de la "
            "retraite, %(minimum)s"
        )
        % {"minimum": _years(f["minimum_age"])},
        _your_age(f),
    ),
    "aspa.residence": lambda f: _residence(_("l'ASPA"), f),
    "aspa.resources": lambda f: (
        _(
            "Vos ressources de %(resources)s par mois (moyenne des trois derniers mois) dépassent le plafond de "
            "%(ceiling)s de l'ASPA pour votre foyer."
        )
        % {"resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    # Complémentaire santé solidaire
    "css.dependent": lambda f: (
        _(
            "Avant %(minimum)s, une personne à la charge de ses parents demande la complémentaire santé solidaire "
            "avec eux."
        )
        % {"minimum": _years(f["minimum_age"])}
    ),
    "css.participation": lambda f: (
        _(
            "Vos ressources des douze derniers mois (%(resources)s) dépassent le plafond de %(ceiling)s de la version "
            "gratuite ; jusqu'à %(participation_ceiling)s, vous pouvez l'avoir avec une participation."
        )
        % {
            "resources": euros(f["resources"]),
            "ceiling": euros(f["ceiling"]),
            "participation_ceiling": euros(f["participation_ceiling"]),
        }
    ),
    "css.resources": lambda f: (
        _(
            "Vos ressources des douze derniers mois (%(resources)s) dépassent %(participation_ceiling)s, le plafond "
            "de la complémentaire santé solidaire, même avec participation."
        )
        % {"resources": euros(f["resources"]), "participation_ceiling": euros(f["participation_ceiling"])}
    ),
    "css_participation.dependent": lambda f: (
        _(
            "Avant %(minimum)s, une personne à la charge de ses parents demande la complémentaire santé solidaire "
            "avec participation avec eux."
        )
        % {"minimum": _years(f["minimum_age"])}
    ),
    "css_participation.free": lambda f: (
        _(
            "Vos ressources des douze derniers mois (%(resources)s) ne dépassent pas %(ceiling)s : vous avez droit à "
            "la version gratuite, sans participation."
        )
        % {"resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    "css_participation.rsa": lambda f: _(
        "Comme bénéficiaire du RSA, vous avez droit à la version gratuite, sans participation."
    ),
    "css_participation.resources": lambda f: (
        _(
            "Vos ressources des douze derniers mois (%(resources)s) dépassent le plafond de %(ceiling)s de la "
            "complémentaire santé solidaire avec participation."
        )
        % {"resources": euros(f["resources"]), "ceiling": euros(f["ceiling"])}
    ),
    # Chèque énergie
    "cheque_energie.dwelling": lambda f: (
        _(
            "Le chèque énergie est envoyé pour un logement dont on est locataire ou propriétaire au 1er janvier ; en "
            "%(month)s, %(status)s."
        )
        % {"month": _month(f["month"]), "status": _status(f["status"])}
    ),
    "cheque_energie.declarant": lambda f: _(
        "Le chèque énergie est envoyé à un foyer qui fait sa propre déclaration de revenus."
    ),
    "cheque_energie.resources": lambda f: (
        _(
            "Le revenu fiscal de référence %(year)s de votre foyer (%(rfr)s, soit %(per_unit)s par unité de "
            "consommation) dépasse le plafond de %(ceiling)s par unité."
        )
        % {
            "year": f["year"],
            "rfr": euros(f["rfr"]),
            "per_unit": euros(f["rfr_per_unit"]),
            "ceiling": euros(f["ceiling"]),
        }
    ),
    # Bourses
    "bourse_college.pupil": lambda f: _(
        "La bourse de collège est versée pour un enfant inscrit au collège ; aucun enfant n'y est déclaré."
    ),
    "bourse_college.resources": lambda f: (
        _(
            "Le revenu fiscal de référence %(year)s de votre foyer (%(rfr)s) dépasse le plafond de %(ceiling)s de la "
            "bourse de collège."
        )
        % {"year": f["year"], "rfr": euros(f["rfr"]), "ceiling": euros(f["ceiling"])}
    ),
    "bourse_lycee.pupil": lambda f: _(
        "La bourse de lycée est versée pour un enfant inscrit au lycée ; aucun enfant n'y est déclaré."
    ),
    "bourse_lycee.resources": lambda f: (
        _(
            "Le revenu fiscal de référence %(year)s de votre foyer (%(rfr)s) dépasse le plafond de %(ceiling)s de la "
            "bourse de lycée."
        )
        % {"year": f["year"], "rfr": euros(f["rfr"]), "ceiling": euros(f["ceiling"])}
    ),
    # Local aids
    "local.validity": _local_validity,
    "local.commune": lambda f: (
        _(
            "Cette aide est réservée aux habitants des communes de la Métropole ; votre commune (code INSEE "
            "%(commune)s) n'en fait pas partie."
        )
        % {"commune": f["commune"]}
    ),
    "local.age_min": _local_age,
    "local.age_max": _local_age,
    "local.qf_min": lambda f: (
        _("Cette aide est réservée aux quotients familiaux d'au moins %(limit)s ; le vôtre est de %(qf)s.")
        % {"limit": euros(f["limit"]), "qf": euros(f["qf"])}
    ),
    "local.qf_max": lambda f: (
        _("Cette aide est réservée aux quotients familiaux jusqu'à %(limit)s ; le vôtre est de %(qf)s.")
        % {"limit": euros(f["limit"]), "qf": euros(f["qf"])}
    ),
    "local.qf_bands": lambda f: (
        _("Votre quotient familial (%(qf)s) dépasse %(ceiling)s, le plafond de la dernière tranche de cette aide.")
        % {"qf": euros(f["qf"]), "ceiling": euros(f["ceiling"])}
    ),
    "local.receives": lambda f: (
        _("Cette aide est réservée aux bénéficiaires de : %(aids)s.") % {"aids": _aid_names(f["aids"])}
    ),
    "local.not_receives": lambda f: (
        _("Cette aide n'est pas ouverte aux bénéficiaires de : %(aids)s.") % {"aids": _aid_names(f["aids"])}
    ),
    "local.student": lambda f: _("Cette aide est réservée aux étudiants."),
    "local.not_student": lambda f: _("Cette aide n'est pas ouverte aux étudiants."),
    "local.disabled": lambda f: _("Cette aide est réservée aux personnes en situation de handicap."),
    "local.not_disabled": lambda f: _("Cette aide n'est pas ouverte aux personnes en situation de handicap."),
}
