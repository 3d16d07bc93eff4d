from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from guichet.audit.heads import HeadsFileError
from guichet.audit.services import AuditChainBroken, AuditHeadEmailFailed, audit_head_publish


class Command(BaseCommand):
    help = (
        "Verify the audit journal, then append today's head (date, last event, key id, MAC) to AUDIT_HEADS_FILE and "
        "email it to AUDIT_HEADS_EMAIL. Once a day: running it again the same day does nothing."
    )

    def handle(self, *args, **options):
        try:
            head, published = audit_head_publish()
        except AuditChainBroken as exc:
            raise CommandError(f"{exc}. Nothing published.") from exc
        except (HeadsFileError, AuditHeadEmailFailed) as exc:
            raise CommandError(str(exc)) from exc
        if not published:
            self.stdout.write(f"Head of {head.date.isoformat()} already published: {head.line()}")
            return
        emailed = f", emailed to {', '.join(settings.AUDIT_HEADS_EMAIL)}" if settings.AUDIT_HEADS_EMAIL else ""
        self.stdout.write(f"Published in {settings.AUDIT_HEADS_FILE}{emailed}: {head.line()}")
