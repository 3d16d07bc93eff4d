import calendar
import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    FRANCE_SERVICES = "france_services", _("Espace France Services")
    PIMMS = "pimms", _("Point information médiation multi-services (PIMMS)")
    CCAS = "ccas", _("Centre communal d'action sociale (CCAS)")
    ASSOCIATION = "association", _("Association")


class Family(models.TextChoices):
    """Procedure families: a mandate holds one authorisation per family."""

    SOCIAL_AIDS = "social_aids", _("Aides sociales")
    HOUSING = "housing", _("Logement")
    TRANSPORT = "transport", _("Transports")
    SCHOOL_CANTEEN = "school_canteen", _("École et cantine")
    APPOINTMENTS = "appointments", _("Rendez-vous")
    SIMULATION = "simulation", _("Simulation de droits")


# The family that covers the procedures of a catalogue service kind (guichet.catalog.enums.ServiceKind).
FAMILY_BY_SERVICE_KIND = {
    "canteen": Family.SCHOOL_CANTEEN,
    "transport": Family.TRANSPORT,
    "social": Family.SOCIAL_AIDS,
    "housing": Family.HOUSING,
}


def family_for_service_kind(kind: str) -> Family | None:
    """The family a procedure of this service kind falls under (None: no mediator may do it on someone's behalf)."""
    return FAMILY_BY_SERVICE_KIND.get(kind)


def service_kinds_for_family(family: str) -> list[str]:
    """The catalogue service kinds whose procedures fall under ``family`` (none for simulation or appointments)."""
    return [kind for kind, covered in FAMILY_BY_SERVICE_KIND.items() if covered == family]


class Duration(models.TextChoices):
    """The fixed menu of mandate durations."""

    ONE_DAY = "1d", _("1 jour")
    ONE_MONTH = "1m", _("1 mois")
    SIX_MONTHS = "6m", _("6 mois")
    TWELVE_MONTHS = "12m", _("12 mois")


_MONTHS = {Duration.ONE_MONTH: 1, Duration.SIX_MONTHS: 6, Duration.TWELVE_MONTHS: 12}


def duration_end(start: datetime.datetime, duration: str) -> datetime.datetime:
    """When a mandate given at ``start`` for ``duration`` ends (the same day of month, clamped to its last day)."""
    if duration == Duration.ONE_DAY:
        return start + datetime.timedelta(days=1)
    months = _MONTHS[Duration(duration)]
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


class ConsentMethod(models.TextChoices):
    IN_PERSON = "in_person", _("En personne, mandat imprimé et signé au guichet")
    REMOTE_ACCOUNT = "remote_account", _("À distance, depuis le compte de la personne")
    REMOTE_CODE = "remote_code", _("À distance, avec un code envoyé par courriel ou SMS")


class IdentityDocument(models.TextChoices):
    """The identity document a mediator checked before a person without an account signs a mandate at the counter."""

    ID_CARD = "id_card", _("Carte nationale d'identité")
    PASSPORT = "passport", _("Passeport")
    RESIDENCE_PERMIT = "residence_permit", _("Titre de séjour")
    DRIVING_LICENCE = "driving_licence", _("Permis de conduire")
    # Mandates signed at the counter before the check was recorded (7 December 2026); never chosen in a form.
    NOT_RECORDED = "not_recorded", _("Non relevée (mandat signé avant le 7 décembre 2026)")

    @classmethod
    def checkable(cls) -> list[tuple[str, str]]:
        return [(value, label) for value, label in cls.choices if value != cls.NOT_RECORDED]


class CodeChannel(models.TextChoices):
    EMAIL = "email", _("Courriel")
    SMS = "sms", _("SMS")


class RevokedBy(models.TextChoices):
    PERSON = "person", _("La personne")
    ORGANISATION = "organisation", _("L'organisation")


class MandateState(models.TextChoices):
    PENDING = "pending", _("En attente du consentement")
    ACTIVE = "active", _("Actif")
    EXPIRED = "expired", _("Expiré")
    REVOKED = "revoked", _("Révoqué")
    REFUSED = "refused", _("Refusé par la personne")
    LAPSED = "lapsed", _("Jamais confirmé (demande expirée)")
