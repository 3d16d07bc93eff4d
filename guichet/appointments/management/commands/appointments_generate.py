from django.core.management.base import BaseCommand

from guichet.appointments.models import Agenda
from guichet.appointments.services import slots_generate


class Command(BaseCommand):
    help = "Generate the slots of every active agenda over its horizon (days already generated are kept)."

    def handle(self, *args, **options):
        total = sum(slots_generate(agenda=agenda) for agenda in Agenda.objects.active())
        self.stdout.write(f"{total} créneau(x) créé(s)")
