from django.core.management.base import BaseCommand

from guichet.notifications.services import notifications_deliver_due


class Command(BaseCommand):
    help = "Deliver notifications held back (SMS during quiet hours) whose time has come. Run it every few minutes."

    def handle(self, *args, **options):
        count = notifications_deliver_due()
        self.stdout.write(f"{count} notification(s) delivered")
