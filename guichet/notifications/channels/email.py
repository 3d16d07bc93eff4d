from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from guichet.notifications.channels.base import DeliveryError
from guichet.notifications.enums import Status


class EmailChannel:
    """Email through Django's configured email backend."""

    def deliver(self, notification) -> str:
        user = notification.person.user
        if user is None or not user.email:
            raise DeliveryError("no email address")
        body = render_to_string(
            "notifications/email.txt", {"notification": notification, "site_url": settings.SITE_URL}
        )
        send_mail(notification.subject, body, None, [user.email])
        return Status.SENT
