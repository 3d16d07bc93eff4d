from django.core.management.base import BaseCommand

from guichet.mediation.services import REMINDER_DAYS, mandate_requests_remind, mandates_remind


class Command(BaseCommand):
    help = (
        f"Remind people whose mandate ends within {REMINDER_DAYS} days, and tell people who have an account of the "
        "mandates waiting for their answer (idempotent: run it daily)."
    )

    def handle(self, *args, **options) -> None:
        sent = mandates_remind()
        self.stdout.write(f"{sent} rappel(s) envoyé(s).")
        told = mandate_requests_remind()
        self.stdout.write(f"{told} demande(s) de mandat signalée(s).")
