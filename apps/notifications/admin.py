from django.contrib import admin

from apps.notifications.models import Delivery, DeliveryAttempt, Notification, NotificationChannel


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "target", "enabled", "disabled_reason"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "target"]


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "number",
        "ok",
        "response_code",
        "error",
        "duration_ms",
        "retry_in_s",
        "attempted_at",
    ]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["notification", "channel", "recipient", "status", "attempts", "response_code"]
    list_filter = ["channel", "status"]
    search_fields = ["recipient", "notification__notification_id"]
    exclude = ["body"]
    readonly_fields = ["notification", "message_id", "named_channel"]
    inlines = [AttemptInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["notification_id", "channel", "created_by", "created_at"]
    list_filter = ["channel"]
    search_fields = ["notification_id", "message"]
