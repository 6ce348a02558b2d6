from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.workflows.models import StepRun, Workflow, WorkflowRun


def may_operate(user: Any) -> bool:
    """Create, edit, start and retry workflows (the tools they run are checked again)."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("tools.use_tools"))


def workflow_list(*, q: str = "") -> QuerySet[Workflow]:
    workflows = Workflow.objects.select_related("current_version", "service_account")
    if q:
        workflows = workflows.filter(name__icontains=q) | workflows.filter(slug__icontains=q)
    return workflows


def workflow_get(*, slug: str) -> Workflow | None:
    return workflow_list().filter(slug=slug).first()


def run_list(*, workflow: Workflow | None = None, status: str = "") -> QuerySet[WorkflowRun]:
    runs = WorkflowRun.objects.select_related("workflow", "version", "started_by", "actor")
    if workflow is not None:
        runs = runs.filter(workflow=workflow)
    if status:
        runs = runs.filter(status=status)
    return runs


def run_get(*, pk: int) -> WorkflowRun | None:
    return run_list().filter(pk=pk).first()


def step_get(*, run: WorkflowRun, step_id: str) -> StepRun | None:
    return run.steps.filter(step_id=step_id).first()
