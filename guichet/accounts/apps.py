from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "guichet.accounts"
    label = "accounts"
    verbose_name = _("Comptes et foyers")

    def ready(self) -> None:
        # The session-limits middleware stamps the login time through a ``user_logged_in`` receiver: connect it
        # when Django starts, not when the first request loads the middleware (a login before any request, as a
        # test's ``force_login`` or a shell's, would otherwise start a session without its limits).
        from guichet.accounts import middleware  # noqa: F401
