from django.urls import path

from guichet.rights import views

app_name = "rights"

urlpatterns = [
    path("", views.start, name="start"),
    path("commencer/", views.begin, name="begin"),
    path("etape/<int:step>/", views.step, name="step"),
    path("resultats/", views.results_view, name="results"),
    path("resultats/pdf/", views.results_pdf, name="results_pdf"),
    path("resultats/enregistrer/", views.save, name="save"),
    path("resultats/mettre-a-jour-mon-foyer/", views.update_household, name="update_household"),
    path("resultats/garder/", views.keep, name="keep"),
    path("explication/<slug:benefit_id>/", views.explanation, name="explanation"),
    path("explication/<slug:benefit_id>/detail-technique/", views.explanation_detail, name="explanation_detail"),
    path("mes-simulations/", views.saved_list, name="saved_list"),
    path("mes-simulations/<uuid:public_id>/", views.saved_detail, name="saved_detail"),
]
