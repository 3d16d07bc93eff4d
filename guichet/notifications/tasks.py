from django_tasks import task


@task()
def deliver_notification(notification_id: int) -> None:
    """Background delivery of one notification (runs in `guichet db_worker`)."""
    from guichet.notifications.services import notification_deliver

    notification_deliver(notification_id=notification_id)
