"""The workflow tools, run through the executor as an agent runs them."""

from __future__ import annotations

import pytest

from apps.inventory.models import PurchaseOrder
from apps.tools.registry import registry
from apps.tools.services import tool_run
from apps.workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(scenario):  # type: ignore[no-untyped-def]
    def run(name, arguments, **kwargs):  # type: ignore[no-untyped-def]
        return tool_run(
            actor=scenario.operator, name=name, arguments=arguments, source="agent", **kwargs
        )

    return run


def test_tools_are_registered_in_the_workflow_category_with_the_source_parameters():
    names = [
        "execute_workflow",
        "process_parallel_tasks",
        "aggregate_results",
        "evaluate_condition",
        "execute_branch",
    ]
    specs = [registry.get(n) for n in names]
    assert all(s is not None and s.category == "workflow" for s in specs)
    assert specs[0].parameters["required"] == ["workflow_steps"]
    item = specs[0].parameters["properties"]["workflow_steps"]["items"]["properties"]
    assert set(item) == {"step_id", "action", "parameters", "depends_on", "retry_policy"}
    assert set(specs[1].parameters["properties"]) == {"tasks", "max_workers"}
    assert set(specs[4].parameters["properties"]["actions"]["items"]["properties"]) == {
        "action_type",
        "parameters",
    }


def test_execute_workflow_runs_inline_and_returns_every_step(call):
    outcome = call(
        "execute_workflow",
        {
            "execution_mode": "sequential",
            "workflow_steps": [
                {
                    "step_id": "stock",
                    "action": "check_stock_levels",
                    "parameters": {"product_ids": ["SKU-1001"], "location": "SEL-WH"},
                },
                {
                    "step_id": "low",
                    "action": "evaluate_condition",
                    "depends_on": ["stock"],
                    "parameters": {
                        "condition": "q <= rp",
                        "context": {
                            "q": "{{ steps.stock.rows.0.quantity }}",
                            "rp": "{{ steps.stock.rows.0.reorder_point }}",
                        },
                    },
                },
            ],
        },
    )
    assert outcome.ok, outcome.result
    result = outcome.result
    assert result["status"] == "succeeded"
    assert [s["status"] for s in result["steps"]] == ["succeeded", "succeeded"]
    assert result["steps"][1]["result"]["result"] is True
    assert WorkflowRun.objects.get(pk=result["workflow_run_id"]).trigger == "tool"
    assert "succeeded" in result["summary"]


def test_execute_workflow_retries_with_short_sleeps(call, flaky, monkeypatch):
    flaky["fail"] = 2
    monkeypatch.setattr("apps.workflows.services.INLINE_SLEEP_BUDGET_S", 10)
    outcome = call(
        "execute_workflow",
        {
            "workflow_steps": [
                {
                    "step_id": "s",
                    "action": "flaky_tool",
                    "retry_policy": {"max_retries": 3, "backoff_factor": 1},
                }
            ]
        },
    )
    [step] = outcome.result["steps"]
    assert (step["status"], step["attempts"], step["result"]["value"]) == ("succeeded", 3, 7)


def test_execute_workflow_reports_validation_errors_per_step(call):
    outcome = call(
        "execute_workflow",
        {
            "workflow_steps": [
                {"step_id": "a", "action": "check_stock_levels"},
                {"step_id": "b", "action": "teleport", "depends_on": ["a"]},
            ]
        },
    )
    assert not outcome.ok
    assert outcome.result["error"]["kind"] == "invalid_arguments"
    assert {
        "step_id": "b",
        "field": "action",
        "message": "unknown tool 'teleport'",
    } in outcome.result["error"]["details"]


def test_execute_workflow_does_not_order_twice_when_the_agent_repeats_the_call(call):
    before = PurchaseOrder.objects.count()
    arguments = {
        "workflow_steps": [
            {
                "step_id": "po",
                "action": "create_purchase_order",
                "parameters": {
                    "supplier_id": "SUP-001",
                    "items": [{"product_id": "SKU-1001", "quantity": 10}],
                },
            }
        ]
    }
    first = call("execute_workflow", arguments, idempotency_key="agent-call-1")
    again = call("execute_workflow", arguments, idempotency_key="agent-call-1")
    assert first.ok and again.result == first.result
    assert PurchaseOrder.objects.count() == before + 1


