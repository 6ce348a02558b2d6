from __future__ import annotations

import json

import pytest
from django.core import mail

from apps.customerservice.models import Ticket
from apps.inventory.models import Location, Product, PurchaseOrder, StockMovement
from apps.notifications.signing import verify
from apps.rules import services
from apps.rules.models import Rule, RuleFiring
from apps.tools.models import ToolCall


def _fired(firings):
    return sorted(f.rule.name for f in firings)


@pytest.mark.django_db
def test_the_three_default_rules_ship_with_the_app():
    rules = {r.name: r for r in Rule.objects.all()}
    assert rules["high_priority_alert"].condition == "error_count > 10"
    assert [a["action"] for a in rules["low_stock_warning"].actions] == [
        "generate_purchase_order",
        "notify_supplier",
    ]
    assert rules["performance_optimization"].condition == "response_time > sla_threshold"


def test_high_priority_alert_fires_on_many_errors_and_not_otherwise(people, manager):
    assert services.rules_evaluate(metrics={"error_count": 3}, actor=None) == []
    fired = services.rules_evaluate(metrics={"error_count": 14}, actor=None)
    assert _fired(fired) == ["high_priority_alert"]
    firing = fired[0]
    assert firing.decided_by == {"error_count": 14.0}
    assert firing.status == RuleFiring.Status.SUCCEEDED, firing.action_results
    assert [r["action"] for r in firing.action_results] == [
        "send_alert",
        "create_ticket",
        "notify_manager",
    ]


def test_create_ticket_really_opens_a_ticket(people, manager):
    before = Ticket.objects.count()
    firing = services.rules_evaluate(metrics={"error_count": 14}, actor=None)[0]
    ticket_result = firing.action_results[1]
    assert Ticket.objects.count() == before + 1
    ticket = Ticket.objects.latest("id")
    assert ticket_result["summary"].startswith(f"opened ticket {ticket.code}")
    assert ticket.priority == "urgent"  # critical severity


def test_notify_manager_and_send_alert_really_email_the_managers(people, manager):
    services.rules_evaluate(metrics={"error_count": 14}, actor=None)
    to = [m.to for m in mail.outbox]
    assert to == [["mona@example.com"], ["mona@example.com"]]
    assert "ALERT" in mail.outbox[0].body and "error_count=14" in mail.outbox[0].body


def test_a_rule_fires_once_per_subject_per_cooldown(people, manager):
    first = services.rules_evaluate(metrics={"error_count": 14}, actor=None)
    again = services.rules_evaluate(metrics={"error_count": 20}, actor=None)
    other = services.rules_evaluate(metrics={"error_count": 20, "subject": "eu-1"}, actor=None)
    assert len(first) == 1 and again == [] and _fired(other) == ["high_priority_alert"]


def test_performance_rule_fires_above_the_sla_constant_and_not_below(people, sla):
    assert services.rules_evaluate(metrics={"response_time": 420}, actor=None) == []
    fired = services.rules_evaluate(metrics={"response_time": 900}, actor=None)
    assert _fired(fired) == ["performance_optimization"]
    assert fired[0].decided_by == {"response_time": 900.0, "sla_threshold": 500.0}


def test_operations_actions_are_skipped_clearly_without_a_channel(people, sla):
    firing = services.rules_evaluate(metrics={"response_time": 900}, actor=None)[0]
    assert firing.status == RuleFiring.Status.SUCCEEDED
    result = firing.action_results[0]
    assert result["status"] == "skipped"
    assert "'operations' is not configured" in result["summary"]


def test_scale_resources_posts_a_signed_webhook(people, sla, operations, fake_http):
    fake_http.answer("/ops", status=204)
    firing = services.rules_evaluate(metrics={"response_time": 900}, actor=None)[0]
    assert firing.status == RuleFiring.Status.SUCCEEDED, firing.action_results
    assert len(fake_http.requests) == 3
    seen = fake_http.requests[0]
    headers = seen.headers
    assert verify(
        operations.secret,
        headers["webhook-id"],
        headers["webhook-timestamp"],
        seen.body,
        headers["webhook-signature"],
    )
    payload = json.loads(json.loads(seen.body)["data"]["message"])
    assert payload["action"] == "scale_resources"
    assert payload["decided_by"] == {"response_time": 900.0, "sla_threshold": 500.0}


def test_low_stock_fires_for_sku_1001_at_seoul_from_real_data(people):
    fired = services.rules_evaluate_stock()
    subjects = {f.subject for f in fired if f.rule.name == "low_stock_warning"}
    assert "SKU-1001@SEL-WH" in subjects
    firing = next(f for f in fired if f.subject == "SKU-1001@SEL-WH")
    assert firing.decided_by == {"inventory_level": 18.0, "reorder_point": 60.0}


def test_low_stock_drafts_one_order_from_the_cheapest_supplier_when_evaluated_twice(people):
    product = Product.objects.get(sku="SKU-1001")
    services.rules_evaluate_stock(product=product)
    services.rules_evaluate_stock(product=product)
    Rule.objects.filter(name="low_stock_warning").update(cooldown_seconds=0)  # cooldown gone
    services.rules_evaluate_stock(product=product)
    orders = PurchaseOrder.objects.filter(lines__product=product, status="draft")
    assert orders.count() == 1
    order = orders.get()
    assert order.supplier.code == "SUP-003"  # 36.50 beats SUP-001's 38.00
    line = order.lines.get()
    assert line.quantity == 180  # the reorder quantity at Seoul
    assert order.created_by.username == "svc-rules"


