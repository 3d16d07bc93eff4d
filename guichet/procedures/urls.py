from django.urls import path

from guichet.procedures.views import backoffice, citizen

app_name = "procedures"

urlpatterns = [
    # The person's side.
    path("", citizen.catalog, name="catalog"),
    path("mes-dossiers/", citizen.mine, name="mine"),
    path("abonnements/", citizen.subscriptions, name="subscriptions"),
    path("abonnements/renouveler/", citizen.renew, name="renew"),
    path("<slug:slug>/commencer/", citizen.start, name="start"),
    path("dossier/<uuid:public_id>/", citizen.detail, name="detail"),
    path("dossier/<uuid:public_id>/etape/<int:step>/", citizen.step, name="step"),
    path("dossier/<uuid:public_id>/recapitulatif/", citizen.recap, name="recap"),
    path("dossier/<uuid:public_id>/recepisse.pdf", citizen.receipt, name="receipt"),
    path("dossier/<uuid:public_id>/message/", citizen.message, name="message"),
    path("dossier/<uuid:public_id>/completer/", citizen.resubmit, name="resubmit"),
    path("dossier/<uuid:public_id>/retirer/", citizen.withdraw, name="withdraw"),
    path("decision/<uuid:public_id>/courrier.pdf", citizen.decision_letter, name="decision_letter"),
    path("decision/<uuid:public_id>/recours/", citizen.review_request, name="review_request"),
    path("piece/<uuid:public_id>/", citizen.document, name="document"),
    # The agents' back-office.
    path("instruction/", backoffice.queue, name="queue"),
    path("instruction/export.csv", backoffice.export, name="export"),
    path("instruction/suivant/", backoffice.next_case, name="next"),
    path("instruction/parapheur/", backoffice.signatures, name="signatures"),
    path("instruction/dossier/<uuid:public_id>/", backoffice.case, name="case"),
    path("instruction/dossier/<uuid:public_id>/attribuer/", backoffice.case_assign, name="case_assign"),
    path("instruction/dossier/<uuid:public_id>/note/", backoffice.case_annotate, name="case_annotate"),
    path("instruction/dossier/<uuid:public_id>/etat/", backoffice.case_transition, name="case_transition"),
    path("instruction/dossier/<uuid:public_id>/message/", backoffice.case_message, name="case_message"),
    path("instruction/dossier/<uuid:public_id>/decision/", backoffice.case_decide, name="case_decide"),
    path("instruction/decision/<uuid:public_id>/signer/", backoffice.decision_sign, name="decision_sign"),
    path("instruction/decision/<uuid:public_id>/renvoyer/", backoffice.decision_return, name="decision_return"),
    path("instruction/recours/<uuid:public_id>/", backoffice.review, name="review"),
]
