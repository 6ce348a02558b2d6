"""Writes for workflows: create, edit (a new version), start a run, and run
one inline (for the execute_workflow tool). The engine lives in engine.py."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.workflows import engine
from apps.workflows.models import StepRun, Workflow, WorkflowRun, WorkflowVersion
from apps.workflows.validation import (
    StepError,
    steps_normalize,
    topological_order,
    workflow_validate,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

INLINE_SLEEP_BUDGET_S = 5.0  # total time an inline run may wait for retries
INLINE_TIME_BUDGET_S = 25.0


class WorkflowInvalid(ValueError):
    def __init__(self, errors: list[StepError]) -> None:
        super().__init__(
            "; ".join(f"{e.step_id or 'workflow'}.{e.field}: {e.message}" for e in errors)
        )
        self.errors = errors


class WorkflowStartError(ValueError):
    pass


def _check(steps: Any, mode: str) -> list[dict[str, Any]]:
    errors = workflow_validate(steps, mode)
    if errors:
        raise WorkflowInvalid(errors)
    return steps_normalize(steps)


@transaction.atomic
def workflow_create(
    *,
    slug: str,
    name: str,
    steps: list[dict[str, Any]],
    execution_mode: str = "sequential",
    description: str = "",
    max_workers: int = 4,
    service_account: AbstractBaseUser | None = None,
    created_by: AbstractBaseUser | None = None,
) -> Workflow:
    normalized = _check(steps, execution_mode)
    workflow = Workflow.objects.create(
        slug=slug,
        name=name,
        description=description,
        execution_mode=execution_mode,
        max_workers=max_workers,
        service_account=service_account,
    )
    version = WorkflowVersion.objects.create(
        workflow=workflow, number=1, steps=normalized, created_by=created_by
    )
    workflow.current_version = version
    workflow.save(update_fields=["current_version"])
    return workflow


@transaction.atomic
def workflow_update(
    *,
    workflow: Workflow,
    user: AbstractBaseUser | None,
    steps: list[dict[str, Any]] | None = None,
    execution_mode: str | None = None,
    name: str | None = None,
    description: str | None = None,
    max_workers: int | None = None,
    enabled: bool | None = None,
) -> Workflow:
    """Edit a workflow; a change of steps or mode adds a version (runs keep theirs)."""
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    mode = execution_mode or workflow.execution_mode
    current = workflow.current_version.steps if workflow.current_version else []
    new_steps = steps if steps is not None else current
    normalized = _check(new_steps, mode)
    for field, value in (
        ("name", name),
        ("description", description),
        ("max_workers", max_workers),
        ("enabled", enabled),
    ):
        if value is not None:
            setattr(workflow, field, value)
    if normalized != current or mode != workflow.execution_mode:
        number = (workflow.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        workflow.current_version = WorkflowVersion.objects.create(
            workflow=workflow, number=number, steps=normalized, created_by=user
        )
    workflow.execution_mode = mode
    workflow.save()
    return workflow


def _run_create(
    *,
    steps: list[dict[str, Any]],
    mode: str,
    max_workers: int,
    actor: AbstractBaseUser | None,
    started_by: AbstractBaseUser | None,
    workflow: Workflow | None = None,
    inputs: dict[str, Any] | None = None,
    trigger: str = "manual",
) -> WorkflowRun:
    run = WorkflowRun.objects.create(
        workflow=workflow,
        version=workflow.current_version if workflow else None,
        definition=steps,
        execution_mode=mode,
        max_workers=max_workers,
        status=WorkflowRun.Status.RUNNING,
        started_by=started_by if started_by is not None and started_by.is_authenticated else None,
        actor=actor if actor is not None and actor.is_authenticated else None,
        inputs=inputs or {},
        trigger=trigger,
    )
    position = {sid: i for i, sid in enumerate(topological_order(steps))}
    StepRun.objects.bulk_create(
        StepRun(
            workflow_run=run,
            step_id=s["step_id"],
            action=s["action"],
            position=position[s["step_id"]],
            idempotency_key=f"{run.pk}:{s['step_id']}",
        )
        for s in steps
    )
    logger.info(
        "workflow run %s started (%s) by %s acting as %s",
        run.pk,
        workflow.slug if workflow else "ad hoc",
        started_by,
        actor,
    )
    return run


@transaction.atomic
def workflow_run_start(
    *,
    workflow: Workflow,
    user: AbstractBaseUser | None,
    inputs: dict[str, Any] | None = None,
    trigger: str = "manual",
) -> WorkflowRun:
    """Start a stored workflow's current version on Celery (after commit)."""
    if not workflow.enabled:
        raise WorkflowStartError(f"the workflow {workflow.slug} is disabled")
    if workflow.current_version is None:
        raise WorkflowStartError(f"the workflow {workflow.slug} has no version")
    run = _run_create(
        steps=workflow.current_version.steps,
        mode=workflow.execution_mode,
        max_workers=workflow.max_workers,
        actor=workflow.service_account or user,
        started_by=user,
        workflow=workflow,
        inputs=inputs,
        trigger=trigger,
    )
    from apps.workflows.tasks import workflow_tick_task

    transaction.on_commit(lambda: workflow_tick_task.delay(run.pk))
    return run


def workflow_run_adhoc(
    *,
    steps: list[dict[str, Any]],
    mode: str,
    actor: AbstractBaseUser | None,
    max_workers: int = 4,
    inline: bool = True,
) -> WorkflowRun:
    """An unsaved step list (the execute_workflow tool). Inline: steps run in
    this process, one at a time in topological order, sleeping for retries up
    to INLINE_SLEEP_BUDGET_S in all; whatever is left continues on Celery."""
    normalized = _check(steps, mode)
    with transaction.atomic():
        run = _run_create(
            steps=normalized,
            mode=mode,
            max_workers=max_workers,
            actor=actor,
            started_by=actor,
            trigger="tool",
        )
    if inline:
        workflow_run_inline(run=run)
    else:
        from apps.workflows.tasks import workflow_tick_task

        workflow_tick_task.delay(run.pk)
    run.refresh_from_db()
    return run


def workflow_run_inline(*, run: WorkflowRun, sleep: Any = time.sleep) -> WorkflowRun:
    slept, started = 0.0, time.monotonic()
    while time.monotonic() - started < INLINE_TIME_BUDGET_S:
        claimed = engine._claim_ready(workflow_run_id=run.pk, limit=1)
        if claimed:
            engine.step_execute(step_run_id=claimed[0], tick=False)
            continue
        wait = _next_wait(run)
        if wait is None or slept + wait > INLINE_SLEEP_BUDGET_S:
            break
        sleep(wait)
        slept += wait
    run.refresh_from_db()
    if run.status in engine.ACTIVE_RUN:
        from apps.workflows.tasks import workflow_tick_task

        transaction.on_commit(lambda: workflow_tick_task.delay(run.pk))  # the rest goes durable
    return run


def _next_wait(run: WorkflowRun) -> float | None:
    run.refresh_from_db(fields=["status"])
    if run.status != WorkflowRun.Status.RUNNING:
        return None  # finished, waiting for a human, or blocked by a dead step
    pending = run.steps.filter(status=StepRun.Status.PENDING).order_by("next_attempt_at").first()
    if pending is None or run.steps.filter(status=StepRun.Status.RUNNING).exists():
        return None
    return max(0.0, (pending.next_attempt_at - timezone.now()).total_seconds()) + 0.01
