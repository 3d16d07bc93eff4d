from django.core.management.base import BaseCommand

from guichet.appointments.models import LotteryWindow
from guichet.appointments.services import lottery_draw


class Command(BaseCommand):
    help = "Run the draw of every lottery whose requests are closed, and tell everyone the outcome."

    def handle(self, *args, **options):
        for window in LotteryWindow.objects.due():
            window = lottery_draw(window=window)
            self.stdout.write(f"{window}: {len(window.draw_order)} demande(s), graine {window.seed}")
