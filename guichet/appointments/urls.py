from django.urls import path

from guichet.appointments.views import agent, citizen, public

app_name = "appointments"

urlpatterns = [
    path("", citizen.mine, name="mine"),
    path("prendre/", citizen.agendas, name="agendas"),
    path("agendas/<uuid:public_id>/", citizen.availability, name="availability"),
    path("agendas/<uuid:public_id>/reserver/", citizen.book, name="book"),
    path("mes-rendez-vous/<uuid:public_id>/", citizen.detail, name="detail"),
    path("mes-rendez-vous/<uuid:public_id>/rendez-vous.ics", citizen.booking_ics, name="booking_ics"),
    path("mes-rendez-vous/<uuid:public_id>/annuler/", citizen.cancel, name="cancel"),
    path("mes-rendez-vous/<uuid:public_id>/deplacer/", citizen.reschedule, name="reschedule"),
    path("tirages/<uuid:public_id>/demander/", citizen.lottery_request, name="lottery_request"),
    path("tirages/", public.lottery_list, name="lottery_list"),
    path("tirages/<uuid:public_id>/", public.lottery_public, name="lottery_public"),
    path("flux/<str:token>/agenda.ics", public.agenda_feed, name="agenda_feed"),
    path("agent/", agent.home, name="agent_home"),
    path("agent/agendas/<uuid:public_id>/", agent.day, name="agent_day"),
    path("agent/agendas/<uuid:public_id>/reserver/", agent.desk_book, name="agent_book"),
    path("agent/agendas/<uuid:public_id>/flux/", agent.feed_rotate, name="agent_feed_rotate"),
    path("agent/rendez-vous/<uuid:public_id>/arrivee/", agent.check_in, name="agent_check_in"),
    path("agent/rendez-vous/<uuid:public_id>/absence/", agent.no_show, name="agent_no_show"),
    path("agent/absences/", agent.no_show_rates, name="agent_no_show_rates"),
    path("agent/signalements/", agent.report, name="agent_report"),
    path("agent/tirages/<uuid:public_id>/tirer/", agent.draw, name="agent_draw"),
]
