from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "guichet.rights"
    label = "rights"
    verbose_name = _("Mes droits")

    def ready(self) -> None:
        from guichet.accounts import household_form

        user_logged_in.connect(_keep_on_login, dispatch_uid="rights-keep-on-login")
        household_form.aid_labels_register(_aid_labels)


def _aid_labels() -> dict[str, str]:
    """The names of the national aids, for the household's "aids received" (the household form shows them)."""
    from guichet.rights.engine.benefits import BENEFITS

    return {benefit.id: str(benefit.label) for benefit in BENEFITS}


def _keep_on_login(sender, request, user, **kwargs) -> None:
    """A result a visitor asked to keep is saved into the account they log in with (``views.keep``)."""
    if request is None or not hasattr(request, "session"):
        return
    from guichet.rights.views import keep_on_login

    keep_on_login(request, user)
