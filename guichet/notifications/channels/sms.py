"""SMS: a gateway interface and a fake gateway that keeps messages in memory (no SMS provider here)."""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from guichet.notifications.channels.base import DeliveryError
from guichet.notifications.enums import Status


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str) -> str:
        """Send one SMS and return the provider's message id."""


@dataclass
class SentSms:
    to: str
    text: str


class FakeSmsGateway:
    """Stands in for a provider: every message sent is kept in ``outbox`` (tests read it)."""

    outbox: list[SentSms] = []

    def send(self, *, to: str, text: str) -> str:
        FakeSmsGateway.outbox.append(SentSms(to=to, text=text))
        return f"fake-{len(FakeSmsGateway.outbox)}"


class SmsChannel:
    max_length = 320

    def deliver(self, notification) -> str:
        phone = notification.person.phone
        if not phone:
            raise DeliveryError("no phone number")
        gateway: SmsGateway = import_string(settings.SMS_GATEWAY)()
        text = notification.subject if not notification.link else f"{notification.subject} {notification.link}"
        gateway.send(to=phone, text=text[: self.max_length])
        return Status.SENT
