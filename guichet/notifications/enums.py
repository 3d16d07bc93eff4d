from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Courriel")
    SMS = "sms", _("SMS")
    POSTAL = "postal", _("Courrier postal")


class Status(models.TextChoices):
    PENDING = "pending", _("En attente")
    SENT = "sent", _("Envoyée")
    TO_PRINT = "to_print", _("Courrier à imprimer")
    PRINTED = "printed", _("Courrier imprimé et posté")
    FAILED = "failed", _("Échec")
