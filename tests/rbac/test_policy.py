"""The RBAC policy: decisions, limits and their reasons, through the executor
and the tool API as the product runs them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from rest_framework.test import APIClient

from apps.agents.models import Agent
from apps.rbac.models import Grant
from apps.rbac.policy import rbac_policy
from apps.tools.models import ToolCall
from apps.tools.policy import authorize, visible_tools
from apps.tools.registry import registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(stocked_scenario):  # type: ignore[no-untyped-def]
    return stocked_scenario  # these tests run the inventory tools over the demo data


PO_TOTAL_LIMIT = [
    {
        "kind": "max",
        "path": "items[].quantity*items[].unit_price",
        "value": 5000,
        "inclusive": False,
    }
]


def decide(user, name, arguments):  # type: ignore[no-untyped-def]
    return authorize(actor=user, spec=registry.get(name), arguments=arguments)


def po(quantity, unit_price=38, supplier="SUP-001"):  # type: ignore[no-untyped-def]
    item = {"product_id": "SKU-1001", "quantity": quantity}
    if unit_price is not None:
        item["unit_price"] = unit_price
    return {"supplier_id": supplier, "items": [item]}


# Allowed, denied, no grant


def test_operator_runs_a_granted_tool(scenario, call):
    outcome = call(scenario.operator, "check_stock_levels", {"location": "SEL-WH"})
    assert outcome.ok


def test_user_without_a_granting_role_is_denied_with_the_tool_named(scenario, call):
    outcome = call(scenario.viewer, "check_stock_levels", {})
    assert outcome.call.status == ToolCall.Status.DENIED
    assert outcome.result["error"] == {
        "kind": "denied",
        "message": "denied: no role of victor grants check_stock_levels",
    }


def test_a_deny_grant_names_the_role_and_the_tool(scenario, call, grant):
    grant("operator", "predict_demand", "deny")
    outcome = call(
        scenario.operator, "predict_demand", {"product_id": "SKU-1001", "forecast_period": 7}
    )
    assert outcome.call.status == ToolCall.Status.DENIED
    assert outcome.call.error == "denied: role operator may not use predict_demand"


def test_superuser_is_allowed_without_any_grant(scenario, call):
    Grant.objects.all().delete()
    assert call(scenario.admin, "check_stock_levels", {"location": "SEL-WH"}).ok
    assert call(scenario.operator, "check_stock_levels", {}).call.status == "denied"


def test_anonymous_and_inactive_users_are_denied(scenario):
    assert not decide(AnonymousUser(), "check_stock_levels", {}).allowed
    assert not decide(None, "check_stock_levels", {}).allowed
    scenario.operator.is_active = False
    refused = decide(scenario.operator, "check_stock_levels", {})
    assert not refused.allowed and "check_stock_levels" in refused.reason


def test_approve_grant_requires_approval(scenario, grant):
    grant("operator", "create_purchase_order", "approve")
    decision = decide(scenario.operator, "create_purchase_order", po(5))
    assert decision.allowed and decision.requires_approval
    assert "create_purchase_order" in decision.reason


# Limits


def test_purchase_order_over_the_total_limit_is_denied(scenario, call, grant):
    grant("operator", "create_purchase_order", "allow", PO_TOTAL_LIMIT)
    outcome = call(scenario.operator, "create_purchase_order", po(125, unit_price=50))
    assert outcome.call.status == ToolCall.Status.DENIED
    assert outcome.call.error == (
        "denied: create_purchase_order total 6,250.00 exceeds the limit 5,000 for role operator"
    )


def test_purchase_order_of_exactly_the_limit_is_denied(scenario, grant):
    grant("operator", "create_purchase_order", "allow", PO_TOTAL_LIMIT)
    decision = decide(scenario.operator, "create_purchase_order", po(100, unit_price=50))
    assert not decision.allowed and "reaches the limit 5,000" in decision.reason


def test_purchase_order_under_the_limit_runs(scenario, call, grant):
    grant("operator", "create_purchase_order", "allow", PO_TOTAL_LIMIT)
    outcome = call(scenario.operator, "create_purchase_order", po(10, unit_price=38))
    assert outcome.ok, outcome.result


def test_total_limit_fails_closed_without_a_unit_price(scenario, grant):
    grant("operator", "create_purchase_order", "allow", PO_TOTAL_LIMIT)
    decision = decide(scenario.operator, "create_purchase_order", po(1, unit_price=None))
    assert not decision.allowed
    assert decision.reason == (
        "denied: create_purchase_order total cannot be checked against the limit "
        "(items[0].unit_price is missing) for role operator"
    )


def test_supplier_outside_the_allowed_list_is_denied(scenario, grant):
    grant(
        "operator",
        "create_purchase_order",
        "allow",
        [{"kind": "in", "path": "supplier_id", "values": ["SUP-001", "SUP-002"]}],
    )
    assert decide(scenario.operator, "create_purchase_order", po(1, supplier="SUP-002")).allowed
    refused = decide(scenario.operator, "create_purchase_order", po(1, supplier="SUP-003"))
    assert refused.reason == (
        "denied: create_purchase_order supplier_id SUP-003 is not among the allowed "
        "SUP-001, SUP-002 for role operator"
    )


def test_location_limit_allows_listed_locations_and_an_absent_optional_one(scenario, grant):
    grant(
        "operator",
        "check_stock_levels",
        "allow",
        [{"kind": "in", "path": "location", "values": ["SEL-WH"]}],
    )
    assert decide(scenario.operator, "check_stock_levels", {"location": "sel-wh"}).allowed
    assert decide(scenario.operator, "check_stock_levels", {"product_ids": ["SKU-1001"]}).allowed
    refused = decide(scenario.operator, "check_stock_levels", {"location": "Busan"})
    assert not refused.allowed and "location Busan" in refused.reason


def test_required_limit_denies_an_absent_argument_even_with_empty_arguments(scenario, grant):
    limit = {"kind": "in", "path": "location", "values": ["SEL-WH"], "required": True}
    grant("operator", "check_stock_levels", "allow", [limit])
    refused = decide(scenario.operator, "check_stock_levels", {})
    assert refused.reason == (
        "denied: check_stock_levels location is required by the limit for role operator"
    )


def test_email_domain_limit_checks_every_recipient(scenario, grant, temp_tool):
    temp_tool(
        "notify_test",
        lambda ctx, **kw: {"summary": "sent"},
        parameters={
            "type": "object",
            "properties": {"recipients": {"type": "array", "items": {"type": "string"}}},
            "required": ["recipients"],
        },
    )
    limit = {"kind": "email_domain", "path": "recipients[]", "domains": ["owm.example"]}
    grant("operator", "notify_test", "allow", [limit])
    ok = {"recipients": ["ann@owm.example", "Bo@OWM.example"]}
    assert decide(scenario.operator, "notify_test", ok).allowed
    refused = decide(
        scenario.operator, "notify_test", {"recipients": ["ann@owm.example", "eve@evil.example"]}
    )
    assert refused.reason == (
        "denied: notify_test recipients[] eve@evil.example is outside the allowed domains "
        "owm.example for role operator"
    )
    assert not decide(scenario.operator, "notify_test", {"recipients": ["#ops"]}).allowed


def test_max_items_and_per_item_max(scenario, grant):
    grant(
        "operator",
        "create_purchase_order",
        "allow",
        [
            {"kind": "max_items", "path": "items", "value": 1},
            {"kind": "max", "path": "items[].quantity", "value": 100},
        ],
    )
    two = {"supplier_id": "SUP-001", "items": [po(1)["items"][0], po(2)["items"][0]]}
    assert (
        "items has 2 entries, more than the limit 1"
        in decide(scenario.operator, "create_purchase_order", two).reason
    )
    assert (
        "items[].quantity 150 exceeds the limit 100"
        in decide(scenario.operator, "create_purchase_order", po(150)).reason
    )


def test_limits_do_not_hide_a_tool_from_the_model(scenario, grant):
    grant("operator", "create_purchase_order", "allow", PO_TOTAL_LIMIT)
    specs = registry.subset(["check_stock_levels", "create_purchase_order"])
    assert visible_tools(actor=scenario.operator, specs=specs) == specs
    assert visible_tools(actor=scenario.viewer, specs=specs) == []


# Precedence


def test_a_tool_grant_beats_the_same_roles_agent_grant(scenario, grant):
    operator = Group.objects.get(name="operator")
    inventory = Agent.objects.get(slug="inventory")
    Grant.objects.update_or_create(role=operator, agent=inventory, defaults={"decision": "allow"})
    grant("operator", "predict_demand", "deny")
    assert not decide(scenario.operator, "predict_demand", {}).allowed
    grant("operator", "predict_demand", "")  # remove it: the agent grant applies
    assert decide(scenario.operator, "predict_demand", {}).reason == (
        "allowed: role operator grants predict_demand"
    )
    Grant.objects.filter(role=operator, agent=inventory).update(decision="deny")
    grant("operator", "predict_demand", "allow")
    assert decide(scenario.operator, "predict_demand", {}).allowed


def test_a_deny_from_any_role_wins(scenario, grant):
    grant("frozen", "check_stock_levels", "deny")
    scenario.other_operator.groups.add(Group.objects.get(name="frozen"))
    refused = decide(scenario.other_operator, "check_stock_levels", {})
    assert refused.reason == "denied: role frozen may not use check_stock_levels"
    assert decide(scenario.operator, "check_stock_levels", {}).allowed


def test_the_most_permissive_passing_grant_wins(scenario, grant):
    grant("operator", "create_purchase_order", "approve")
    grant("buyer", "create_purchase_order", "allow", PO_TOTAL_LIMIT)
    scenario.operator.groups.add(Group.objects.get(name="buyer"))
    small = decide(scenario.operator, "create_purchase_order", po(1))
    assert small.allowed and not small.requires_approval
    large = decide(scenario.operator, "create_purchase_order", po(1000, unit_price=50))
    assert large.allowed and large.requires_approval  # the operator grant still passes


def test_the_policy_costs_at_most_two_queries(scenario, grant, django_assert_max_num_queries):
    grant("operator", "create_purchase_order", "allow", PO_TOTAL_LIMIT)
    spec = registry.get("create_purchase_order")
    with django_assert_max_num_queries(2):
        rbac_policy(actor=scenario.operator, spec=spec, arguments=po(5))


# Through the tool API


def test_the_api_refuses_a_limited_call_with_403_and_the_reason(scenario, grant):
    grant("operator", "create_purchase_order", "allow", PO_TOTAL_LIMIT)
    client = APIClient()
    client.force_authenticate(scenario.operator)
    response = client.post(
        "/api/tools/create_purchase_order/invoke",
        {"arguments": po(125, unit_price=50)},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["result"]["error"]["message"] == (
        "denied: create_purchase_order total 6,250.00 exceeds the limit 5,000 for role operator"
    )
