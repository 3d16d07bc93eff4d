from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from guichet.audit.heads import HeadsFileError
from guichet.audit.services import AuditChainBroken, AuditHeadEmailFailed, audit_chain_rekey


class Command(BaseCommand):
    help = (
        "Sign the audit journal again with AUDIT_CHAIN_KEY from a verified state, then publish its new head: once "
        "after upgrading from the unkeyed chain, or to stop trusting an old key. Refused if the journal does not "
        "verify."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-head",
            default="",
            help="a head published by hand before the upgrade (audit_verify's former output): it must still be there",
        )

    def handle(self, *args, expect_head, **options):
        try:
            count, head = audit_chain_rekey(expect_head=expect_head)
        except AuditChainBroken as exc:
            raise CommandError(f"{exc}. Nothing signed again: investigate before anything else.") from exc
        except (HeadsFileError, AuditHeadEmailFailed) as exc:
            raise CommandError(str(exc)) from exc
        if head is None:
            self.stdout.write("Every event is already signed with the current key: nothing to do.")
            return
        self.stdout.write(
            f"{count} events signed again with key {head.key_id}; new head published in {settings.AUDIT_HEADS_FILE}: "
            f"{head.line()}"
        )
