"""The durable engine. State lives in the database, tasks are short:

- `workflow_tick` finds ready steps, claims each with a conditional UPDATE
  (pending -> running, so two workers never run one step) and enqueues
  `step_execute` for it;
- `step_execute` runs the step through the one executor, `tool_run`, with the
  step's idempotency key (a retried side effect never acts twice), records the
  outcome or schedules a retry in the database, then ticks again;
- `workflows_due` (Celery beat, every few seconds) picks up due retries,
  steps whose worker died (lease expired), decided approvals and lost ticks.

Waits never live in a broker countdown: `next_attempt_at` is a column."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.tools.models import Approval
from apps.tools.services import ToolOutcome, tool_run
from apps.workflows.expressions import ExpressionError, evaluate_step_condition, resolve
from apps.workflows.models import StepRun, WorkflowRun

logger = logging.getLogger(__name__)

LEASE_MARGIN_S = 60
JITTER_SHARE = 0.1  # +-10% of the delay
DUE_BATCH = 200
REFUSED = {"rejected", "approval_expired"}  # a human said no: failed, not retried
DONE = {StepRun.Status.SUCCEEDED, StepRun.Status.SKIPPED}
STOPPED = {StepRun.Status.DEAD, StepRun.Status.FAILED}
ACTIVE_RUN = [WorkflowRun.Status.PENDING, WorkflowRun.Status.RUNNING, WorkflowRun.Status.WAITING]


def run_group(workflow_run_id: object) -> str:
    return f"workflow-run-{workflow_run_id}"


def lease_seconds() -> float:
    return float(settings.OWM_TOOL_TIMEOUT) + LEASE_MARGIN_S


def retry_delay(
    policy: dict[str, Any], attempt: int, *, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based):
    min(max_interval, initial_interval * backoff_factor ** (attempt - 1)),
    then +-10% jitter when the policy asks for it (never above the cap)."""
    base = float(policy["initial_interval"]) * float(policy["backoff_factor"]) ** max(
        0, attempt - 1
    )
    delay = min(float(policy["max_interval"]), base)
    if policy.get("jitter"):
        delay *= 1 + JITTER_SHARE * (2 * rand() - 1)
        delay = min(float(policy["max_interval"]), delay)
    return max(0.0, delay)


def _definition(run: WorkflowRun) -> dict[str, dict[str, Any]]:
    return {s["step_id"]: s for s in run.definition}


def _scope(run: WorkflowRun, steps: dict[str, StepRun]) -> dict[str, Any]:
    results = {sid: s.result for sid, s in steps.items() if s.status == StepRun.Status.SUCCEEDED}
    return {"steps": results, "inputs": run.inputs or {}}


# --- tick ----------------------------------------------------------------------------


def workflow_tick(*, workflow_run_id: int, now: dt.datetime | None = None) -> list[int]:
    """Claim the steps that may start now; returns the claimed StepRun ids
    (already enqueued unless the caller runs them inline)."""
    claimed = _claim_ready(workflow_run_id=workflow_run_id, now=now)
    from apps.workflows.tasks import step_execute_task

    for step_run_id in claimed:
        step_execute_task.delay(step_run_id)
    return claimed


def _claim_ready(
    *, workflow_run_id: int, now: dt.datetime | None = None, limit: int | None = None
) -> list[int]:
    run = WorkflowRun.objects.get(pk=workflow_run_id)
    if run.status in (WorkflowRun.Status.CANCELLED, WorkflowRun.Status.SUCCEEDED):
        return []
    claimed: list[int] = []
    while True:
        current = timezone.now() if now is None else now
        steps = {s.step_id: s for s in run.steps.all()}
        progressed = _skip_false_conditions(run, steps)
        running = sum(s.status == StepRun.Status.RUNNING for s in steps.values())
        capacity = 1 if run.execution_mode == "sequential" else max(1, run.max_workers)
        if limit is not None:
            capacity = min(capacity, running + limit - len(claimed))
        ready = _ready(run, steps, current)[: max(0, capacity - running)]
        claimed.extend(step.pk for step in ready if _claim(step, current))
        if not progressed:
            break
    _run_status_update(run)
    return claimed


