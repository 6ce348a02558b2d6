"""Inbound webhooks: signed endpoints that start an automation, and a row for
every delivery (verified or not) with the response it got."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.crypto import decrypt, encrypt


class WebhookEndpoint(models.Model):
    """Secrets are needed in clear for HMAC, so they are stored encrypted at
    rest (apps.core.crypto, Fernet) and shown to a human once, at creation or
    rotation. After a rotation the previous secret is still accepted until
    `previous_secret_expires_at`."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    automation = models.ForeignKey(
        "workflows.Automation", on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    max_body_bytes = models.PositiveIntegerField(default=256 * 1024)
    rate_limit_per_minute = models.PositiveIntegerField(default=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def secret(self) -> str:
        return decrypt(self.secret_encrypted)

    def secrets_valid(self, now: object = None) -> list[str]:
        found = [self.secret]
        current = now or timezone.now()
        if self.previous_secret_encrypted and (
            self.previous_secret_expires_at is None or self.previous_secret_expires_at > current
        ):
            found.append(decrypt(self.previous_secret_encrypted))
        return found

    def set_secret(self, value: str) -> None:
        self.secret_encrypted = encrypt(value)


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted"  # stored, processing queued
        PROCESSED = "processed"  # the automation started
        FAILED = "failed"  # the automation could not start
        REJECTED = "rejected"  # failed verification; nothing started

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    webhook_id = models.CharField(max_length=200)
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True)
    verified = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACCEPTED)
    response_code = models.PositiveSmallIntegerField(default=202)
    response_body = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    targets = models.JSONField(default=dict, blank=True)  # ids of the runs it started
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    replayed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # Only verified deliveries claim their id: a forged request cannot
            # block a genuine one by sending its webhook-id first.
            models.UniqueConstraint(
                fields=["endpoint", "webhook_id"],
                condition=models.Q(verified=True),
                name="webhookdelivery_unique_id",
            )
        ]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.endpoint_id}/{self.webhook_id} [{self.status}]"