@pytest.mark.parametrize(
    ("method", "results", "expected"),
    [
        ("sum", [1, 2, {"value": 3}], 6),
        ("average", [{"score": 2}, {"score": 4}], 3),
        ("merge", [{"a": 1}, {"b": 2, "a": 3}], {"a": 3, "b": 2}),
        ("merge", [[1], [2, 3]], [1, 2, 3]),
        (
            "rank",
            [{"id": "x", "score": 1}, {"id": "y", "score": 5}, {"id": "z", "value": 3}],
            [{"id": "y", "score": 5}, {"id": "z", "value": 3}, {"id": "x", "score": 1}],
        ),
    ],
)
def test_aggregate_results_methods(call, method, results, expected):
    outcome = call("aggregate_results", {"results": results, "aggregation_method": method})
    assert outcome.ok and outcome.result["result"] == expected
    assert outcome.result["summary"]


def test_aggregate_results_defaults_to_merge_and_rejects_non_numbers_for_sum(call):
    assert (
        call("aggregate_results", {"results": [{"a": 1}]}).result["aggregation_method"] == "merge"
    )
    bad = call("aggregate_results", {"results": [1, "two"], "aggregation_method": "sum"})
    assert (
        bad.result["error"]["kind"] == "invalid_arguments"
        and "[1]" in bad.result["error"]["message"]
    )


def test_evaluate_condition_compares_names_from_the_context(call):
    outcome = call(
        "evaluate_condition",
        {
            "condition": "value > threshold and ok",
            "context": {"value": 12, "threshold": 10, "ok": True},
        },
    )
    assert outcome.ok and outcome.result["result"] is True
    assert outcome.result["summary"] == "value > threshold and ok is True"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("value > missing", "unknown name 'missing'"),
        ("value >", "not a valid expression"),
        ("value.__class__", "Attribute"),
        ("__import__('os')", "Call"),
    ],
)
def test_evaluate_condition_refuses_unknown_names_bad_syntax_attributes_and_calls(
    call, condition, message
):
    outcome = call("evaluate_condition", {"condition": condition, "context": {"value": 1}})
    assert not outcome.ok
    assert outcome.result["error"]["kind"] == "invalid_condition"
    assert message in outcome.result["error"]["message"]


def test_execute_branch_runs_actions_in_order(call):
    outcome = call(
        "execute_branch",
        {
            "branch_name": "restock",
            "actions": [
                {"action_type": "check_stock_levels", "parameters": {"product_ids": ["SKU-1001"]}},
                {
                    "action_type": "evaluate_condition",
                    "parameters": {"condition": "1 < 2", "context": {}},
                },
            ],
        },
    )
    assert outcome.ok and outcome.result["completed"] is True
    assert [r["action_type"] for r in outcome.result["results"]] == [
        "check_stock_levels",
        "evaluate_condition",
    ]
    assert outcome.result["results"][1]["result"]["result"] is True


def test_execute_branch_stops_at_the_first_failure(call):
    outcome = call(
        "execute_branch",
        {
            "branch_name": "b",
            "actions": [
                {
                    "action_type": "predict_demand",
                    "parameters": {"product_id": "SKU-0000", "forecast_period": 7},
                },
                {"action_type": "check_stock_levels", "parameters": {}},
            ],
        },
    )
    assert outcome.ok and outcome.result["completed"] is False
    assert len(outcome.result["results"]) == 1
    assert outcome.result["results"][0]["status"] == "failed"
    assert "stopped at action 0" in outcome.result["summary"]


def test_nested_tools_are_authorised_as_the_caller(scenario):
    outcome = tool_run(
        actor=scenario.viewer,
        name="execute_branch",
        source="agent",
        arguments={"branch_name": "b", "actions": [{"action_type": "check_stock_levels"}]},
    )
    assert outcome.result["error"]["kind"] == "denied"
