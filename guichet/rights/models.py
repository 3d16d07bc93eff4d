"""Saved simulations and the pseudonymous record of outcomes used to measure non-take-up."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.core.models import PublicModel
from guichet.rights.enums import SimulationChannel, TakeUpStage


class SavedSimulationQuerySet(models.QuerySet["SavedSimulation"]):
    def for_person(self, person) -> "SavedSimulationQuerySet":
        return self.filter(person=person)


class SavedSimulation(PublicModel):
    """A result the person chose to keep in their account, with everything needed to recompute it."""

    person = models.ForeignKey("accounts.Person", on_delete=models.CASCADE, related_name="simulations")
    period = models.CharField(_("mois simulé"), max_length=7)
    inputs = models.JSONField(_("informations utilisées"))
    results = models.JSONField(_("résultats"))
    versions = models.JSONField(_("versions du moteur et du modèle"))
    monthly_total = models.DecimalField(_("total mensuel estimé"), max_digits=10, decimal_places=2)

    objects = SavedSimulationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("simulation enregistrée")
        verbose_name_plural = _("simulations enregistrées")

    def __str__(self) -> str:
        return f"{self.period} — {self.monthly_total} €"


class TakeUpRecord(models.Model):
    """One aid at one stage for one pseudonymous person: simulated → applied → granted.

    ``pseudonym`` is the person's audit pseudonym when logged in, otherwise a random id per simulation:
    never a name, never an address.
    """

    pseudonym = models.UUIDField(default=uuid.uuid4, db_index=True)
    benefit = models.CharField(_("aide"), max_length=64)
    stage = models.CharField(_("étape"), max_length=16, choices=TakeUpStage.choices)
    channel = models.CharField(_("canal"), max_length=16, choices=SimulationChannel.choices)
    period = models.CharField(_("mois"), max_length=7)
    monthly_amount = models.DecimalField(_("montant mensuel estimé"), max_digits=10, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suivi du recours")
        verbose_name_plural = _("suivi du recours")

    def __str__(self) -> str:
        return f"{self.benefit} {self.stage}"
