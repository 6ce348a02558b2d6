from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def _notification_id() -> str:
    return f"NTF-{secrets.token_hex(6).upper()}"


def _message_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


class Channel(models.TextChoices):
    EMAIL = "email"
    SLACK = "slack"
    TEAMS = "teams"
    WEBHOOK = "webhook"


class NotificationChannel(models.Model):
    """A named destination admins configure: a Slack or Teams incoming webhook,
    a signed webhook endpoint, or an email address. Tools refer to it by name."""

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Channel.choices)
    target = models.CharField(max_length=500, help_text="webhook URL or email address")
    secret = models.CharField(
        max_length=200, blank=True, help_text="whsec_... signing secret (webhook channels)"
    )
    description = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Notification(models.Model):
    """One send_notification call: a message to one or more recipients."""

    notification_id = models.CharField(
        max_length=20, unique=True, default=_notification_id, editable=False
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    message = models.TextField()
    attachments = models.JSONField(default=list, blank=True, help_text="report ids")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.notification_id


class Delivery(models.Model):
    """The message to one recipient, with its retry state."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed"

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, db_index=True)
    recipient = models.CharField(max_length=500, help_text="as given: address, URL or name")
    target = models.CharField(max_length=500, help_text="resolved address or URL")
    named_channel = models.ForeignKey(
        NotificationChannel, null=True, blank=True, on_delete=models.SET_NULL
    )
    message_id = models.CharField(max_length=40, default=_message_id, editable=False)
    body = models.BinaryField(blank=True, help_text="the exact bytes POSTed, same on every try")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} [{self.status}]"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    ok = models.BooleanField(default=False)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.FloatField(default=0)
    retry_in_s = models.FloatField(null=True, blank=True)
    attempted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_unique")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
