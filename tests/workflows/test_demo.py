from __future__ import annotations

import pytest

from apps.workflows.models import Schedule, Workflow
from apps.workflows.validation import workflow_validate

pytestmark = pytest.mark.django_db


def test_demo_seeds_are_idempotent_and_the_secret_is_shown_once(scenario):
    from apps.webhooks.demo import seed as seed_webhooks
    from apps.workflows.demo import seed as seed_workflows

    assert seed_workflows()["workflow"] == "restock-check"
    seed_workflows()
    first = seed_webhooks()
    again = seed_webhooks()
    assert first["secret (shown once)"].startswith("whsec_")
    assert "secret (shown once)" not in again
    workflow = Workflow.objects.get(slug="restock-check")
    assert workflow.service_account.username == "svc-automation"
    assert workflow_validate(workflow.current_version.steps, workflow.execution_mode) == []
    assert Schedule.objects.get().enabled is False


def test_the_restock_workflow_runs_end_to_end(scenario, django_capture_on_commit_callbacks):
    from apps.workflows.demo import seed
    from apps.workflows.services import workflow_run_start

    seed()
    with django_capture_on_commit_callbacks(execute=True):
        run = workflow_run_start(
            workflow=Workflow.objects.get(slug="restock-check"), user=scenario.operator
        )
    run.refresh_from_db()
    statuses = dict(run.steps.values_list("step_id", "status"))
    assert run.status == "succeeded", (statuses, list(run.steps.values_list("error", flat=True)))
    assert statuses["order"] in {"succeeded", "skipped"}
