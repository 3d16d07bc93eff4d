from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from guichet.core.policy import public
from guichet.rights import api as rights_api

urlpatterns = [
    path("", include("guichet.core.urls")),
    path("compte/", include("guichet.accounts.urls")),
    path("droits/", include("guichet.rights.urls")),
    path("notifications/", include("guichet.notifications.urls")),
    path("demarches/", include("guichet.procedures.urls")),
    path("rendez-vous/", include("guichet.appointments.urls")),
    path("mediation/", include("guichet.mediation.urls")),
    path("api/v1/", rights_api.urls()),
    path("i18n/setlang/", public(set_language), name="set_language"),
    # One login for everyone, with its brute-force protection: the admin uses it too.
    path(
        "admin/login/",
        public(RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
]
handler400 = "guichet.core.errors.bad_request"
handler403 = "guichet.core.errors.permission_denied"
handler404 = "guichet.core.errors.page_not_found"
handler500 = "guichet.core.errors.server_error"
