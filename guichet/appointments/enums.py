from django.db import models
from django.utils.translation import gettext_lazy as _


class BookingChannel(models.TextChoices):
    """Who made the booking and how. ``mediator`` is reserved for booking under a mandate (mediation app)."""

    ONLINE = "online", _("En ligne, par la personne")
    DESK = "desk", _("Au guichet, par un agent")
    PHONE = "phone", _("Par téléphone, par un agent")
    MEDIATOR = "mediator", _("Par un médiateur, sous mandat")


# Channels that may use the seats kept for people who do not book online.
ASSISTED_CHANNELS = frozenset({BookingChannel.DESK, BookingChannel.PHONE, BookingChannel.MEDIATOR})


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Réservé")
    CHECKED_IN = "checked_in", _("Présent")
    NO_SHOW = "no_show", _("Absent")
    CANCELLED = "cancelled", _("Annulé")


class ClosureKind(models.TextChoices):
    CLOSURE = "closure", _("Fermeture du lieu")
    ABSENCE = "absence", _("Absence d'un agent (une place de moins par créneau)")


class LotteryStatus(models.TextChoices):
    OPEN = "open", _("Demandes ouvertes")
    DRAWN = "drawn", _("Tirage effectué")


class LotteryRequestStatus(models.TextChoices):
    PENDING = "pending", _("En attente du tirage")
    WON = "won", _("Retenue : rendez-vous attribué")
    LOST = "lost", _("Non retenue")
