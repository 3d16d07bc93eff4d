from django.urls import path

from guichet.accounts import security_views, views

app_name = "accounts"

urlpatterns = [
    path("inscription/", views.register, name="register"),
    path("inscription/envoyee/", views.registration_done, name="registration_done"),
    path("verification/renvoyer/", views.resend_verification, name="resend_verification"),
    path("verification/<str:token>/", views.verify_email, name="verify_email"),
    path("connexion/", views.login_view, name="login"),
    path("connexion/autoriser/<str:token>/", views.login_unlock, name="login_unlock"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("securite/activation/", security_views.otp_setup, name="otp_setup"),
    path("securite/activation/<str:token>/", security_views.otp_enrolment_link, name="otp_enrolment_link"),
    path("securite/verification/", security_views.otp_verify, name="otp_verify"),
    path("franceconnect/", security_views.oidc_start, name="oidc_start"),
    path("franceconnect/retour/", security_views.oidc_callback, name="oidc_callback"),
    path("franceconnect/lier/", security_views.oidc_link, name="oidc_link"),
    path("mot-de-passe/oublie/", views.password_reset, name="password_reset"),
    path("mot-de-passe/oublie/envoye/", views.password_reset_done, name="password_reset_done"),
    path("mot-de-passe/nouveau/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("mot-de-passe/nouveau/termine/", views.password_reset_complete, name="password_reset_complete"),
    path("mot-de-passe/modifier/", views.password_change, name="password_change"),
    path("", views.profile, name="profile"),
    path("profil/", views.profile_edit, name="profile_edit"),
    path("foyer/", views.household_start, name="household_start"),
    path("foyer/etape/<int:step>/", views.household_step, name="household_step"),
    path("foyer/recapitulatif/", views.household_recap, name="household_recap"),
    path("foyer/abandonner/", views.household_draft_discard, name="household_draft_discard"),
    path("consentements/", views.consents, name="consents"),
    path("consentements/<uuid:public_id>/retirer/", views.consent_withdraw, name="consent_withdraw"),
    path("journal/", views.journal, name="journal"),
]
