from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ToolCall(models.Model):
    """One call of one tool, whoever made it. Written by the executor only."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # the tool reported an error or crashed
        INVALID = "invalid_arguments"
        DENIED = "denied"
        UNKNOWN = "unknown_tool"
        TIMEOUT = "timeout"
        WAITING = "waiting_approval"
        REJECTED = "rejected"

    class Source(models.TextChoices):
        AGENT = "agent"
        API = "api"
        DASHBOARD = "dashboard"
        WORKFLOW = "workflow"
        WEBHOOK = "webhook"
        RULE = "rule"

    tool_name = models.CharField(max_length=100, db_index=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    run = models.ForeignKey(
        "agents.Run", null=True, blank=True, on_delete=models.CASCADE, related_name="tool_calls"
    )
    tool_call_id = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001  NULLs stay unique-free
    arguments = models.JSONField(default=dict)
    result = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    error_kind = models.CharField(max_length=50, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        permissions = [("use_tools", "May run tools (directly or through agents)")]
        constraints = [
            models.UniqueConstraint(
                fields=["tool_name", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="toolcall_unique_idempotency_key",
            )
        ]
        indexes = [models.Index(fields=["run", "tool_call_id"])]

    def __str__(self) -> str:
        return f"{self.tool_name} [{self.status}]"

    @property
    def ok(self) -> bool:
        return self.status == self.Status.SUCCEEDED


class ToolDailyStats(models.Model):
    """Per tool and day counters, updated atomically by the executor."""

    tool_name = models.CharField(max_length=100)
    day = models.DateField()
    calls = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    total_ms = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tool_name", "day"], name="tool_daily_stats_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tool_name} {self.day}"


class Approval(models.Model):
    """A gated call waiting for a human. The arguments are persisted here, so
    an approval survives a restart of every process."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        EXPIRED = "expired"

    tool_call = models.OneToOneField(ToolCall, on_delete=models.CASCADE, related_name="approval")
    run = models.ForeignKey(
        "agents.Run", null=True, blank=True, on_delete=models.CASCADE, related_name="approvals"
    )
    tool_name = models.CharField(max_length=100)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approvals_requested",
    )
    arguments = models.JSONField(default=dict)
    approved_arguments = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approvals_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("decide_approval", "May approve or reject gated tool calls")]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"approval of {self.tool_name} [{self.status}]"

    @property
    def final_arguments(self) -> dict:
        return self.approved_arguments if self.approved_arguments is not None else self.arguments

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
