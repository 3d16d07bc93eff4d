from django.contrib import admin

from guichet.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "channel", "status", "kind", "created_at", "sent_at"]
    list_filter = ["channel", "status", "kind"]
    readonly_fields = ["person", "channel", "kind", "subject", "body", "link", "key", "sent_at", "letter", "error"]
