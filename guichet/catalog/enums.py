from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceKind(models.TextChoices):
    POOL = "pool", _("Piscine")
    CANTEEN = "canteen", _("Restauration scolaire")
    TRANSPORT = "transport", _("Transports en commun")
    LIBRARY = "library", _("Médiathèque")
    CULTURE = "culture", _("Culture")
    SOCIAL = "social", _("Action sociale")
    CIVIL = "civil", _("État civil et citoyenneté")
    HOUSING = "housing", _("Logement")


class PlaceKind(models.TextChoices):
    FRANCE_SERVICES = "france_services", _("Espace France Services")
    TOWN_HALL = "town_hall", _("Mairie")
    CCAS = "ccas", _("Centre communal d'action sociale (CCAS)")
    OTHER = "other", _("Autre accueil")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")