def _ready(run: WorkflowRun, steps: dict[str, StepRun], now: dt.datetime) -> list[StepRun]:
    definition = _definition(run)
    ready = [
        step
        for sid, step in steps.items()
        if step.status == StepRun.Status.PENDING
        and step.next_attempt_at <= now
        and all(steps[d].status in DONE for d in definition[sid]["depends_on"])
    ]
    return sorted(ready, key=lambda s: s.position)


def _skip_false_conditions(run: WorkflowRun, steps: dict[str, StepRun]) -> bool:
    """Steps whose dependencies are done and whose condition is false are
    skipped; one whose condition cannot be evaluated dies (fix and retry)."""
    definition = _definition(run)
    changed = False
    for sid, step in steps.items():
        condition = definition[sid].get("condition")
        deps = definition[sid]["depends_on"]
        if not condition or step.status != StepRun.Status.PENDING:
            continue
        if not all(steps[d].status in DONE for d in deps):
            continue
        try:
            if evaluate_step_condition(condition, _scope(run, steps)):
                continue
            outcome = {
                "status": StepRun.Status.SKIPPED,
                "result": {
                    "skipped": True,
                    "summary": f"skipped: condition {condition!r} is false",
                },
            }
        except ExpressionError as exc:
            outcome = {
                "status": StepRun.Status.DEAD,
                "error_kind": "invalid_condition",
                "error": str(exc),
            }
        updated = StepRun.objects.filter(pk=step.pk, status=StepRun.Status.PENDING).update(
            finished_at=timezone.now(), **outcome
        )
        if updated:
            step.refresh_from_db()
            _publish_step(step)
            changed = True
    return changed


def _claim(step: StepRun, now: dt.datetime) -> bool:
    updated = StepRun.objects.filter(pk=step.pk, status=StepRun.Status.PENDING).update(
        status=StepRun.Status.RUNNING,
        attempt=F("attempt") + 1,
        lease_until=now + dt.timedelta(seconds=lease_seconds()),
        started_at=now,
    )
    if updated:
        step.refresh_from_db()
        _publish_step(step)
    return bool(updated)


def _run_status_update(run: WorkflowRun) -> WorkflowRun:
    statuses = list(run.steps.values_list("status", flat=True))
    status = _run_status(statuses)
    finished = status in (WorkflowRun.Status.SUCCEEDED, WorkflowRun.Status.FAILED)
    updated = (
        WorkflowRun.objects.filter(pk=run.pk)
        .exclude(status__in=[status, WorkflowRun.Status.CANCELLED])
        .update(status=status, finished_at=timezone.now() if finished else None)
    )
    if updated:
        run.refresh_from_db()
        _publish(run.pk, {"type": "workflow.run", "status": run.status})
    return run


def _run_status(statuses: list[str]) -> str:
    if all(s in DONE for s in statuses):
        return WorkflowRun.Status.SUCCEEDED
    if any(s == StepRun.Status.RUNNING for s in statuses):
        return WorkflowRun.Status.RUNNING
    if any(s == StepRun.Status.WAITING for s in statuses):
        return WorkflowRun.Status.WAITING
    if any(s in STOPPED for s in statuses):
        return WorkflowRun.Status.FAILED  # blocked until someone retries the dead step
    return WorkflowRun.Status.RUNNING  # pending steps waiting for their retry time


# --- one step ------------------------------------------------------------------------


def step_execute(
    *, step_run_id: int, now: Callable[[], dt.datetime] = timezone.now, tick: bool = True
) -> StepRun:
    """Run one claimed step through tool_run and record what happened."""
    step = StepRun.objects.select_related("workflow_run").get(pk=step_run_id)
    if step.status != StepRun.Status.RUNNING:
        return step  # someone else finished it, or it was re-queued
    run = step.workflow_run
    spec = _definition(run)[step.step_id]
    steps = {s.step_id: s for s in run.steps.all()}
    try:
        arguments = resolve(spec["parameters"], _scope(run, steps))
    except ExpressionError as exc:
        _record(step, status=StepRun.Status.DEAD, error=("invalid_reference", str(exc)), now=now())
        return _after(step, tick)
    StepRun.objects.filter(pk=step.pk).update(arguments=arguments)
    outcome = _tool_run(run, step, arguments)
    _record_outcome(step, spec, outcome, now=now())
    return _after(step, tick)


