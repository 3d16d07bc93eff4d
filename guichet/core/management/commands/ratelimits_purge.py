from django.core.management.base import BaseCommand

from guichet.core import ratelimit


class Command(BaseCommand):
    help = "Delete the rate-limit counters and locks whose window is over (run it hourly: the table stays small)."

    def handle(self, *args, **options) -> None:
        deleted = ratelimit.purge()
        self.stdout.write(f"{deleted} compteur(s) expiré(s) supprimé(s).")
