"""Demo agendas: one per service of each demo counter, slots for the next two weeks, and one service in high
demand (identity cards and passports at Villeurbanne) whose second week is given by a draw."""

import datetime

from django.db import transaction
from django.utils import timezone

from guichet.accounts.enums import Role
from guichet.accounts.models import User
from guichet.appointments.models import Agenda, LotteryWindow
from guichet.appointments.services import slots_generate
from guichet.catalog.models import Place

HIGH_DEMAND = ("Mairie de Villeurbanne", "etat-civil")


@transaction.atomic
def load() -> list[str]:
    agents = list(User.objects.filter(role=Role.AGENT))
    agendas, slots = 0, 0
    for place in Place.objects.prefetch_related("services"):
        for service in place.services.all():
            agenda, created = Agenda.objects.get_or_create(
                place=place,
                service=service,
                defaults={"slot_minutes": 15 if service.slug == "etat-civil" else 30, "horizon_days": 14},
            )
            if created:
                agenda.agents.set(agents)
            agendas += 1
            if (place.name, service.slug) == HIGH_DEMAND and not agenda.lottery_windows.exists():
                today = timezone.localdate()
                now = timezone.now()
                LotteryWindow.objects.create(
                    agenda=agenda,
                    first_day=today + datetime.timedelta(days=8),
                    last_day=today + datetime.timedelta(days=14),
                    requests_open_at=now - datetime.timedelta(hours=1),
                    requests_close_at=now + datetime.timedelta(days=3),
                )
            slots += slots_generate(agenda=agenda)
    return [f"Rendez-vous : {agendas} agendas, {slots} nouveaux créneaux, un tirage au sort ouvert"]
