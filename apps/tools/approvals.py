"""Human approval of gated tool calls.

A call the policy marks `requires_approval` is validated, persisted as a
pending Approval and answered "waiting"; the run pauses. An approver
approves (possibly with edited arguments) or rejects with a note; the run is
queued again and the executor finishes the call from the Approval row, so a
decision survives restarts and a finished call is never executed twice."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.tools.models import Approval, ToolCall
from apps.tools.policy import authorize
from apps.tools.registry import registry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from apps.agents.models import Run

logger = logging.getLogger(__name__)
APPROVALS_GROUP = "approvals"


class ApprovalError(ValueError):
    """The decision cannot be taken (not pending, not allowed, bad arguments)."""


def approval_request(
    *,
    call: ToolCall,
    run: Run | None,
    actor: AbstractBaseUser | None,
    arguments: dict[str, Any],
    reason: str,
) -> Approval:
    # A step retried by hand after a decision asks again: the old decision goes.
    Approval.objects.filter(tool_call=call).exclude(status=Approval.Status.PENDING).delete()
    approval = Approval.objects.create(
        tool_call=call,
        run=run,
        tool_name=call.tool_name,
        requested_by=actor if actor is not None and actor.is_authenticated else None,
        arguments=arguments,
        reason=reason,
        expires_at=timezone.now() + timedelta(seconds=settings.OWM_APPROVAL_TTL),
    )
    _announce(approval, "approval.requested")
    return approval


def approval_expire_if_due(approval: Approval) -> Approval:
    if approval.is_pending and approval.expires_at <= timezone.now():
        updated = Approval.objects.filter(pk=approval.pk, status=Approval.Status.PENDING).update(
            status=Approval.Status.EXPIRED, decided_at=timezone.now()
        )
        approval.refresh_from_db()
        if updated:
            _announce(approval, "approval.decided")
            transaction.on_commit(lambda: _continue(approval.pk))
    return approval


def approvals_expire() -> int:
    """Expire every pending approval past its time (run by Celery beat)."""
    due = Approval.objects.filter(status=Approval.Status.PENDING, expires_at__lte=timezone.now())
    return sum(1 for approval in due if approval_expire_if_due(approval).status == "expired")


def may_decide(user: AbstractBaseUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm("tools.decide_approval"))


def approval_decide(
    *,
    approval_id: int,
    user: AbstractBaseUser,
    approve: bool,
    arguments: dict[str, Any] | None = None,
    note: str = "",
) -> Approval:
    if not may_decide(user):
        raise ApprovalError("You may not decide on approvals.")
    with transaction.atomic():
        approval = (
            Approval.objects.select_for_update(of=("self",))
            .select_related("requested_by", "tool_call", "run")
            .get(pk=approval_id)
        )
        approval = approval_expire_if_due(approval)
        if not approval.is_pending:
            raise ApprovalError(f"This approval is already {approval.status}.")
        if approve and arguments is not None and arguments != approval.arguments:
            _check_edited(approval, arguments)
            approval.approved_arguments = arguments
        approval.status = Approval.Status.APPROVED if approve else Approval.Status.REJECTED
        approval.decided_by = user
        approval.decided_at = timezone.now()
        approval.note = note.strip()
        approval.save()
        _audit_decision(approval, user)
        _announce(approval, "approval.decided")
        transaction.on_commit(lambda: _continue(approval.pk))
    return approval


def _check_edited(approval: Approval, arguments: dict[str, Any]) -> None:
    """Edited arguments are validated and authorised as the requester again."""
    from apps.tools.services import schema_errors

    spec = registry.get(approval.tool_name)
    if spec is None:
        raise ApprovalError(f"The tool {approval.tool_name} no longer exists.")
    problems = schema_errors(spec, arguments)
    if problems:
        details = "; ".join(f"{p['path']}: {p['message']}" for p in problems)
        raise ApprovalError(f"The edited arguments do not match the schema: {details}")
    decision = authorize(actor=approval.requested_by, spec=spec, arguments=arguments)
    if not decision.allowed:
        raise ApprovalError(f"The edited arguments are not allowed: {decision.reason}")


def _continue(approval_id: int) -> None:
    """After a decision: resume the paused run, or finish a call made outside a run."""
    from apps.tools.tasks import approval_continue

    approval_continue.delay(approval_id)


def approval_continue_now(approval_id: int) -> None:
    approval = Approval.objects.select_related("tool_call", "run").get(pk=approval_id)
    if approval.run_id is not None:
        from apps.agents.services import run_resume_if_waiting

        run_resume_if_waiting(run_id=approval.run_id)
        return
    call = approval.tool_call
    if call.status != ToolCall.Status.WAITING:
        return
    from apps.tools.services import tool_run

    tool_run(
        actor=approval.requested_by,
        name=call.tool_name,
        arguments=approval.final_arguments,
        source=call.source,
        approval=approval,
    )


def _announce(approval: Approval, event_type: str) -> None:
    data = {
        "approval_id": approval.pk,
        "tool": approval.tool_name,
        "tool_call_id": approval.tool_call.tool_call_id,
        "status": approval.status,
        "arguments": approval.final_arguments,
        "reason": approval.reason,
        "decided_by": approval.decided_by.get_username() if approval.decided_by else "",
        "note": approval.note,
        "expires_at": approval.expires_at.isoformat(),
    }
    if approval.run_id is not None:
        from apps.agents.events import run_event_publish

        run_event_publish(run=approval.run, event_type=event_type, data=data)
    from apps.agents.events import broadcast

    payload = {"type": event_type, "data": data}
    transaction.on_commit(lambda: broadcast(APPROVALS_GROUP, payload, kind="approvals.event"))


def _audit_decision(approval: Approval, user: AbstractBaseUser) -> None:
    from apps.audit.services import audit_record

    audit_record(
        event="approval.decided",
        actor=user,
        on_behalf_of=approval.requested_by.get_username() if approval.requested_by else "",
        run_id=approval.run_id,
        tool=approval.tool_name,
        tool_call_id=approval.tool_call.tool_call_id,
        arguments=approval.final_arguments,
        decision=approval.status,
        approved_by=user.get_username() if approval.status == Approval.Status.APPROVED else "",
        detail={
            "approval_id": approval.pk,
            "edited": approval.approved_arguments is not None,
            "note": approval.note,
        },
    )
