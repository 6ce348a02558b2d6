"""Writes to the audit log. `audit_record` is the only way in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.utils import timezone

from apps.audit import chain
from apps.audit.models import AuditEntry

AUDITOR_GROUP = "auditor"
# pg_advisory_xact_lock key that serializes appends ("OWMAUDIT" as a 64-bit int).
APPEND_LOCK_KEY = 0x4F574D4155444954


def _append_lock() -> None:
    """Hold the append lock until the surrounding transaction ends.

    PostgreSQL: an advisory transaction lock. SQLite: nothing to do, the writer
    already holds the database lock (transaction_mode IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])


def _actor_fields(actor: Any) -> tuple[str, int | None]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "", None
    return actor.get_username(), actor.pk


def audit_record(
    *,
    event: str,
    actor: Any = None,
    on_behalf_of: str = "",
    run_id: Any = None,
    agent: str = "",
    tool: str = "",
    tool_call_id: str = "",
    arguments: dict[str, Any] | None = None,
    result: Any = None,
    decision: str = "",
    approved_by: str = "",
    status: str = "",
    duration_ms: float | None = None,
    ip: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain. Secrets in `arguments` and `detail` are
    redacted; `result` is kept only as its sha256 digest.

    Called inside a caller's transaction, the entry commits or rolls back with it
    (and the append lock is held until then)."""
    actor_name, actor_id = _actor_fields(actor)
    fields: dict[str, Any] = {
        "event": event,
        "actor": actor_name,
        "actor_id": actor_id,
        "on_behalf_of": on_behalf_of or "",
        "run_id": "" if run_id is None else str(run_id),
        "agent": agent or "",
        "tool": tool or "",
        "tool_call_id": tool_call_id or "",
        "arguments": chain.json_normalize(chain.redact(arguments or {})),
        "result_digest": "" if result is None else chain.digest(result),
        "decision": decision or "",
        "approved_by": approved_by or "",
        "status": status or "",
        "duration_ms": None if duration_ms is None else float(duration_ms),
        "ip": ip or "",
        "detail": chain.json_normalize(chain.redact(detail or {})),
    }
    with transaction.atomic(savepoint=False):  # a failed append fails the caller's work
        _append_lock()
        last = AuditEntry.objects.order_by("-seq").values("seq", "hash", "at").first()
        fields["seq"] = last["seq"] + 1 if last else 1
        fields["prev_hash"] = last["hash"] if last else chain.GENESIS_HASH
        # Taken under the lock and never before the previous entry, so time
        # never runs backwards along the chain, even across hosts whose clocks
        # disagree (the browser's date filters rely on it).
        now = timezone.now().astimezone(dt.UTC)
        fields["at"] = max(now, last["at"].astimezone(dt.UTC)) if last else now
        fields["hash"] = chain.entry_hash(fields)
        entry = AuditEntry(**fields)
        entry.save()
    return entry


def auditor_group_ensure() -> Group:
    """The auditor role; its permission lets pages show the Audit link cheaply."""
    group, _created = Group.objects.get_or_create(name=AUDITOR_GROUP)
    permission = Permission.objects.filter(
        content_type__app_label="audit", codename="view_auditentry"
    ).first()
    if permission is not None:
        group.permissions.add(permission)
    return group
