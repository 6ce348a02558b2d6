"""RBAC through the agent: what the model is offered, and what it gets when it
exceeds a limit or needs approval."""

from __future__ import annotations

import json

import pytest

from apps.agents.models import Agent, Run
from apps.agents.services import run_create, run_execute
from apps.inventory.models import PurchaseOrder
from apps.tools.models import Approval, ToolCall
from tests.fakes.llm_server import ScriptedLLMServer

pytestmark = pytest.mark.django_db

BIG_ORDER = {
    "supplier_id": "SUP-001",
    "items": [{"product_id": "SKU-1001", "quantity": 250, "unit_price": 25}],
}


def run_with(settings, server, user, text="order") -> Run:  # type: ignore[no-untyped-def]
    settings.OWM_LLM_BASE_URL = server.base_url
    settings.OWM_LLM_MAX_RETRIES = 0
    settings.OWM_LLM_STREAM = False
    run = run_create(agent=Agent.objects.get(slug="inventory"), user=user, text=text)
    run_execute(run_id=str(run.pk))
    run.refresh_from_db()
    return run


def test_the_model_is_offered_only_the_tools_the_user_may_use(stocked_scenario, settings, grant):
    grant("operator", "predict_demand", "deny")
    with ScriptedLLMServer() as server:
        server.add_text("ok")
        run_with(settings, server, stocked_scenario.operator)
        offered = {t["function"]["name"] for t in server.chat_requests[0].body["tools"]}
    assert "predict_demand" not in offered
    assert "check_stock_levels" in offered


def test_a_limit_exceeded_by_the_model_comes_back_as_a_denial(stocked_scenario, settings, grant):
    grant(
        "operator",
        "create_purchase_order",
        "allow",
        [{"kind": "max", "path": "items[].quantity*items[].unit_price", "value": 5000}],
    )
    with ScriptedLLMServer() as server:
        server.add_tool_calls([("create_purchase_order", BIG_ORDER)])
        server.add_text("I may not order that much.")
        orders = PurchaseOrder.objects.count()
        run = run_with(settings, server, stocked_scenario.operator)
        result = json.loads(server.chat_requests[1].body["messages"][-1]["content"])
    assert run.status == "succeeded"
    assert result["error"]["kind"] == "denied"
    assert "create_purchase_order" in result["error"]["message"]
    assert "5,000" in result["error"]["message"]
    assert PurchaseOrder.objects.count() == orders
    assert ToolCall.objects.get(run=run).status == "denied"


def test_an_operators_purchase_order_waits_for_approval_by_default(stocked_scenario, settings):
    small = {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 10}]}
    with ScriptedLLMServer() as server:
        server.add_tool_calls([("create_purchase_order", small)])
        run = run_with(settings, server, stocked_scenario.operator)
    assert run.status == "waiting_approval"
    assert Approval.objects.get(run=run).is_pending
