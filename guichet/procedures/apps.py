from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "guichet.procedures"
    verbose_name = _("Démarches")
    default_auto_field = "django.db.models.BigAutoField"
