"""The audit log: append-only, hash-chained entries.

Each entry's `hash` is sha256 over the canonical JSON of its content fields and
`prev_hash` (see `apps.audit.chain`); `seq` is its gapless position in the chain.
Entries are never changed: the model, its manager and database triggers refuse
updates and deletes."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class AuditImmutableError(Exception):
    """Raised on any attempt to change or delete an audit entry."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("audit entries are append-only: update refused")

    def delete(self) -> NoReturn:
        raise AuditImmutableError("audit entries are append-only: delete refused")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("audit entries are append-only: bulk_update refused")


class AuditEntry(models.Model):
    class Decision(models.TextChoices):
        NONE = "", "—"
        ALLOWED = "allowed", "Allowed"
        DENIED = "denied", "Denied"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    id = models.BigAutoField(primary_key=True)
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    event = models.CharField(max_length=64)
    # Strings, not foreign keys: an entry outlives the user it names.
    actor = models.CharField(max_length=150, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    on_behalf_of = models.CharField(max_length=150, blank=True)
    run_id = models.CharField(max_length=64, blank=True, db_index=True)
    agent = models.CharField(max_length=100, blank=True)
    tool = models.CharField(max_length=100, blank=True)
    tool_call_id = models.CharField(max_length=200, blank=True)
    arguments = models.JSONField(default=dict, blank=True)
    result_digest = models.CharField(max_length=64, blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=32, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name_plural = "audit entries"
        # Each filter column leads a composite with seq, so "matching entries, newest
        # first, 50 at a time" walks one index range at any log size.
        indexes = [
            models.Index(fields=["decision", "seq"], name="audit_decision_seq"),
            models.Index(fields=["event", "seq"], name="audit_event_seq"),
            models.Index(fields=["actor", "seq"], name="audit_actor_seq"),
            models.Index(fields=["agent", "seq"], name="audit_agent_seq"),
            models.Index(fields=["tool", "seq"], name="audit_tool_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event} {self.actor or '-'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("audit entries are append-only: update refused")
        kwargs["force_insert"] = True  # never an UPDATE, even with an explicit pk
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("audit entries are append-only: delete refused")


class AuditFacet(models.Model):
    """A value seen in a filterable column of the log: the filter dropdowns read
    these few rows instead of scanning the log. A database trigger adds them as
    entries are inserted (`apps.audit.triggers`), in the same transaction."""

    class Field(models.TextChoices):
        EVENT = "event"
        TOOL = "tool"
        AGENT = "agent"

    field = models.CharField(max_length=16, choices=Field.choices)
    value = models.CharField(max_length=150)

    class Meta:
        ordering = ["field", "value"]
        constraints = [
            models.UniqueConstraint(fields=["field", "value"], name="audit_facet_unique")
        ]

    def __str__(self) -> str:
        return f"{self.field}={self.value}"
