"""Who may run which tool, with which arguments: one Grant per role and scope.

A scope is one tool (`tool_name`) or every tool of an agent (`agent`), never
both. Limits are data (see apps.rbac.limits), checked against the arguments of
each call."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q


class Grant(models.Model):
    class Decision(models.TextChoices):
        ALLOW = "allow"
        APPROVE = "approve"  # allowed once a human approves the call
        DENY = "deny"

    role = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="tool_grants")
    tool_name = models.CharField(max_length=100, blank=True, default="")
    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.CASCADE, null=True, blank=True, related_name="grants"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    limits = models.JSONField(default=list, blank=True)
    # Created by rbac_sync_defaults; an admin's edit clears it.
    seeded = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["role__name", "tool_name", "agent__slug"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(tool_name="") & Q(agent__isnull=False))
                | (~Q(tool_name="") & Q(agent__isnull=True)),
                name="rbac_grant_one_scope",
                violation_error_message="A grant covers either one tool or one agent's tools.",
            ),
            models.UniqueConstraint(
                fields=["role", "tool_name"],
                condition=~Q(tool_name=""),
                name="rbac_grant_unique_role_tool",
                violation_error_message="This role already has a grant for this tool.",
            ),
            models.UniqueConstraint(
                fields=["role", "agent"],
                condition=Q(agent__isnull=False),
                name="rbac_grant_unique_role_agent",
                violation_error_message="This role already has a grant for this agent.",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["allow", "approve", "deny"]),
                name="rbac_grant_decision_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role.name}: {self.decision} {self.scope_label}"

    @property
    def scope_label(self) -> str:
        return self.tool_name or f"agent {self.agent.slug if self.agent else '?'}"


class SeedRecord(models.Model):
    """A default grant once applied. rbac_sync_defaults applies each default only
    once, so a default an admin deleted is not brought back by the next migrate."""

    key = models.CharField(max_length=200, unique=True)  # "operator:tool:create_purchase_order"
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
