from __future__ import annotations

from django.db.models import QuerySet

from apps.webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_enabled(*, slug: str) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(slug=slug, enabled=True).first()


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("automation")


def delivery_list(*, endpoint: WebhookEndpoint, status: str = "") -> QuerySet[WebhookDelivery]:
    deliveries = endpoint.deliveries.all()
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries
