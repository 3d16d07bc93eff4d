from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from guichet.audit.heads import HeadsFileError, heads_read
from guichet.audit.models import AuditEvent
from guichet.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Verify the whole audit chain (every event's MAC under its key) against the heads published by "
        "audit_publish, check that every event is chained (or sealed and recent), and name the first inconsistency."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--heads-file",
            type=Path,
            help="published heads to check against (default: AUDIT_HEADS_FILE), e.g. a copy kept by an auditor",
        )
        parser.add_argument("--expect-head", help="also require this MAC, a head received by email for instance")

    def handle(self, *args, heads_file=None, expect_head=None, **options):
        path = heads_file or settings.AUDIT_HEADS_FILE
        if heads_file is not None and not path.exists():
            raise CommandError(f"No published heads at {path}")
        try:
            heads = heads_read(path)
        except HeadsFileError as exc:
            raise CommandError(f"Published heads unreadable: {exc}") from exc
        report = audit_chain_verify(heads=heads)
        if not report.ok:
            raise CommandError(str(report))
        if expect_head and not AuditEvent.objects.filter(hash=expect_head).exists():
            raise CommandError("Audit chain broken: the head given with --expect-head is no longer in the journal")
        waiting = f"; {report.waiting} recent events sealed and waiting to be chained" if report.waiting else ""
        self.stdout.write(
            f"Audit chain OK: {report.checked} events, head #{report.checked} "
            f"(key {report.head_key_id or '-'}) {report.head}; {report.heads_checked} published heads checked"
            f"{waiting}"
        )
        if not report.heads_checked:
            self.stderr.write(
                f"No head published in {path} yet: events removed from the end of the journal cannot be detected. "
                "Run `guichet audit_publish` daily."
            )
