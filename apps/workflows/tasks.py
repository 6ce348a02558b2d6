"""Short Celery tasks: each takes an id and calls the engine. Waits live in
the database, so no task sleeps or carries a long countdown."""

from __future__ import annotations

from typing import Any

from celery import shared_task

DURABLE: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**DURABLE)
def workflow_tick_task(workflow_run_id: int) -> None:
    from apps.workflows.engine import workflow_tick

    workflow_tick(workflow_run_id=workflow_run_id)


@shared_task(**DURABLE)
def step_execute_task(step_run_id: int) -> None:
    from apps.workflows.engine import step_execute

    step_execute(step_run_id=step_run_id)


@shared_task(ignore_result=True)
def workflows_due() -> dict[str, int]:
    """Beat, every 5 s: due retries, expired leases, decided approvals, lost ticks."""
    from apps.workflows.engine import workflows_due as sweep

    return sweep()


@shared_task(ignore_result=True)
def schedules_due() -> int:
    """Beat, every 30 s: fire due cron schedules."""
    from apps.workflows.triggers import schedules_due as fire

    return len(fire())
