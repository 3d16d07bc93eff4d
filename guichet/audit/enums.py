from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Connexion")
    LOGIN_FAILED = "login_failed", _("Échec de connexion")
    LOGIN_LOCKED = "login_locked", _("Connexion bloquée après trop d'échecs")
    LOGOUT = "logout", _("Déconnexion")
    REGISTERED = "registered", _("Inscription")
    EMAIL_VERIFIED = "email_verified", _("Adresse électronique vérifiée")
    PASSWORD_RESET = "password_reset", _("Mot de passe réinitialisé")
    PASSWORD_CHANGED = "password_changed", _("Mot de passe modifié")
    PROFILE_UPDATED = "profile_updated", _("Profil modifié")
    HOUSEHOLD_UPDATED = "household_updated", _("Foyer modifié")
    CONSENT_GIVEN = "consent_given", _("Consentement donné")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consentement retiré")
    ROLE_CHANGED = "role_changed", _("Rôle modifié")