def _tool_run(run: WorkflowRun, step: StepRun, arguments: dict[str, Any]) -> ToolOutcome | str:
    try:
        return tool_run(
            actor=run.actor,
            name=step.action,
            arguments=arguments,
            source="workflow",
            idempotency_key=step.idempotency_key,
        )
    except Exception as exc:  # the executor itself broke (database down...): retry later
        logger.exception("workflow step %s crashed in the executor", step.pk)
        return f"{type(exc).__name__}: {exc}"


def _record_outcome(
    step: StepRun, spec: dict[str, Any], outcome: ToolOutcome | str, *, now: dt.datetime
) -> None:
    if isinstance(outcome, str):
        kind, message, result = "crashed", outcome, None
    elif outcome.ok:
        _record(step, status=StepRun.Status.SUCCEEDED, result=outcome.result, now=now)
        return
    elif outcome.waiting:
        _record(step, status=StepRun.Status.WAITING, result=outcome.result, now=now, final=False)
        return
    else:
        kind = outcome.call.error_kind or "failed"
        message, result = outcome.call.error, outcome.result
    policy = spec["retry_policy"]
    if kind in REFUSED:
        _record(step, status=StepRun.Status.FAILED, result=result, error=(kind, message), now=now)
    elif kind in set(policy["non_retryable"]) or step.attempt > policy["max_retries"]:
        _record(step, status=StepRun.Status.DEAD, result=result, error=(kind, message), now=now)
    else:
        retry_at = now + dt.timedelta(seconds=retry_delay(policy, step.attempt))
        _record(
            step,
            status=StepRun.Status.PENDING,
            result=result,
            error=(kind, message),
            now=now,
            final=False,
            next_attempt_at=retry_at,
        )


def _record(
    step: StepRun,
    *,
    status: str,
    now: dt.datetime,
    result: dict[str, Any] | None = None,
    error: tuple[str, str] | None = None,
    final: bool = True,
    next_attempt_at: dt.datetime | None = None,
) -> bool:
    """Write the outcome only if this worker still owns the attempt (a step
    re-queued after its lease expired belongs to the next attempt)."""
    fields: dict[str, Any] = {
        "status": status,
        "result": result,
        "error_kind": error[0] if error else "",
        "error": error[1] if error else "",
        "lease_until": None,
        "finished_at": now if final else None,
    }
    if next_attempt_at is not None:
        fields["next_attempt_at"] = next_attempt_at
    updated = StepRun.objects.filter(
        pk=step.pk, status=StepRun.Status.RUNNING, attempt=step.attempt
    ).update(**fields)
    if updated:
        step.refresh_from_db()
        _publish_step(step)
    return bool(updated)


def _after(step: StepRun, tick: bool) -> StepRun:
    if tick:
        from apps.workflows.tasks import workflow_tick_task

        workflow_tick_task.delay(step.workflow_run_id)
    return step


# --- approvals -----------------------------------------------------------------------


def step_check_approval(*, step: StepRun, now: dt.datetime | None = None) -> StepRun:
    """Finish a waiting step once its approval is decided (the executor runs an
    approved call from the Approval row; a decided call is never run twice)."""
    approval = (
        Approval.objects.filter(
            tool_call__idempotency_key=step.idempotency_key, tool_call__tool_name=step.action
        )
        .select_related("tool_call", "decided_by")
        .first()
    )
    if approval is None:
        return step
    current = timezone.now() if now is None else now
    if approval.is_pending and approval.expires_at > current:
        return step
    claimed = StepRun.objects.filter(pk=step.pk, status=StepRun.Status.WAITING).update(
        status=StepRun.Status.RUNNING, lease_until=current + dt.timedelta(seconds=lease_seconds())
    )
    if not claimed:
        return step
    step.refresh_from_db()
    run = step.workflow_run
    outcome = tool_run(
        actor=run.actor,
        name=step.action,
        arguments=step.arguments,
        source="workflow",
        idempotency_key=step.idempotency_key,
        approval=approval,
    )
    _record_outcome(step, _definition(run)[step.step_id], outcome, now=current)
    return _after(step, tick=True)


