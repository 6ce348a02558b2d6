"""The inventory tools, run through the executor as the product runs them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from apps.inventory import services
from apps.inventory.models import (
    Location,
    Product,
    PurchaseOrder,
    StockLevel,
    StockMovement,
    Supplier,
)
from apps.tools.models import ToolCall
from apps.tools.registry import Risk, registry

pytestmark = pytest.mark.django_db


def test_tools_are_registered_with_the_source_parameters():
    stock = registry.get("check_stock_levels")
    demand = registry.get("predict_demand")
    order = registry.get("create_purchase_order")
    assert set(stock.parameters["properties"]) == {"product_ids", "location"}
    assert set(demand.parameters["required"]) == {"product_id", "forecast_period"}
    assert set(order.parameters["required"]) == {"supplier_id", "items"}
    assert set(order.parameters["properties"]["items"]["items"]["properties"]) == {
        "product_id",
        "quantity",
        "unit_price",
    }
    assert order.risk == Risk.HIGH and order.side_effects
    assert stock.category == demand.category == order.category == "inventory"


def test_inventory_agent_is_created_by_migration():
    from apps.agents.models import Agent

    agent = Agent.objects.get(slug="inventory")
    assert agent.tool_names == ["check_stock_levels", "predict_demand", "create_purchase_order"]
    assert agent.max_iterations == 10
    assert all(name in registry for name in agent.tool_names)


# check_stock_levels


def test_stock_check_flags_the_low_scanner_in_seoul(call):
    outcome = call("check_stock_levels", {"product_ids": ["SKU-1001"], "location": "SEL-WH"})
    assert outcome.ok
    [row] = outcome.result["rows"]
    assert row["product_id"] == "SKU-1001" and row["location"] == "SEL-WH"
    assert row["status"] == "low"
    assert row["quantity"] <= row["reorder_point"]
    assert "SKU-1001" in outcome.result["summary"] and "low" in outcome.result["summary"]


@pytest.mark.parametrize(
    "location", ["Seoul", "SEL-WH", "Seoul Warehouse", "seoul warehouse", "sel-wh"]
)
def test_location_matches_code_name_or_city(call, location):
    outcome = call("check_stock_levels", {"location": location})
    assert outcome.ok
    assert {row["location"] for row in outcome.result["rows"]} == {"SEL-WH"}
    assert outcome.result["totals"]["rows"] == Product.objects.count()


def test_stock_check_without_arguments_covers_every_product_and_location(call):
    outcome = call("check_stock_levels", {})
    assert outcome.ok
    assert outcome.result["totals"]["rows"] == StockLevel.objects.count() == 24
    assert outcome.result["totals"]["low"] >= 1
    assert outcome.result["totals"]["out_of_stock"] >= 1
    assert outcome.result["truncated"] is False


def test_partly_unknown_skus_are_reported_beside_the_known_ones(call):
    outcome = call("check_stock_levels", {"product_ids": ["SKU-1002", "SKU-9999"]})
    assert outcome.ok
    assert outcome.result["unknown_products"] == ["SKU-9999"]
    assert {row["product_id"] for row in outcome.result["rows"]} == {"SKU-1002"}
    assert "SKU-9999" in outcome.result["summary"]


def test_all_unknown_skus_fail_and_list_known_skus(call):
    outcome = call("check_stock_levels", {"product_ids": ["NOPE-1"]})
    assert outcome.call.status == ToolCall.Status.FAILED
    assert outcome.call.error_kind == "not_found"
    assert "NOPE-1" in outcome.call.error and "SKU-1001" in outcome.call.error


def test_unknown_location_lists_known_locations(call):
    outcome = call("check_stock_levels", {"location": "Tokyo"})
    assert outcome.call.status == ToolCall.Status.FAILED
    message = outcome.result["error"]["message"]
    assert "Tokyo" in message
    for code in ("SEL-WH", "BSN-DC", "ICN-HUB"):
        assert code in message


def test_stock_check_rejects_a_string_for_product_ids(call):
    outcome = call("check_stock_levels", {"product_ids": "SKU-1001"})
    assert outcome.call.status == ToolCall.Status.INVALID


def test_stock_check_rejects_unknown_arguments(call):
    outcome = call("check_stock_levels", {"warehouse": "Seoul"})
    assert outcome.call.status == ToolCall.Status.INVALID


# predict_demand


def test_demand_forecast_uses_holt_winters_over_a_year_of_sales(call):
    outcome = call("predict_demand", {"product_id": "SKU-1001", "forecast_period": 30})
    assert outcome.ok, outcome.result
    result = outcome.result
    assert result["method"] == "holt_winters_additive"
    assert result["parameters"]["season_length"] == 7
    assert {"alpha", "beta", "gamma"} <= set(result["parameters"])
    assert len(result["daily_forecast"]) == 30
    assert result["daily_forecast"][0]["date"] == timezone.localdate().isoformat()
    assert result["history"]["days"] == 365
    assert result["history"]["total_demand"] > 0
    low, high = result["prediction_intervals"]["total"]["80"]
    low95, high95 = result["prediction_intervals"]["total"]["95"]
    assert low95 <= low <= result["total_forecast"] <= high <= high95
    # the demo's mean demand for SKU-1001 is about 12-15 units a day
    assert 8 < result["mean_daily_forecast"] < 20
    assert result["reorder_advice"]["reorder_recommended"] is True
    assert result["reorder_advice"]["suggested_supplier"]["supplier_id"] in {"SUP-001", "SUP-003"}
    assert "SKU-1001" in result["summary"]


def test_demand_forecast_over_a_year_fits_the_result_limit(call, settings):
    outcome = call("predict_demand", {"product_id": "SKU-1003", "forecast_period": 365})
    assert outcome.ok
    assert "truncated" not in outcome.result
    assert len(json.dumps(outcome.result)) <= settings.OWM_TOOL_RESULT_MAX_CHARS
    widths = [
        x["upper_95"] - x["lower_95"] for x in outcome.result["prediction_intervals"]["by_horizon"]
    ]
    assert widths[-1] >= widths[0]


def test_short_history_forecast_falls_back_to_the_mean(call):
    product = Product.objects.create(sku="SKU-2001", name="New Gadget")
    location = Location.objects.get(code="SEL-WH")
    today = timezone.localdate()
    StockMovement.objects.bulk_create(
        StockMovement(
            product=product,
            location=location,
            kind="sale",
            quantity=-4,
            occurred_at=timezone.now() - dt.timedelta(days=days),
        )
        for days in range(1, 6)
    )
    outcome = call("predict_demand", {"product_id": "SKU-2001", "forecast_period": 10})
    assert outcome.ok
    assert outcome.result["method"] == "mean_fallback"
    assert "history too short" in outcome.result["note"]
    assert outcome.result["total_forecast"] == pytest.approx(40.0)
    assert outcome.result["history"]["end"] == (today - dt.timedelta(days=1)).isoformat()


def test_product_without_sales_gets_a_zero_forecast_not_an_error(call):
    Product.objects.create(sku="SKU-2002", name="Never Sold")
    outcome = call("predict_demand", {"product_id": "SKU-2002", "forecast_period": 7})
    assert outcome.ok
    assert outcome.result["method"] == "no_history"
    assert outcome.result["total_forecast"] == 0
    assert "no sales history" in outcome.result["summary"]


def test_demand_for_unknown_product_fails_with_known_skus(call):
    outcome = call("predict_demand", {"product_id": "SKU-0000", "forecast_period": 7})
    assert outcome.call.status == ToolCall.Status.FAILED
    assert "SKU-0000" in outcome.call.error and "SKU-1001" in outcome.call.error


@pytest.mark.parametrize(
    "arguments",
    [
        {"product_id": "SKU-1001"},
        {"forecast_period": 30},
        {"product_id": "SKU-1001", "forecast_period": "thirty"},
        {"product_id": "SKU-1001", "forecast_period": 0},
        {"product_id": "SKU-1001", "forecast_period": 400},
    ],
)
def test_demand_forecast_rejects_bad_arguments(call, arguments):
    outcome = call("predict_demand", arguments)
    assert outcome.call.status == ToolCall.Status.INVALID
    assert outcome.result["error"]["kind"] == "invalid_arguments"


# create_purchase_order


def test_purchase_order_is_priced_from_the_supplier(call, operator):
    outcome = call(
        "create_purchase_order",
        {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 50}]},
    )
    assert outcome.ok, outcome.result
    result = outcome.result
    order = PurchaseOrder.objects.get(pk=result["purchase_order_id"])
    assert order.number == result["number"] and order.status == "draft"
    assert order.created_by == operator
    [line] = result["lines"]
    assert line["unit_price"] == "38.00" and line["line_total"] == "1900.00"
    assert result["total"] == "1900.00" and result["currency"] == "USD"
    lead = Supplier.objects.get(code="SUP-001").lead_time_days
    assert (
        result["expected_delivery_date"]
        == (timezone.localdate() + dt.timedelta(days=lead)).isoformat()
    )
    assert order.number in result["summary"]


def test_given_unit_price_overrides_the_list_price(call):
    outcome = call(
        "create_purchase_order",
        {
            "supplier_id": "SUP-001",
            "items": [
                {"product_id": "SKU-1001", "quantity": 10, "unit_price": 35.5},
                {"product_id": "SKU-1002", "quantity": 2},
            ],
        },
    )
    assert outcome.ok, outcome.result
    assert [x["line_total"] for x in outcome.result["lines"]] == ["355.00", "236.00"]
    assert outcome.result["total"] == "591.00"


def test_same_idempotency_key_twice_creates_one_order(call):
    arguments = {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 20}]}
    before = PurchaseOrder.objects.count()
    first = call("create_purchase_order", arguments, idempotency_key="order-42")
    second = call("create_purchase_order", arguments, idempotency_key="order-42")
    assert first.ok and second.ok
    assert PurchaseOrder.objects.count() == before + 1
    assert second.result["purchase_order_id"] == first.result["purchase_order_id"]


def test_an_order_number_taken_by_a_concurrent_worker_moves_to_the_next(call, monkeypatch):
    arguments = {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 20}]}
    taken = call("create_purchase_order", arguments).result["number"]
    numbers = iter([taken])  # the first try sees the number another worker just used
    real_next = services._next_number
    monkeypatch.setattr(services, "_next_number", lambda: next(numbers, None) or real_next())
    outcome = call("create_purchase_order", arguments)
    assert outcome.ok, outcome.result
    assert outcome.result["number"] != taken
    assert PurchaseOrder.objects.filter(number=taken).count() == 1


def test_retried_order_with_a_used_key_is_reported_as_duplicate(call):
    arguments = {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 20}]}
    first = call("create_purchase_order", arguments, idempotency_key="order-43")
    # The executor's record of the first call is gone (say, a crash before it was
    # saved): the purchase order's own key still stops a second order.
    ToolCall.objects.filter(idempotency_key="order-43").delete()
    second = call("create_purchase_order", arguments, idempotency_key="order-43")
    assert second.ok
    assert second.result["duplicate"] is True
    assert second.result["number"] == first.result["number"]
    assert PurchaseOrder.objects.filter(idempotency_key="order-43").count() == 1


def test_unknown_supplier_fails_and_writes_nothing(call):
    before = PurchaseOrder.objects.count()
    outcome = call(
        "create_purchase_order",
        {"supplier_id": "SUP-999", "items": [{"product_id": "SKU-1001", "quantity": 5}]},
    )
    assert outcome.call.status == ToolCall.Status.FAILED
    assert outcome.call.error_kind == "not_found"
    assert "SUP-999" in outcome.call.error and "SUP-001" in outcome.call.error
    assert PurchaseOrder.objects.count() == before


def test_unknown_product_in_order_is_named_and_nothing_is_ordered(call):
    before = PurchaseOrder.objects.count()
    outcome = call(
        "create_purchase_order",
        {
            "supplier_id": "SUP-001",
            "items": [
                {"product_id": "SKU-1001", "quantity": 10},
                {"product_id": "SKU-4040", "quantity": 1},
            ],
        },
    )
    assert outcome.call.status == ToolCall.Status.FAILED
    assert "SKU-4040" in outcome.call.error
    assert PurchaseOrder.objects.count() == before


def test_product_the_supplier_does_not_price_needs_a_unit_price(call):
    outcome = call(
        "create_purchase_order",
        {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1004", "quantity": 500}]},
    )
    assert outcome.call.status == ToolCall.Status.FAILED
    assert "no price for SKU-1004" in outcome.call.error
    priced = call(
        "create_purchase_order",
        {
            "supplier_id": "SUP-001",
            "items": [{"product_id": "SKU-1004", "quantity": 500, "unit_price": 0.8}],
        },
    )
    assert priced.ok and priced.result["total"] == "400.00"


@pytest.mark.parametrize(
    "arguments",
    [
        {"items": [{"product_id": "SKU-1001", "quantity": 5}]},
        {"supplier_id": "SUP-001"},
        {"supplier_id": "SUP-001", "items": []},
        {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 0}]},
        {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": "5"}]},
        {
            "supplier_id": "SUP-001",
            "items": [{"product_id": "SKU-1001", "quantity": 5, "unit_price": 0}],
        },
        {"supplier_id": "SUP-001", "items": [{"quantity": 5}]},
        {"supplier_id": 1, "items": [{"product_id": "SKU-1001", "quantity": 5}]},
    ],
)
def test_order_with_schema_violations_is_invalid_and_writes_nothing(call, arguments):
    before = PurchaseOrder.objects.count()
    outcome = call("create_purchase_order", arguments)
    assert outcome.call.status == ToolCall.Status.INVALID
    assert outcome.result["error"]["details"]
    assert PurchaseOrder.objects.count() == before


def test_user_without_permission_is_denied_and_nothing_is_ordered(seeded, db, django_user_model):
    from apps.tools.services import tool_run

    outsider = django_user_model.objects.create_user("outsider", password="x")
    before = PurchaseOrder.objects.count()
    outcome = tool_run(
        actor=outsider,
        name="create_purchase_order",
        arguments={"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 10}]},
        source="api",
    )
    assert outcome.call.status == ToolCall.Status.DENIED
    assert PurchaseOrder.objects.count() == before


# purchase order services


def test_receiving_an_order_moves_stock_into_the_location(call):
    outcome = call(
        "create_purchase_order",
        {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 50}]},
    )
    order = PurchaseOrder.objects.get(pk=outcome.result["purchase_order_id"])
    seoul = Location.objects.get(code="SEL-WH")
    level = StockLevel.objects.get(product__sku="SKU-1001", location=seoul)
    before = level.quantity
    services.purchase_order_submit(purchase_order=order)
    services.purchase_order_receive(purchase_order=order, location=seoul)
    level.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "received"
    assert level.quantity == before + 50
    receipt = StockMovement.objects.get(reference=order.number)
    assert receipt.kind == "receipt" and receipt.quantity == 50


def test_a_draft_order_cannot_be_received(call):
    outcome = call(
        "create_purchase_order",
        {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 50}]},
    )
    order = PurchaseOrder.objects.get(pk=outcome.result["purchase_order_id"])
    with pytest.raises(services.PurchaseOrderStateError, match="draft"):
        services.purchase_order_receive(purchase_order=order, location=Location.objects.first())
    services.purchase_order_cancel(purchase_order=order)
    with pytest.raises(services.PurchaseOrderStateError):
        services.purchase_order_submit(purchase_order=order)


def test_demo_seed_is_idempotent(seeded, db):
    from apps.inventory.demo import seed_inventory

    assert Product.objects.exists()  # seeded once for the session
    counts = (Product.objects.count(), StockMovement.objects.count(), PurchaseOrder.objects.count())
    assert seed_inventory()["created"] is False
    assert counts == (
        Product.objects.count(),
        StockMovement.objects.count(),
        PurchaseOrder.objects.count(),
    )
