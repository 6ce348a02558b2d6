from __future__ import annotations

from apps.inventory.models import PurchaseOrder
from apps.tools.registry import registry


def test_tools_are_declared_with_the_source_parameters():
    check = registry.get("check_business_rules")
    execute = registry.get("execute_business_action")
    assert check.parameters["required"] == ["metrics"] and check.category == "rules"
    assert execute.parameters["required"] == ["action_name", "context"]
    assert "generate_purchase_order" in execute.parameters["properties"]["action_name"]["enum"]
    assert execute.risk == "high" and execute.side_effects and not execute.atomic


def test_check_business_rules_reports_holding_rules_and_missing_metrics(call):
    out = call(
        "check_business_rules",
        {"metrics": {"error_count": 14, "response_time": 900, "sla_threshold": 500}},
    )
    assert out.ok, out.result
    assert sorted(out.result["holding"]) == ["high_priority_alert", "performance_optimization"]
    low = next(r for r in out.result["rules"] if r["rule"] == "low_stock_warning")
    assert low["missing_metrics"] == ["inventory_level", "reorder_point"]
    assert "2 of 3 rules hold" in out.result["summary"]
    assert "low_stock_warning needs inventory_level, reorder_point" in out.result["summary"]


def test_check_business_rules_runs_no_action(call):
    before = PurchaseOrder.objects.count()
    out = call("check_business_rules", {"metrics": {"inventory_level": 12, "reorder_point": 40}})
    assert out.result["holding"] == ["low_stock_warning"]
    assert out.result["rules"][1]["decided_by"] == {"inventory_level": 12.0, "reorder_point": 40.0}
    assert PurchaseOrder.objects.count() == before


def test_check_business_rules_refuses_non_numeric_metrics(call):
    out = call("check_business_rules", {"metrics": {"error_count": "many"}})
    assert out.result["error"]["kind"] == "invalid_arguments"
    out = call("check_business_rules", {})
    assert out.result["error"]["kind"] == "invalid_arguments"


def test_execute_business_action_drafts_a_purchase_order(call):
    out = call(
        "execute_business_action",
        {
            "action_name": "generate_purchase_order",
            "context": {"product_id": "SKU-1001", "quantity": 60},
        },
        idempotency_key="test-po-1",
    )
    assert out.ok, out.result
    order = PurchaseOrder.objects.get(number=out.result["purchase_order"])
    assert order.supplier.code == "SUP-003" and order.lines.get().quantity == 60
    assert out.result["summary"].startswith(f"drafted {order.number}")


def test_execute_business_action_refuses_an_unknown_action(call):
    out = call("execute_business_action", {"action_name": "launch_rockets", "context": {}})
    assert out.result["error"]["kind"] == "invalid_arguments"


def test_execute_business_action_names_an_unknown_product(call):
    out = call(
        "execute_business_action",
        {"action_name": "generate_purchase_order", "context": {"product_id": "SKU-9999"}},
    )
    assert out.result["error"]["kind"] == "not_found"
    assert "SKU-1001" in out.result["error"]["message"]


def test_viewer_may_not_execute_business_actions(call, people):
    out = call(
        "execute_business_action",
        {"action_name": "notify_manager", "context": {}},
        actor=people.viewer,
    )
    assert out.result["error"]["kind"] == "denied"
    assert "execute_business_action" in out.result["error"]["message"]


def test_the_business_rules_agent_exists(db):
    from apps.agents.models import Agent

    agent = Agent.objects.get(slug="business-rules")
    assert agent.tool_names == [
        "check_business_rules",
        "execute_business_action",
        "check_stock_levels",
    ]
    assert agent.max_iterations == 8 and agent.example_prompts
