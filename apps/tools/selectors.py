from __future__ import annotations

from django.db.models import QuerySet

from apps.tools.models import Approval


def approvals_pending() -> QuerySet[Approval]:
    return (
        Approval.objects.filter(status=Approval.Status.PENDING)
        .select_related("run__agent", "requested_by", "tool_call")
        .order_by("expires_at")
    )


def approvals_recent_decided() -> QuerySet[Approval]:
    return (
        Approval.objects.exclude(status=Approval.Status.PENDING)
        .select_related("run__agent", "requested_by", "decided_by", "tool_call")
        .order_by("-decided_at")
    )
