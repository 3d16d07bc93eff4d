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
    FURNISHED_TENANT = "furnished_tenant", _("Locataire d'un logement meublé")
    SOCIAL_TENANT = "social_tenant", _("Locataire d'un logement social (HLM)")
    OWNER = "owner", _("Propriétaire")
    HOSTED = "hosted", _("Hébergé gratuitement")
    HOMELESS = "homeless", _("Sans domicile stable")


# Rented dwellings: the rent (without charges) is asked, and whether it is a shared tenancy.
RENTING = frozenset({Housing.TENANT, Housing.FURNISHED_TENANT, Housing.SOCIAL_TENANT})


class SchoolLevel(models.TextChoices):
    """The class a member attends this school year (asked for children of 3 or more)."""

    MATERNELLE = "maternelle", _("École maternelle")
    PRIMAIRE = "primaire", _("École élémentaire")
    COLLEGE = "college", _("Collège")
    LYCEE = "lycee", _("Lycée, CAP ou apprentissage")
    SUPERIEUR = "superieur", _("Études supérieures")
    NONE = "none", _("Pas scolarisé")


class SelfEmployedActivity(models.TextChoices):
    """The kind of a micro-enterprise: it decides how its turnover counts."""

    SALES = "sales", _("Vente de marchandises")
    SERVICES = "services", _("Prestations de services (artisan, commerçant)")
    LIBERAL = "liberal", _("Profession libérale")


class ResourceKind(models.TextChoices):
    """Net monthly amounts, as on a pay slip or a bank statement.

    Households saved before these kinds had "other" ("Autres revenus"): migration 0003 made it "child_support".
    """

    SALARY = "salary", _("Salaires nets")
    SELF_EMPLOYED = "self_employed", _("Chiffre d'affaires de micro-entreprise")
    UNEMPLOYMENT = "unemployment", _("Allocations chômage")
    PENSION = "pension", _("Retraites")
    DISABILITY_PENSION = "disability_pension", _("Pension d'invalidité")
    CHILD_SUPPORT = "child_support", _("Pension alimentaire reçue")
    CHILD_SUPPORT_PAID = "child_support_paid", _("Pension alimentaire versée")


# Kinds that no longer exist, and the kind each one is read as (drafts and answers made before they went away).
LEGACY_RESOURCE_KINDS = {"other": ResourceKind.CHILD_SUPPORT.value}


class ConsentPurpose(models.TextChoices):
    DATA_REUSE = "data_reuse", _("Réutiliser mes données dans toutes les démarches du territoire")
    PROACTIVE_RIGHTS = "proactive_rights", _("Être informé(e) des aides auxquelles j'ai peut-être droit")
