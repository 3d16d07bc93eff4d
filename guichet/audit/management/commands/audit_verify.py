from django.core.management.base import BaseCommand, CommandError

from guichet.audit.models import AuditEvent
from guichet.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the whole audit hash chain and name the first broken row."

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-head",
            help="a head hash published earlier: rows removed from the end of the journal are detected",
        )

    def handle(self, *args, expect_head=None, **options):
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(f"Audit chain broken at event #{report.broken_seq}: {report.reason}")
        if expect_head and not AuditEvent.objects.filter(hash=expect_head).exists():
            raise CommandError("Audit chain broken: the published head hash is no longer in the journal")
        self.stdout.write(f"Audit chain OK: {report.checked} events, head {report.head}")
