"""The workflow pages and API, as a browser and an API client use them."""

from __future__ import annotations

import json

import pytest

from apps.workflows.models import StepRun, WorkflowRun
from apps.workflows.services import workflow_create

pytestmark = pytest.mark.django_db

STEPS = [
    {
        "step_id": "stock",
        "action": "check_stock_levels",
        "parameters": {"product_ids": ["SKU-1001"]},
    }
]


@pytest.fixture
def workflow(scenario):  # type: ignore[no-untyped-def]
    return workflow_create(slug="stock", name="Stock", steps=STEPS)


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def test_pages_need_a_login(client, workflow):
    assert client.get("/workflows/").status_code == 302


def test_list_detail_and_runs_pages_render(client, scenario, workflow):
    login(client, scenario.viewer)
    assert b"Stock" in client.get("/workflows/").content
    detail = client.get("/workflows/stock/")
    assert detail.status_code == 200 and b"check_stock_levels" in detail.content
    assert b"Start a run" not in detail.content  # viewers may look, not start
    assert b"No workflow runs yet" in client.get("/workflows/runs/").content
    assert b"No workflow matches" in client.get("/workflows/?q=zzz").content


def test_saving_an_invalid_definition_shows_errors_per_step(client, scenario, workflow):
    login(client, scenario.operator)
    bad = [*STEPS, {"step_id": "x", "action": "warp_drive", "depends_on": ["stock"]}]
    response = client.post(
        "/workflows/stock/", {"steps": json.dumps(bad), "execution_mode": "sequential"}
    )
    assert response.status_code == 400
    assert b"warp_drive" in response.content and b"<code>x</code>" in response.content
    workflow.refresh_from_db()
    assert workflow.current_version.number == 1


def test_saving_a_valid_definition_adds_a_version(client, scenario, workflow):
    login(client, scenario.operator)
    steps = [{**STEPS[0], "parameters": {}}]
    response = client.post(
        "/workflows/stock/", {"steps": json.dumps(steps), "execution_mode": "parallel"}
    )
    assert response.status_code == 302
    workflow.refresh_from_db()
    assert (workflow.current_version.number, workflow.execution_mode) == (2, "parallel")


def test_viewers_cannot_edit_or_start(client, scenario, workflow):
    login(client, scenario.viewer)
    assert client.post("/workflows/stock/start").status_code == 403
    assert client.post("/workflows/stock/", {"steps": "[]"}).status_code == 403


def test_start_from_the_page_then_watch_the_run(
    client, scenario, workflow, django_capture_on_commit_callbacks
):
    login(client, scenario.operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/workflows/stock/start")
    run = WorkflowRun.objects.get()
    assert response.url == f"/workflows/runs/{run.pk}/"
    page = client.get(response.url)
    assert b"Succeeded" in page.content and b"every 2s" not in page.content
    partial = client.get(response.url, HTTP_HX_REQUEST="true")
    assert b'id="steps"' in partial.content and b"<h1>" not in partial.content


def test_a_dead_step_shows_a_retry_button_that_requeues_it(client, scenario, workflow):
    login(client, scenario.operator)
    from apps.workflows.services import workflow_run_start

    run = workflow_run_start(workflow=workflow, user=scenario.operator)
    StepRun.objects.filter(workflow_run=run).update(
        status="dead", error_kind="not_found", error="gone"
    )
    WorkflowRun.objects.filter(pk=run.pk).update(status="failed")
    page = client.get(f"/workflows/runs/{run.pk}/")
    assert b"Retry by hand" in page.content and b"gone" in page.content
    client.post(f"/workflows/runs/{run.pk}/steps/stock/retry")
    assert StepRun.objects.get(workflow_run=run).status == "pending"


def test_create_from_the_list_page(client, scenario):
    login(client, scenario.operator)
    response = client.post(
        "/workflows/",
        {"slug": "new", "name": "New", "execution_mode": "sequential", "steps": json.dumps(STEPS)},
    )
    assert response.status_code == 302 and response.url == "/workflows/new/"


def test_api_create_get_update_start_and_retry(
    client, scenario, django_capture_on_commit_callbacks
):
    login(client, scenario.operator)
    created = client.post(
        "/api/workflows/",
        {"slug": "api", "name": "API", "steps": STEPS},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["version"] == 1
    bad = client.put(
        "/api/workflows/api/",
        {"steps": [{"step_id": "a", "action": "nope"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["steps"][0] == {
        "step_id": "a",
        "field": "action",
        "message": "unknown tool 'nope'",
    }
    updated = client.patch(
        "/api/workflows/api/",
        {"steps": [{**STEPS[0], "parameters": {}}]},
        content_type="application/json",
    )
    assert updated.json()["version"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/api/workflows/api/runs", {"inputs": {"k": 1}}, content_type="application/json"
        )
    assert started.status_code == 202
    run_id = started.json()["id"]
    detail = client.get(f"/api/workflow-runs/{run_id}/").json()
    assert (
        detail["status"] == "succeeded"
        and detail["steps"][0]["idempotency_key"] == f"{run_id}:stock"
    )
    assert len(client.get("/api/workflows/api/runs").json()) == 1
    conflict = client.post(f"/api/workflow-runs/{run_id}/steps/stock/retry")
    assert conflict.status_code == 409


def test_api_refuses_writes_from_viewers(client, scenario, workflow):
    login(client, scenario.viewer)
    assert client.get("/api/workflows/").status_code == 200
    assert client.post("/api/workflows/stock/runs").status_code == 403
