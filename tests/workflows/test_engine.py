"""The durable engine: DAG scheduling, retries on a fake clock, dead letters,
recovery of a step whose worker died, approvals."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.inventory.models import PurchaseOrder
from apps.tools.models import Approval, ToolCall
from apps.workflows import engine
from apps.workflows.engine import retry_delay, step_retry, workflows_due
from apps.workflows.models import StepRun, WorkflowRun
from apps.workflows.services import WorkflowInvalid, workflow_create, workflow_run_start
from tests.workflows.conftest import T0

pytestmark = pytest.mark.django_db

PO_STEP = {
    "step_id": "order",
    "action": "create_purchase_order",
    "parameters": {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 20}]},
}


def start(scenario, steps, mode="sequential", capture=None, **kwargs):  # type: ignore[no-untyped-def]
    workflow = workflow_create(
        slug=kwargs.pop("slug", "wf"),
        name="WF",
        steps=steps,
        execution_mode=mode,
        created_by=scenario.operator,
        **kwargs,
    )
    if capture is None:
        return workflow_run_start(workflow=workflow, user=scenario.operator)
    with capture(execute=True):
        return workflow_run_start(workflow=workflow, user=scenario.operator)


def states(run: WorkflowRun) -> dict[str, str]:
    return dict(run.steps.values_list("step_id", "status"))


def test_a_dag_with_parallel_and_conditional_parts_runs_to_the_end(
    scenario, django_capture_on_commit_callbacks
):
    steps = [
        {
            "step_id": "stock",
            "action": "check_stock_levels",
            "parameters": {"product_ids": ["SKU-1001"], "location": "SEL-WH"},
        },
        {
            "step_id": "demand",
            "action": "predict_demand",
            "depends_on": ["stock"],
            "parameters": {
                "product_id": "{{ steps.stock.rows.0.product_id }}",
                "forecast_period": 14,
            },
        },
        {
            "step_id": "low",
            "action": "evaluate_condition",
            "depends_on": ["stock"],
            "parameters": {
                "condition": "quantity <= reorder_point",
                "context": {
                    "quantity": "{{ steps.stock.rows.0.quantity }}",
                    "reorder_point": "{{ steps.stock.rows.0.reorder_point }}",
                },
            },
        },
        {
            "step_id": "never",
            "action": "check_stock_levels",
            "depends_on": ["low"],
            "condition": "steps.low.result == False",
            "parameters": {},
        },
        {
            "step_id": "report",
            "action": "aggregate_results",
            "depends_on": ["demand", "never"],
            "parameters": {
                "results": [{"value": "{{ steps.demand.total_forecast }}"}, {"value": 1}],
                "aggregation_method": "sum",
            },
        },
    ]
    run = start(scenario, steps, mode="conditional", capture=django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert states(run) == {
        "stock": "succeeded",
        "demand": "succeeded",
        "low": "succeeded",
        "never": "skipped",
        "report": "succeeded",
    }
    assert run.status == "succeeded" and run.finished_at is not None
    demand = run.steps.get(step_id="demand")
    assert demand.arguments == {"product_id": "SKU-1001", "forecast_period": 14}
    report = run.steps.get(step_id="report").result
    assert report["result"] == pytest.approx(demand.result["total_forecast"] + 1)
    keys = set(ToolCall.objects.filter(source="workflow").values_list("idempotency_key", flat=True))
    assert f"{run.pk}:demand" in keys


def test_parallel_mode_claims_up_to_max_workers_at_once(scenario, flaky):
    steps = [{"step_id": f"s{i}", "action": "flaky_tool"} for i in range(6)]
    run = start(scenario, steps, mode="parallel", max_workers=4)
    claimed = engine._claim_ready(workflow_run_id=run.pk)
    assert len(claimed) == 4
    assert engine._claim_ready(workflow_run_id=run.pk) == []  # all four still running


def test_sequential_mode_runs_one_step_at_a_time_in_order(scenario, flaky):
    steps = [
        {"step_id": "b", "action": "flaky_tool", "depends_on": ["a"]},
        {"step_id": "a", "action": "flaky_tool"},
        {"step_id": "c", "action": "flaky_tool"},
    ]
    run = start(scenario, steps, mode="sequential")
    [first] = engine._claim_ready(workflow_run_id=run.pk)
    assert StepRun.objects.get(pk=first).step_id == "a"
    assert engine._claim_ready(workflow_run_id=run.pk) == []


def test_retries_back_off_on_the_database_clock_then_dead_letter(scenario, flaky):
    policy = {"max_retries": 3, "backoff_factor": 2, "initial_interval": 1, "jitter": False}
    run = start(scenario, [{"step_id": "s", "action": "flaky_tool", "retry_policy": policy}])
    clock = T0
    expected_waits = [1, 2, 4]
    for attempt, wait in enumerate(expected_waits, start=1):
        [claimed] = engine._claim_ready(workflow_run_id=run.pk, now=clock)
        step = engine.step_execute(step_run_id=claimed, now=lambda c=clock: c, tick=False)
        assert (step.status, step.attempt, step.error_kind) == ("pending", attempt, "flaky")
        assert step.next_attempt_at == clock + dt.timedelta(seconds=wait)
        early = clock + dt.timedelta(seconds=wait - 0.5)
        assert engine._claim_ready(workflow_run_id=run.pk, now=early) == []  # not due yet
        clock += dt.timedelta(seconds=wait)
    [claimed] = engine._claim_ready(workflow_run_id=run.pk, now=clock)
    step = engine.step_execute(step_run_id=claimed, now=lambda: clock, tick=False)
    assert (step.status, step.attempt) == ("dead", 4)
    assert flaky["calls"] == 4
    engine._claim_ready(workflow_run_id=run.pk, now=clock)
    run.refresh_from_db()
    assert run.status == "failed"


def test_retry_delay_is_capped_and_jittered_within_ten_percent():
    policy = {"initial_interval": 1, "backoff_factor": 1.5, "max_interval": 60, "jitter": True}
    assert retry_delay(policy, 1, rand=lambda: 0.5) == pytest.approx(1.0)
    assert retry_delay(policy, 3, rand=lambda: 0.5) == pytest.approx(2.25)
    assert retry_delay(policy, 3, rand=lambda: 0.0) == pytest.approx(2.25 * 0.9)
    assert retry_delay(policy, 3, rand=lambda: 1.0) == pytest.approx(2.25 * 1.1)
    assert retry_delay(policy, 40, rand=lambda: 1.0) == 60


@pytest.mark.parametrize("kind", ["invalid_arguments", "denied", "unknown_tool", "not_found"])
def test_non_retryable_errors_dead_letter_on_the_first_attempt(scenario, flaky, kind):
    flaky["kind"] = kind
    run = start(scenario, [{"step_id": "s", "action": "flaky_tool"}])
    [claimed] = engine._claim_ready(workflow_run_id=run.pk)
    step = engine.step_execute(step_run_id=claimed, tick=False)
    assert (step.status, step.attempt, step.error_kind) == ("dead", 1, kind)


def test_a_denied_step_dead_letters_naming_the_tool(scenario):
    workflow = workflow_create(slug="wf", name="WF", steps=[PO_STEP])
    run = workflow_run_start(workflow=workflow, user=scenario.viewer)
    [claimed] = engine._claim_ready(workflow_run_id=run.pk)
    step = engine.step_execute(step_run_id=claimed, tick=False)
    assert step.status == "dead" and step.error_kind == "denied"
    assert "create_purchase_order" in step.error


def test_a_dead_step_retried_by_hand_lets_the_run_finish(
    scenario, flaky, django_capture_on_commit_callbacks
):
    flaky["kind"] = "not_found"
    steps = [
        {"step_id": "s", "action": "flaky_tool"},
        {
            "step_id": "after",
            "action": "evaluate_condition",
            "depends_on": ["s"],
            "parameters": {"condition": "v == 7", "context": {"v": "{{ steps.s.value }}"}},
        },
    ]
    run = start(scenario, steps, capture=django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert states(run) == {"s": "dead", "after": "pending"} and run.status == "failed"
    flaky["fail"] = 0
    with django_capture_on_commit_callbacks(execute=True):
        step_retry(step=run.steps.get(step_id="s"), user=scenario.operator)
    run.refresh_from_db()
    assert states(run) == {"s": "succeeded", "after": "succeeded"} and run.status == "succeeded"
    assert run.steps.get(step_id="after").result["result"] is True


def test_a_worker_killed_after_the_tool_acted_does_not_act_twice(
    scenario, django_capture_on_commit_callbacks
):
    before = PurchaseOrder.objects.count()
    run = start(scenario, [PO_STEP], capture=django_capture_on_commit_callbacks)
    step = run.steps.get()
    assert step.status == "succeeded" and PurchaseOrder.objects.count() == before + 1
    # The worker "died" after the tool committed, before the step was recorded:
    StepRun.objects.filter(pk=step.pk).update(
        status="running", result=None, finished_at=None, lease_until=T0
    )
    WorkflowRun.objects.filter(pk=run.pk).update(status="running", finished_at=None)
    assert workflows_due(now=T0 + dt.timedelta(seconds=1))["requeued"] == 1
    step.refresh_from_db()
    assert step.status == "succeeded" and step.attempt == 2
    assert step.result["purchase_order_id"]
    assert PurchaseOrder.objects.count() == before + 1


def test_a_worker_killed_before_the_tool_ran_is_recovered_once(scenario):
    before = PurchaseOrder.objects.count()
    run = start(scenario, [PO_STEP])  # on_commit not run: as if the broker lost the task
    [claimed] = engine._claim_ready(workflow_run_id=run.pk, now=T0)  # claimed, then the worker died
    lease_end = StepRun.objects.get(pk=claimed).lease_until
    assert workflows_due(now=lease_end - dt.timedelta(seconds=1))["requeued"] == 0
    workflows_due(now=lease_end + dt.timedelta(seconds=1))
    workflows_due(now=lease_end + dt.timedelta(seconds=2))  # a second sweep changes nothing
    step = StepRun.objects.get(pk=claimed)
    assert step.status == "succeeded"
    assert PurchaseOrder.objects.count() == before + 1
    run.refresh_from_db()
    assert run.status == "succeeded"


def test_a_stale_worker_cannot_overwrite_the_next_attempt(scenario, flaky):
    flaky["fail"] = 0
    run = start(scenario, [{"step_id": "s", "action": "flaky_tool"}])
    [claimed] = engine._claim_ready(workflow_run_id=run.pk, now=T0)
    stale = StepRun.objects.get(pk=claimed)
    workflows_due(now=stale.lease_until + dt.timedelta(seconds=1))  # re-queued and run again
    assert engine._record(stale, status="dead", now=T0, error=("late", "late")) is False
    assert StepRun.objects.get(pk=claimed).status == "succeeded"


def test_a_gated_step_waits_for_approval_and_finishes_once_approved(
    scenario, settings, django_capture_on_commit_callbacks
):
    settings.OWM_TOOL_POLICY = "tests.workflows.policies.approve_purchase_orders"
    before = PurchaseOrder.objects.count()
    run = start(scenario, [PO_STEP], capture=django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert states(run) == {"order": "waiting_approval"} and run.status == "waiting_approval"
    workflows_due()  # still pending: nothing changes
    assert states(run) == {"order": "waiting_approval"}
    approval = Approval.objects.get(tool_call__idempotency_key=f"{run.pk}:order")
    Approval.objects.filter(pk=approval.pk).update(status="approved", decided_by=scenario.admin)
    with django_capture_on_commit_callbacks(execute=True):
        workflows_due()
    run.refresh_from_db()
    assert states(run) == {"order": "succeeded"} and run.status == "succeeded"
    assert PurchaseOrder.objects.count() == before + 1


def test_a_rejected_step_fails_without_retrying(
    scenario, settings, django_capture_on_commit_callbacks
):
    settings.OWM_TOOL_POLICY = "tests.workflows.policies.approve_purchase_orders"
    run = start(scenario, [PO_STEP], capture=django_capture_on_commit_callbacks)
    Approval.objects.filter(tool_call__idempotency_key=f"{run.pk}:order").update(
        status="rejected", decided_by=scenario.admin
    )
    workflows_due()
    step = run.steps.get()
    assert step.status == "failed" and step.error_kind == "rejected"


def test_an_invalid_definition_cannot_be_saved(scenario):
    with pytest.raises(WorkflowInvalid) as info:
        workflow_create(slug="bad", name="Bad", steps=[{"step_id": "a", "action": "nope"}])
    assert info.value.errors[0].step_id == "a"


def test_editing_a_workflow_adds_a_version_and_runs_keep_theirs(scenario):
    from apps.workflows.services import workflow_update

    workflow = workflow_create(
        slug="wf", name="WF", steps=[{"step_id": "a", "action": "check_stock_levels"}]
    )
    run = workflow_run_start(workflow=workflow, user=scenario.operator)
    workflow_update(
        workflow=workflow,
        user=scenario.operator,
        steps=[{"step_id": "b", "action": "check_stock_levels"}],
    )
    workflow.refresh_from_db()
    assert workflow.current_version.number == 2 and workflow.versions.count() == 2
    assert [s["step_id"] for s in run.definition] == ["a"]
