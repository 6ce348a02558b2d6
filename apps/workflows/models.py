"""Workflows: versioned step definitions, their durable runs, and the
triggers (automations and schedules) that start work without a human."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExecutionMode(models.TextChoices):
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"
    CONDITIONAL = "conditional"


class Workflow(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    execution_mode = models.CharField(
        max_length=20, choices=ExecutionMode.choices, default=ExecutionMode.SEQUENTIAL
    )
    max_workers = models.PositiveSmallIntegerField(default=4)
    service_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="runs act as this user; empty: as the user who starts them",
    )
    enabled = models.BooleanField(default=True)
    current_version = models.ForeignKey(
        "WorkflowVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkflowVersion(models.Model):
    """An immutable definition: editing a workflow adds a version."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    steps = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "number"], name="workflowversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id} v{self.number}"


class WorkflowRun(models.Model):
    """One execution. The definition is copied in, so a run is self-contained
    (ad-hoc runs from the execute_workflow tool have no stored workflow)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        WAITING = "waiting_approval"
        CANCELLED = "cancelled"

    workflow = models.ForeignKey(
        Workflow, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    version = models.ForeignKey(
        WorkflowVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    definition = models.JSONField(default=list)
    execution_mode = models.CharField(max_length=20, choices=ExecutionMode.choices)
    max_workers = models.PositiveSmallIntegerField(default=4)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="whose rights the steps use",
    )
    trigger = models.CharField(max_length=20, default="manual")
    inputs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"workflow run {self.pk} [{self.status}]"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.CANCELLED} or (
            self.status == self.Status.FAILED and self.finished_at is not None
        )


class StepRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # a human rejected it, or its approval expired
        SKIPPED = "skipped"
        WAITING = "waiting_approval"
        DEAD = "dead"  # retries exhausted or a non-retryable error: retry by hand

    workflow_run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="steps")
    step_id = models.CharField(max_length=100)
    action = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)  # topological order
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempt = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    arguments = models.JSONField(null=True, blank=True)  # resolved, as last sent
    result = models.JSONField(null=True, blank=True)
    error_kind = models.CharField(max_length=50, blank=True)
    error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=200)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workflow_run_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["workflow_run", "step_id"], name="steprun_unique")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "lease_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.step_id} [{self.status}]"


class Automation(models.Model):
    """What starts when a trigger fires, and with whose rights."""

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        SCHEDULE = "schedule"
        WEBHOOK = "webhook"
        RULE = "rule"

    class Target(models.TextChoices):
        WORKFLOW = "workflow"
        AGENT_RUN = "agent_run"
        RULE_EVALUATION = "rule_evaluation"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    trigger_kind = models.CharField(max_length=20, choices=Trigger.choices)
    target_kind = models.CharField(max_length=20, choices=Target.choices)
    workflow = models.ForeignKey(
        Workflow, null=True, blank=True, on_delete=models.PROTECT, related_name="automations"
    )
    agent_slug = models.SlugField(blank=True)
    prompt_template = models.TextField(blank=True)
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the service account whose rights the started work uses",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Schedule(models.Model):
    name = models.CharField(max_length=200)
    cron = models.CharField(max_length=100, help_text="five fields, server time zone")
    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="schedules")
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.cron})"