def test_notify_supplier_emails_the_cheapest_supplier(people):
    from apps.inventory.models import Supplier

    Supplier.objects.filter(code="SUP-003").update(email="orders@sup3.example")
    services.rules_evaluate_stock(product=Product.objects.get(sku="SKU-1001"))
    assert ["orders@sup3.example"] in [m.to for m in mail.outbox]


def test_actions_run_through_the_executor_as_the_service_account(people, manager):
    services.rules_evaluate(metrics={"error_count": 14}, actor=None)
    calls = ToolCall.objects.filter(tool_name="execute_business_action", source="rule")
    assert calls.count() == 3
    assert {c.actor.username for c in calls} == {"svc-rules"}
    svc = calls.first().actor
    assert not svc.has_usable_password() and svc.groups.filter(name="operator").exists()


def test_a_stock_movement_triggers_evaluation_of_its_product(
    people, django_capture_on_commit_callbacks
):
    product = Product.objects.get(sku="SKU-1001")
    with django_capture_on_commit_callbacks(execute=True):
        StockMovement.objects.create(
            product=product,
            location=Location.objects.get(code="SEL-WH"),
            kind=StockMovement.Kind.SALE,
            quantity=-1,
            occurred_at="2026-01-01T00:00:00Z",
        )
    firing = RuleFiring.objects.get(rule__name="low_stock_warning", subject="SKU-1001@SEL-WH")
    assert firing.trigger == "event"


def test_receiving_a_purchase_order_triggers_evaluation_of_its_products(
    people, django_capture_on_commit_callbacks
):
    from apps.inventory.models import PurchaseOrderLine, Supplier
    from apps.inventory.services import purchase_order_receive

    product = Product.objects.get(sku="SKU-1001")
    order = PurchaseOrder.objects.create(
        number="PO-TEST-RECEIVE", supplier=Supplier.objects.get(code="SUP-001"), status="submitted"
    )
    PurchaseOrderLine.objects.create(
        purchase_order=order, product=product, quantity=2, unit_price=1, line_total=2
    )
    assert not RuleFiring.objects.filter(subject="SKU-1001@SEL-WH").exists()
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_receive(purchase_order=order, location=Location.objects.get(code="SEL-WH"))
    # 18 + 2 units is still under the reorder point: the receipt re-evaluated it
    firing = RuleFiring.objects.get(rule__name="low_stock_warning", subject="SKU-1001@SEL-WH")
    assert firing.trigger == "event"
    assert firing.decided_by["inventory_level"] == 20.0


def test_disabled_rules_do_not_fire(people, manager):
    Rule.objects.filter(name="high_priority_alert").update(enabled=False)
    assert services.rules_evaluate(metrics={"error_count": 99}, actor=None) == []


def test_scheduled_pass_reads_tool_error_counts(people, manager, temp_tool):
    from apps.rules.tasks import rules_evaluate_due
    from apps.tools.registry import ToolError
    from apps.tools.services import tool_run

    def broken(ctx):
        raise ToolError("nope")

    temp_tool("always_fails", broken)
    for _ in range(11):
        tool_run(actor=people.operator, name="always_fails", arguments={}, source="api")
    rules_evaluate_due()
    firing = RuleFiring.objects.get(rule__name="high_priority_alert", subject="global")
    assert firing.decided_by == {"error_count": 11.0} and firing.trigger == "schedule"


def test_rule_validation_names_the_bad_condition_and_action(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        services.rule_create(
            name="broken",
            condition="error_cnt > 1",
            actions=[{"action": "launch_rockets", "parameters": {}}],
        )
    errors = info.value.message_dict
    assert "unknown metric 'error_cnt'" in errors["condition"][0]
    assert "'launch_rockets' is not one of" in errors["actions"][0]


def test_a_workflow_automation_evaluates_rules_through_rules_evaluate(people, manager):
    from apps.workflows.models import Automation
    from apps.workflows.triggers import automation_fire

    automation = Automation.objects.create(
        slug="errors-hook",
        name="errors hook",
        trigger_kind=Automation.Trigger.WEBHOOK,
        target_kind=Automation.Target.RULE_EVALUATION,
        run_as=people.operator,
    )
    result = automation_fire(
        automation=automation, payload={"metrics": {"error_count": 12}}, trigger="webhook"
    )
    assert len(result["rule_evaluation"]) == 1
    firing = RuleFiring.objects.get(rule__name="high_priority_alert")
    assert firing.trigger == "push" and firing.decided_by == {"error_count": 12.0}


def test_under_rbac_defaults_rule_actions_wait_for_a_person(people, manager, settings):
    from apps.rbac.services import rbac_sync_defaults

    settings.OWM_TOOL_POLICY = "apps.rbac.policy.rbac_policy"
    rbac_sync_defaults()
    firing = services.rules_evaluate(metrics={"error_count": 14}, actor=None)[0]
    assert firing.status == RuleFiring.Status.WAITING
    assert {r["outcome"] for r in firing.action_results} == {"waiting_approval"}
    assert mail.outbox == []


@pytest.mark.django_db
def test_demo_seed_is_idempotent():
    from apps.rules.demo import seed
    from apps.rules.models import MetricSample, RuleConstant

    first, second = seed(), seed()
    assert first["samples_created"] == 3 and second["samples_created"] == 0
    assert RuleConstant.objects.get(name="sla_threshold").value == 500
    assert MetricSample.objects.count() == 3
