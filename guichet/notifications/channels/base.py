from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from guichet.notifications.models import Notification


class DeliveryError(Exception):
    """The channel could not deliver; the notification is marked failed with this message."""


class ChannelBackend(Protocol):
    def deliver(self, notification: "Notification") -> str:
        """Deliver the notification and return its new status (sent, or to_print for letters)."""


def backend_for(channel: str) -> ChannelBackend:
    """The backend configured for a channel in NOTIFICATION_CHANNELS."""
    return import_string(settings.NOTIFICATION_CHANNELS[channel])()
