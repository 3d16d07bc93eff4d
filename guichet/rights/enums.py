from django.db import models
from django.utils.translation import gettext_lazy as _


class TakeUpStage(models.TextChoices):
    """How far a person went with an aid they may be entitled to: the measure of non-take-up."""

    SIMULATED = "simulated", _("Simulé")
    APPLIED = "applied", _("Demandé")
    GRANTED = "granted", _("Accordé")


class SimulationChannel(models.TextChoices):
    ANONYMOUS = "anonymous", _("Visiteur anonyme")
    ACCOUNT = "account", _("Usager connecté")
    MEDIATOR = "mediator", _("Avec un médiateur")
    API = "api", _("Interface de programmation")
