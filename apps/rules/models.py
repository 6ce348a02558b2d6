"""Business rules as data: a condition over named metrics, the actions to run
when it holds, and a record of every firing. Metrics are pushed as samples or
kept as constants (thresholds such as sla_threshold)."""

from __future__ import annotations

from django.db import models


class Rule(models.Model):
    class Severity(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        CRITICAL = "critical"

    class Scope(models.TextChoices):
        GLOBAL = "global"  # once, over the global metrics
        PRODUCT = "product"  # per product and location, over its stock metrics

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    condition = models.CharField(max_length=500)
    actions = models.JSONField(default=list, help_text='[{"action": ..., "parameters": {...}}]')
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.GLOBAL)
    cooldown_seconds = models.PositiveIntegerField(default=3600)
    enabled = models.BooleanField(default=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"  # every action succeeded (or was skipped with a reason)
        PARTIAL = "partial"
        FAILED = "failed"
        WAITING = "waiting_approval"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    subject = models.CharField(max_length=100, default="global", db_index=True)
    fired_at = models.DateTimeField(db_index=True)
    metrics = models.JSONField(default=dict)
    decided_by = models.JSONField(default=dict, help_text="the metric values the condition read")
    action_results = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=Status.choices)
    trigger = models.CharField(max_length=20, default="schedule")

    class Meta:
        ordering = ["-fired_at", "-id"]
        indexes = [models.Index(fields=["rule", "subject", "fired_at"])]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.subject}@{self.fired_at:%Y-%m-%d %H:%M}"


class MetricSample(models.Model):
    name = models.CharField(max_length=100, db_index=True)
    value = models.FloatField()
    labels = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["name", "at"])]

    def __str__(self) -> str:
        return f"{self.name}={self.value:g}"


class RuleConstant(models.Model):
    """A setting-like metric (a threshold) every evaluation can read."""

    name = models.SlugField(max_length=100, unique=True)
    value = models.FloatField()
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}={self.value:g}"
