"""Reads for notifications: staff see every delivery, others their own."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from apps.notifications.models import Delivery, DeliveryAttempt, Notification, NotificationChannel


def _is_staff(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and (user.is_staff or user.is_superuser))


def notifications_visible_to(user: Any) -> QuerySet[Notification]:
    notifications = Notification.objects.select_related("created_by").prefetch_related("deliveries")
    return notifications if _is_staff(user) else notifications.filter(created_by=user)


def deliveries_visible_to(user: Any) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.select_related("notification", "notification__created_by")
    deliveries = deliveries.prefetch_related(
        Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number"))
    ).defer("body")
    if _is_staff(user):
        return deliveries
    return deliveries.filter(notification__created_by=user)


def channels_all() -> QuerySet[NotificationChannel]:
    return NotificationChannel.objects.all()


def channel_manager(user: Any) -> bool:
    return _is_staff(user)
