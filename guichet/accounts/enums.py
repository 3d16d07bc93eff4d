from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Usager")
    MEDIATOR = "mediator", _("Médiateur")
    AGENT = "agent", _("Agent instructeur")
    SUPERVISOR = "supervisor", _("Superviseur")
    ADMIN = "admin", _("Administrateur du territoire")


STAFF_ROLES = frozenset({Role.MEDIATOR, Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


class Language(models.TextChoices):
    FR = "fr", _("Français")
    EN = "en", _("Anglais")


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("Courriel")
    SMS = "sms", _("SMS")
    POSTAL = "postal", _("Courrier postal uniquement")


class Relationship(models.TextChoices):
    SELF = "self", _("Moi-même")
    PARTNER = "partner", _("Conjoint, partenaire de PACS ou concubin")
    CHILD = "child", _("Enfant")
    OTHER = "other", _("Autre personne")


class Situation(models.TextChoices):
    EMPLOYED = "employed", _("Salarié")
    SELF_EMPLOYED = "self_employed", _("Indépendant")
    UNEMPLOYED = "unemployed", _("Demandeur d'emploi")
    STUDENT = "student", _("Étudiant ou élève")
    RETIRED = "retired", _("Retraité")
    DISABLED = "disabled", _("En situation de handicap, sans emploi")
    INACTIVE = "inactive", _("Sans activité")
    CHILD = "child", _("Jeune enfant, non scolarisé")


class Housing(models.TextChoices):
    TENANT = "tenant", _("Locataire")
    SOCIAL_TENANT = "social_tenant", _("Locataire d'un logement social (HLM)")
    OWNER = "owner", _("Propriétaire")
    HOSTED = "hosted", _("Hébergé gratuitement")
    HOMELESS = "homeless", _("Sans domicile stable")


RENTING = frozenset({Housing.TENANT, Housing.SOCIAL_TENANT})


class ResourceKind(models.TextChoices):
    SALARY = "salary", _("Salaires")
    UNEMPLOYMENT = "unemployment", _("Allocations chômage")
    PENSION = "pension", _("Pensions et retraites")
    OTHER = "other", _("Autres revenus")


class ConsentPurpose(models.TextChoices):
    DATA_REUSE = "data_reuse", _("Réutiliser mes données dans toutes les démarches du territoire")
    PROACTIVE_RIGHTS = "proactive_rights", _("Être informé(e) des aides auxquelles j'ai peut-être droit")