# --- the sweeper ---------------------------------------------------------------------


def workflows_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Beat task body: re-queue steps whose lease expired, finish decided
    approvals, and tick every active run with a step that is due."""
    current = timezone.now() if now is None else now
    requeued = _requeue_expired(current)
    waiting = StepRun.objects.filter(status=StepRun.Status.WAITING).select_related("workflow_run")
    for step in waiting[:DUE_BATCH]:
        step_check_approval(step=step, now=current)
    run_ids = set(
        StepRun.objects.filter(
            status=StepRun.Status.PENDING,
            next_attempt_at__lte=current,
            workflow_run__status__in=ACTIVE_RUN,
        ).values_list("workflow_run_id", flat=True)[:DUE_BATCH]
    )
    claimed = sum(len(workflow_tick(workflow_run_id=rid, now=current)) for rid in run_ids)
    return {"requeued": requeued, "runs_ticked": len(run_ids), "steps_started": claimed}


def _requeue_expired(now: dt.datetime) -> int:
    expired = StepRun.objects.filter(status=StepRun.Status.RUNNING, lease_until__lt=now)
    count = 0
    for step in expired[:DUE_BATCH]:
        count += StepRun.objects.filter(
            pk=step.pk, status=StepRun.Status.RUNNING, attempt=step.attempt
        ).update(
            status=StepRun.Status.PENDING,
            next_attempt_at=now,
            lease_until=None,
            error_kind="lease_expired",
            error=f"attempt {step.attempt} did not finish in time (worker lost?)",
        )
    if count:
        logger.warning("re-queued %s workflow steps whose lease expired", count)
    return count


# --- by hand -------------------------------------------------------------------------


class StepRetryError(ValueError):
    pass


def step_retry(*, step: StepRun, user: Any) -> StepRun:
    """Put a dead (or rejected) step back to pending; the run resumes."""
    updated = StepRun.objects.filter(pk=step.pk, status__in=list(STOPPED)).update(
        status=StepRun.Status.PENDING, next_attempt_at=timezone.now(), finished_at=None
    )
    if not updated:
        raise StepRetryError(
            f"step {step.step_id} is {step.status}; only dead or failed steps can be retried"
        )
    step.refresh_from_db()
    WorkflowRun.objects.filter(pk=step.workflow_run_id).update(
        status=WorkflowRun.Status.RUNNING, finished_at=None
    )
    logger.info(
        "step %s of workflow run %s retried by %s", step.step_id, step.workflow_run_id, user
    )
    _publish_step(step)
    from apps.workflows.tasks import workflow_tick_task

    transaction.on_commit(lambda: workflow_tick_task.delay(step.workflow_run_id))
    return step


def workflow_run_cancel(*, run: WorkflowRun) -> WorkflowRun:
    WorkflowRun.objects.filter(pk=run.pk, status__in=ACTIVE_RUN).update(
        status=WorkflowRun.Status.CANCELLED, finished_at=timezone.now()
    )
    run.refresh_from_db()
    _publish(run.pk, {"type": "workflow.run", "status": run.status})
    return run


# --- events --------------------------------------------------------------------------


def _publish_step(step: StepRun) -> None:
    _publish(
        step.workflow_run_id,
        {
            "type": "workflow.step",
            "step_id": step.step_id,
            "status": step.status,
            "attempt": step.attempt,
            "error_kind": step.error_kind,
        },
    )


def _publish(workflow_run_id: object, payload: dict[str, Any]) -> None:
    from apps.agents.events import broadcast

    data = {**payload, "workflow_run_id": workflow_run_id}
    transaction.on_commit(
        lambda: broadcast(run_group(workflow_run_id), data, kind="workflow.event")
    )
