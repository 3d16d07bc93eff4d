from django.urls import path

from guichet.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<uuid:public_id>/courrier.pdf", views.letter, name="letter"),
]
