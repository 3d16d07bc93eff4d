from django.core.management.base import BaseCommand

from guichet.mediation.services import REMINDER_DAYS, mandates_remind


class Command(BaseCommand):
    help = f"Remind people whose mandate ends within {REMINDER_DAYS} days (idempotent: run it daily)."

    def handle(self, *args, **options) -> None:
        sent = mandates_remind()
        self.stdout.write(f"{sent} rappel(s) envoyé(s).")
