from django.core.management.base import BaseCommand

from guichet.appointments.services import bookings_remind


class Command(BaseCommand):
    help = "Remind everyone booked for tomorrow (email, and SMS when chosen). Safe to run again."

    def handle(self, *args, **options):
        count = bookings_remind()
        self.stdout.write(f"{count} rappel(s) envoyé(s)")
