from __future__ import annotations

from rest_framework import generics, serializers

from apps.notifications import selectors
from apps.notifications.models import Delivery, DeliveryAttempt, Notification


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "ok",
            "response_code",
            "error",
            "duration_ms",
            "retry_in_s",
            "attempted_at",
        ]


class DeliverySerializer(serializers.ModelSerializer):
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "recipient",
            "status",
            "attempts",
            "response_code",
            "error",
            "next_attempt_at",
            "attempt_log",
        ]


class NotificationSerializer(serializers.ModelSerializer):
    deliveries = DeliverySerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = Notification
        fields = [
            "notification_id",
            "channel",
            "message",
            "attachments",
            "created_by",
            "created_at",
            "deliveries",
        ]


class NotificationListApi(generics.ListAPIView):
    serializer_class = NotificationSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        notifications = selectors.notifications_visible_to(self.request.user).prefetch_related(
            "deliveries__attempt_log"
        )
        if channel := self.request.query_params.get("channel"):
            notifications = notifications.filter(channel=channel)
        return notifications
