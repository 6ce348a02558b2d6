from django.contrib import admin

from apps.webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "automation", "enabled", "rate_limit_per_minute"]
    exclude = ["secret_encrypted", "previous_secret_encrypted"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "endpoint",
        "webhook_id",
        "verified",
        "status",
        "response_code",
        "received_at",
    ]
    list_filter = ["status", "verified"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
