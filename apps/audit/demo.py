"""Demo data: the auditor group, an `auditor` demo user, and (only on an empty
log) a few entries so the dashboard has something to show. Idempotent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from apps.audit.models import AuditEntry
from apps.audit.services import audit_record, auditor_group_ensure

DEMO_AUDITOR = ("auditor", "owm-auditor-demo")


def _demo_entries() -> None:
    User = get_user_model()
    operator = User.objects.filter(username="operator").first()
    demo = {"demo": True}
    audit_record(event="auth.login", actor=operator, status="succeeded", ip="127.0.0.1")
    audit_record(
        event="tool.call", actor=operator, agent="inventory", tool="check_stock_levels",
        tool_call_id="functions.check_stock_levels:0", decision="allowed", status="succeeded",
        arguments={"product_ids": ["SKU-1001"], "location": "SEL-WH"},
        result={"summary": "SKU-1001 at SEL-WH: 18 units (low)"}, duration_ms=42.0, detail=demo,
    )  # fmt: skip
    audit_record(
        event="tool.call", actor=operator, agent="inventory", tool="create_purchase_order",
        tool_call_id="functions.create_purchase_order:1", decision="approved",
        approved_by="admin", status="succeeded",
        arguments={"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 50}]},
        result={"summary": "draft PO for 50 x SKU-1001"}, duration_ms=118.5, detail=demo,
    )  # fmt: skip
    audit_record(event="auth.login_failed", status="failed", ip="203.0.113.7",
                 detail={"username": "operator"})  # fmt: skip


def seed() -> dict[str, Any]:
    group = auditor_group_ensure()
    User = get_user_model()
    username, password = DEMO_AUDITOR
    created = []
    if not User.objects.filter(username=username).exists():
        user = User.objects.create_user(
            username=username, password=password, email=f"{username}@owm.example"
        )
        user.groups.add(group)
        created.append(username)
    seeded = 0
    if not AuditEntry.objects.exists():
        _demo_entries()
        seeded = AuditEntry.objects.count()
    return {"users_created": created, "entries_seeded": seeded}
