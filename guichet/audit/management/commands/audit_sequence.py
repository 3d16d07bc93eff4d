from django.core.management.base import BaseCommand

from guichet.audit.services import audit_sequence


class Command(BaseCommand):
    help = (
        "Chain the audit events still waiting to be chained (writers chain them at once when they can; this catches "
        "those left behind by a race or a crash). Every minute."
    )

    def handle(self, *args, **options):
        count = audit_sequence()
        if count:
            self.stdout.write(f"{count} audit events chained")
