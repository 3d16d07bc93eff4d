import pytest

from guichet.audit.enums import AuditAction
from guichet.audit.models import AuditEvent
from guichet.audit.services import event_record


@pytest.fixture(autouse=True)
def heads_file(settings, tmp_path):
    """Each test publishes to a file of its own, and emails no one unless it says so."""
    settings.AUDIT_HEADS_FILE = tmp_path / "published" / "audit_heads.txt"
    settings.AUDIT_HEADS_EMAIL = []
    return settings.AUDIT_HEADS_FILE


@pytest.fixture
def chain(citizen):
    for action in [AuditAction.LOGIN, AuditAction.PROFILE_UPDATED, AuditAction.CONSENT_GIVEN, AuditAction.LOGOUT]:
        event_record(action=action, actor=citizen, subject=citizen, target=citizen.person, data={"n": action.value})
    return list(AuditEvent.objects.order_by("seq"))
