from django.urls import path

from guichet.mediation import views

app_name = "mediation"

urlpatterns = [
    # The organisation's side (mediators).
    path("", views.home, name="home"),
    path("personne/nouvelle/", views.person_create, name="person_create"),
    path("mandats/nouveau/", views.mandate_create, name="mandate_create"),
    path("mandats/<uuid:public_id>/", views.mandate_detail, name="mandate"),
    path("mandats/<uuid:public_id>/pdf/", views.mandate_pdf, name="mandate_pdf"),
    path("mandats/<uuid:public_id>/signe/", views.mandate_sign, name="mandate_sign"),
    path("mandats/<uuid:public_id>/code/envoyer/", views.code_send, name="code_send"),
    path("mandats/<uuid:public_id>/code/verifier/", views.code_check, name="code_check"),
    path("mandats/<uuid:public_id>/revoquer/", views.mandate_revoke, name="mandate_revoke"),
    path("mandats/<uuid:public_id>/agir/", views.acting_start, name="acting_start"),
    path("mandats/<uuid:public_id>/code-de-reprise/", views.takeover_letter, name="takeover_letter"),
    path("habilitations/<uuid:public_id>/revoquer/", views.authorization_revoke, name="authorization_revoke"),
    path("pour-qui/", views.acting_menu, name="acting_menu"),
    path("arreter/", views.acting_stop, name="acting_stop"),
    # The person's side.
    path("mes-mandats/", views.mine, name="mine"),
    path("mes-mandats/<uuid:public_id>/accepter/", views.my_mandate_accept, name="my_mandate_accept"),
    path("mes-mandats/<uuid:public_id>/refuser/", views.my_mandate_refuse, name="my_mandate_refuse"),
    path("mes-mandats/<uuid:public_id>/revoquer/", views.my_mandate_revoke, name="my_mandate_revoke"),
    path(
        "mes-habilitations/<uuid:public_id>/revoquer/", views.my_authorization_revoke, name="my_authorization_revoke"
    ),
    # Opening an account on a record created at the counter.
    path("reprendre-mon-compte/", views.takeover, name="takeover"),
]
