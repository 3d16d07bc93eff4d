"""Sending notifications: choose the channels a person asked for, record each message, deliver in the background."""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from guichet.notifications.channels import DeliveryError, backend_for
from guichet.notifications.enums import Channel, Status
from guichet.notifications.models import Notification

logger = logging.getLogger(__name__)


def channels_for(person) -> list[Channel]:
    """The channels to use for a person, from their preference and what we know of them.

    "Postal letters only" means no email and no SMS at all. People without an email address (records a
    mediator created) get letters.
    """
    has_email = bool(person.user_id and person.user.email)
    if person.contact_channel == Channel.POSTAL or not has_email:
        return [Channel.POSTAL]
    if person.contact_channel == Channel.SMS and person.phone:
        return [Channel.SMS, Channel.EMAIL]
    return [Channel.EMAIL]


def _not_before(channel: Channel, now: datetime.datetime) -> datetime.datetime | None:
    """SMS wait for the end of quiet hours (no message at night)."""
    if channel != Channel.SMS:
        return None
    start, end = settings.NOTIFICATION_QUIET_HOURS
    local = timezone.localtime(now)
    if start <= local.hour or local.hour < end:
        day = local.date() if local.hour < end else local.date() + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(end)))
    return None


@transaction.atomic
def notification_send(
    *, person, kind: str, subject: str, body: str, link: str = "", key: str | None = None
) -> list[Notification]:
    """Record one message for each of the person's channels and deliver it after the transaction commits.

    ``key`` makes the call idempotent: sending again with the same key creates and delivers nothing new.
    """
    now = timezone.now()
    created = []
    for channel in channels_for(person):
        if key and Notification.objects.filter(key=key, channel=channel).exists():
            continue
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    person=person,
                    channel=channel,
                    kind=kind,
                    subject=subject[:200],
                    body=body,
                    link=link,
                    key=key or "",
                    not_before=_not_before(channel, now),
                )
        except IntegrityError:  # the same key, sent concurrently
            continue
        created.append(notification)
    for notification in created:
        if notification.not_before is None:
            transaction.on_commit(lambda pk=notification.pk: _enqueue(pk))
    return created


def _enqueue(pk: int) -> None:
    from guichet.notifications.tasks import deliver_notification

    deliver_notification.enqueue(pk)


@transaction.atomic
def notification_deliver(*, notification_id: int) -> Notification | None:
    """Deliver one pending notification (idempotent: a notification already handled is left alone)."""
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("person__user")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.status != Status.PENDING:
        return notification
    try:
        notification.status = backend_for(notification.channel).deliver(notification)
        notification.sent_at = timezone.now()
        notification.error = ""
    except DeliveryError as exc:
        notification.status = Status.FAILED
        notification.error = str(exc)
        logger.warning("notification %s not delivered: %s", notification.public_id, exc)
    notification.save(update_fields=["status", "sent_at", "error", "letter", "updated_at"])
    return notification


def notifications_deliver_due(*, now: datetime.datetime | None = None) -> int:
    """Deliver every pending notification whose time has come (quiet hours over); returns how many."""
    ids = list(Notification.objects.due(now or timezone.now()).values_list("pk", flat=True))
    for pk in ids:
        notification_deliver(notification_id=pk)
    return len(ids)
