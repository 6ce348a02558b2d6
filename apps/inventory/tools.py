"""The inventory tools: stock levels, demand forecasts and purchase orders.

Bodies stay thin: they resolve ids through selectors, call services and the
forecasting functions, and shape a JSON result with a `summary` for the model."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.inventory import selectors, services
from apps.inventory.forecasting import Forecast, forecast_demand
from apps.inventory.models import Product, PurchaseOrder, StockLevel, Supplier
from apps.tools.registry import Risk, ToolContext, ToolError, tool

MAX_STOCK_ROWS = 100
HISTORY_DAYS = 365
INTERVAL_CHECKPOINTS = (1, 7, 14, 30, 60, 90, 180, 365)


def _known_locations() -> list[dict[str, str]]:
    return [{"code": x.code, "name": x.name, "city": x.city} for x in selectors.location_list()]


def _stock_row(level: StockLevel) -> dict[str, Any]:
    return {
        "product_id": level.product.sku,
        "product_name": level.product.name,
        "location": level.location.code,
        "location_name": level.location.name,
        "quantity": level.quantity,
        "reorder_point": level.reorder_point,
        "reorder_quantity": level.reorder_quantity,
        "status": str(level.state),
    }


def _resolve_products(product_ids: list[str] | None) -> tuple[list[Product] | None, list[str]]:
    if not product_ids:
        return None, []
    products, unknown = selectors.product_list_by_skus(skus=product_ids)
    if not products:
        known = selectors.product_sample_skus()
        raise ToolError(
            f"no product found for {', '.join(unknown) or 'the given ids'}; "
            f"product ids are SKUs such as {', '.join(known)}",
            kind="not_found",
            details={"unknown_products": unknown, "known_products": known},
        )
    return products, unknown


def _resolve_locations(location: str | None) -> list[Any] | None:
    if not location:
        return None
    found = selectors.location_resolve(query=location)
    if not found:
        known = _known_locations()
        listed = "; ".join(f"{x['code']} ({x['name']}, {x['city']})" for x in known)
        raise ToolError(
            f"unknown location {location!r}; known locations: {listed}",
            kind="not_found",
            details={"known_locations": known},
        )
    return found


def _stock_summary(rows: list[dict[str, Any]], where: str, unknown: list[str], more: int) -> str:
    low = [r for r in rows if r["status"] != StockLevel.State.OK]
    products = len({r["product_id"] for r in rows})
    text = (
        f"{len(rows)} stock row{'s' * (len(rows) != 1)} for "
        f"{products} product{'s' * (products != 1)} {where}: "
        f"{len(low)} at or below reorder point."
    )
    if low:
        shown = ", ".join(
            f"{r['product_id']} at {r['location']} ({r['quantity']} on hand, reorder point "
            f"{r['reorder_point']}, {r['status']})"
            for r in low[:3]
        )
        text += f" Needs attention: {shown}{' and more' if len(low) > 3 else ''}."
    if unknown:
        text += f" Unknown product ids: {', '.join(unknown)}."
    if more:
        text += f" {more} more rows not shown; pass product_ids or location to narrow."
    return text


@tool(
    name="check_stock_levels",
    description=(
        "Current stock per product and location with reorder points and a status "
        "(ok, low, out_of_stock). product_ids are SKUs like SKU-1001; omit for all products. "
        "location is a location code (SEL-WH), name (Seoul Warehouse) or city (Seoul); "
        "omit for all locations."
    ),
    parameters={
        "type": "object",
        "properties": {
            "product_ids": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "maxItems": 100,
                "description": 'Product SKUs, e.g. ["SKU-1001"]. Omit for all products.',
            },
            "location": {
                "type": "string",
                "minLength": 1,
                "description": 'Location code, name or city, e.g. "SEL-WH" or "Seoul".',
            },
        },
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="inventory",
)
def check_stock_levels(
    ctx: ToolContext, *, product_ids: list[str] | None = None, location: str | None = None
) -> dict[str, Any]:
    products, unknown = _resolve_products(product_ids)
    locations = _resolve_locations(location)
    levels = list(
        selectors.stock_level_list(products=products, locations=locations, limit=MAX_STOCK_ROWS)
    )
    matched = selectors.stock_level_count(products=products, locations=locations)
    rows = [_stock_row(level) for level in levels]
    where = "at " + ", ".join(x.name for x in locations) if locations else "across all locations"
    return {
        "summary": _stock_summary(rows, where, unknown, matched - len(rows)),
        "rows": rows,
        "totals": {
            "rows": len(rows),
            "matched_rows": matched,
            "products": len({r["product_id"] for r in rows}),
            "quantity": sum(r["quantity"] for r in rows),
            "low": sum(r["status"] == StockLevel.State.LOW for r in rows),
            "out_of_stock": sum(r["status"] == StockLevel.State.OUT for r in rows),
        },
        "locations": [x.code for x in locations] if locations else None,
        "unknown_products": unknown,
        "truncated": matched > len(rows),
    }


def _get_product(product_id: str) -> Product:
    product = selectors.product_get(sku=product_id)
    if product is None:
        known = selectors.product_sample_skus()
        raise ToolError(
            f"unknown product {product_id!r}; product ids are SKUs such as {', '.join(known)}",
            kind="not_found",
            details={"unknown_products": [product_id], "known_products": known},
        )
    return product


def _r(value: float) -> float:
    return round(value, 2)


def _intervals(fc: Forecast, start: dt.date) -> list[dict[str, Any]]:
    horizon = len(fc.values)
    days = sorted({d for d in INTERVAL_CHECKPOINTS if d <= horizon} | {horizon})
    return [
        {
            "day": d,
            "date": (start + dt.timedelta(days=d - 1)).isoformat(),
            "forecast": _r(fc.values[d - 1]),
            "lower_80": _r(fc.lower_80[d - 1]),
            "upper_80": _r(fc.upper_80[d - 1]),
            "lower_95": _r(fc.lower_95[d - 1]),
            "upper_95": _r(fc.upper_95[d - 1]),
        }
        for d in days
    ]


def _history(first: dt.date | None, series: list[float], end: dt.date) -> dict[str, Any]:
    total = sum(series)
    return {
        "start": first.isoformat() if first else None,
        "end": end.isoformat() if first else None,
        "days": len(series),
        "total_demand": _r(total),
        "mean_daily": _r(total / len(series)) if series else 0.0,
    }


def _stockout_date(fc: Forecast, available: int, start: dt.date) -> dt.date | None:
    running = 0.0
    for i, value in enumerate(fc.values):
        running += value
        if running > available:
            return start + dt.timedelta(days=i)
    return None


def _reorder_advice(product: Product, fc: Forecast, start: dt.date) -> dict[str, Any]:
    stock = selectors.product_stock_totals(product=product)
    on_order = selectors.product_on_order(product=product)
    available = stock["quantity"] + on_order
    projected = available - fc.total
    stockout = _stockout_date(fc, available, start)
    recommended = projected < stock["reorder_point"] or stockout is not None
    suggested = (
        max(0, math.ceil(fc.total_80[1] + stock["reorder_point"] - available)) if recommended else 0
    )
    best = selectors.supplier_price_best(product=product)
    if best is not None and suggested:
        suggested = max(suggested, best.min_order_qty)
    mean_daily = fc.total / len(fc.values)
    return {
        "on_hand": stock["quantity"],
        "on_order": on_order,
        "reorder_point_total": stock["reorder_point"],
        "projected_stock_at_end": _r(projected),
        "days_of_cover": _r(stock["quantity"] / mean_daily) if mean_daily > 0 else None,
        "stockout_date": stockout.isoformat() if stockout else None,
        "reorder_recommended": recommended,
        "suggested_order_quantity": suggested,
        "suggested_supplier": _supplier_offer(best),
    }


def _supplier_offer(price: Any) -> dict[str, Any] | None:
    if price is None:
        return None
    return {
        "supplier_id": price.supplier.code,
        "name": price.supplier.name,
        "unit_price": str(price.unit_price),
        "currency": price.currency,
        "min_order_qty": price.min_order_qty,
        "lead_time_days": price.supplier.lead_time_days,
    }


def _demand_summary(product: Product, fc: Forecast, period: int, advice: dict[str, Any]) -> str:
    text = (
        f"{product.sku} ({product.name}): expected demand {fc.total:.0f} units over the next "
        f"{period} days (80% interval {fc.total_80[0]:.0f}-{fc.total_80[1]:.0f}) by {fc.method}."
    )
    if fc.note:
        text += f" Note: {fc.note}."
    text += f" On hand {advice['on_hand']}, on order {advice['on_order']}."
    if advice["reorder_recommended"]:
        offer = advice["suggested_supplier"]
        source = (
            f" from {offer['supplier_id']} ({offer['lead_time_days']} days lead time)"
            if offer
            else ""
        )
        text += f" Reorder recommended: about {advice['suggested_order_quantity']} units{source}."
    else:
        text += " No reorder needed for this period."
    return text


@tool(
    name="predict_demand",
    description=(
        "Forecast daily demand for one product over the next forecast_period days from its "
        "sales history (Holt-Winters with weekly seasonality), with 80% and 95% prediction "
        "intervals and reorder advice against current stock."
    ),
    parameters={
        "type": "object",
        "properties": {
            "product_id": {
                "type": "string",
                "minLength": 1,
                "description": "Product SKU, e.g. SKU-1001.",
            },
            "forecast_period": {
                "type": "integer",
                "minimum": 1,
                "maximum": 365,
                "description": "Number of days to forecast, starting today.",
            },
        },
        "required": ["product_id", "forecast_period"],
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="inventory",
)
def predict_demand(ctx: ToolContext, *, product_id: str, forecast_period: int) -> dict[str, Any]:
    product = _get_product(product_id)
    today = timezone.localdate()
    end = today - dt.timedelta(days=1)
    first, series = selectors.daily_sales_series(product=product, days=HISTORY_DAYS, end=end)
    fc = forecast_demand(series, forecast_period)
    advice = _reorder_advice(product, fc, today)
    return {
        "summary": _demand_summary(product, fc, forecast_period, advice),
        "product_id": product.sku,
        "product_name": product.name,
        "method": fc.method,
        "parameters": {k: _r(v) if k == "mean" else v for k, v in fc.parameters.items()},
        "note": fc.note,
        "forecast_period": forecast_period,
        "forecast_start": today.isoformat(),
        "forecast_end": (today + dt.timedelta(days=forecast_period - 1)).isoformat(),
        "total_forecast": _r(fc.total),
        "mean_daily_forecast": _r(fc.total / forecast_period),
        "prediction_intervals": {
            "total": {"80": [_r(x) for x in fc.total_80], "95": [_r(x) for x in fc.total_95]},
            "by_horizon": _intervals(fc, today),
        },
        "residual_sd": _r(fc.residual_sd),
        "daily_forecast": [
            {"date": (today + dt.timedelta(days=i)).isoformat(), "value": round(v, 1)}
            for i, v in enumerate(fc.values)
        ],
        "history": _history(first, series, end),
        "reorder_advice": advice,
    }


def _idempotency_key(ctx: ToolContext) -> str | None:
    if ctx.idempotency_key:
        return ctx.idempotency_key
    if ctx.run_id and ctx.tool_call_id:
        return f"{ctx.run_id}:{ctx.tool_call_id}"
    return None


def _get_supplier(supplier_id: str) -> Supplier:
    supplier = selectors.supplier_get(code=supplier_id)
    if supplier is None:
        known = selectors.supplier_sample_codes()
        raise ToolError(
            f"unknown supplier {supplier_id!r}; supplier ids are codes such as {', '.join(known)}",
            kind="not_found",
            details={"unknown_supplier": supplier_id, "known_suppliers": known},
        )
    return supplier


def _resolve_lines(
    supplier: Supplier, items: list[dict[str, Any]]
) -> tuple[list[services.LineInput], str]:
    products, unknown = selectors.product_list_by_skus(skus=[i["product_id"] for i in items])
    if unknown:
        raise ToolError(
            f"unknown products: {', '.join(unknown)}; nothing was ordered",
            kind="not_found",
            details={
                "unknown_products": unknown,
                "known_products": selectors.product_sample_skus(),
            },
        )
    by_sku = {p.sku.upper(): p for p in products}
    prices = selectors.supplier_price_map(supplier=supplier, products=products)
    lines, currencies, problems = [], set(), []
    for item in items:
        product = by_sku[item["product_id"].strip().upper()]
        price = prices.get(product.pk)
        if price is not None and item["quantity"] < price.min_order_qty:
            problems.append(
                f"{product.sku} needs at least {price.min_order_qty} units from {supplier.code}"
            )
        if item.get("unit_price") is not None:
            unit_price = Decimal(str(item["unit_price"]))
        elif price is not None:
            unit_price = price.unit_price
            currencies.add(price.currency)
        else:
            problems.append(f"{supplier.code} has no price for {product.sku}; pass unit_price")
            continue
        lines.append(
            services.LineInput(product=product, quantity=item["quantity"], unit_price=unit_price)
        )
    if len(currencies) > 1:
        problems.append(f"prices are in several currencies ({', '.join(sorted(currencies))})")
    if problems:
        raise ToolError(
            "; ".join(problems) + "; nothing was ordered", kind="invalid_order", details=problems
        )
    return lines, currencies.pop() if currencies else "USD"


def _order_result(order: PurchaseOrder, *, duplicate: bool) -> dict[str, Any]:
    supplier = order.supplier
    delivery = timezone.localdate(order.created_at) + dt.timedelta(days=supplier.lead_time_days)
    lines = [
        {
            "product_id": line.product.sku,
            "product_name": line.product.name,
            "quantity": line.quantity,
            "unit_price": str(line.unit_price),
            "line_total": str(line.line_total),
        }
        for line in order.lines.select_related("product")
    ]
    items = ", ".join(f"{x['quantity']} x {x['product_id']} at {x['unit_price']}" for x in lines)
    if duplicate:
        summary = (
            f"Purchase order {order.number} already exists for this request; "
            "nothing new was created."
        )
    else:
        summary = (
            f"Created {order.status} purchase order {order.number} "
            f"with {supplier.code} {supplier.name}:"
        )
    summary += (
        f" {items}; total {order.total} {order.currency}; expected delivery {delivery.isoformat()}."
    )
    return {
        "summary": summary,
        "purchase_order_id": order.pk,
        "number": order.number,
        "status": order.status,
        "supplier_id": supplier.code,
        "supplier_name": supplier.name,
        "lines": lines,
        "total": str(order.total),
        "currency": order.currency,
        "lead_time_days": supplier.lead_time_days,
        "expected_delivery_date": delivery.isoformat(),
        "duplicate": duplicate,
    }


@tool(
    name="create_purchase_order",
    description=(
        "Create a draft purchase order with a supplier (supplier_id is its code, e.g. SUP-001) "
        "for one or more products (SKUs). unit_price defaults to the supplier's list price. "
        "Retrying the same call never creates a second order."
    ),
    parameters={
        "type": "object",
        "properties": {
            "supplier_id": {
                "type": "string",
                "minLength": 1,
                "description": "Supplier code, e.g. SUP-001.",
            },
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "properties": {
                        "product_id": {
                            "type": "string",
                            "minLength": 1,
                            "description": "Product SKU.",
                        },
                        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000000},
                        "unit_price": {
                            "type": "number",
                            "exclusiveMinimum": 0,
                            "description": "Price per unit; omit to use the supplier's price.",
                        },
                    },
                    "required": ["product_id", "quantity"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["supplier_id", "items"],
        "additionalProperties": False,
    },
    risk=Risk.HIGH,
    side_effects=True,
    category="inventory",
)
def create_purchase_order(
    ctx: ToolContext, *, supplier_id: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    supplier = _get_supplier(supplier_id)
    key = _idempotency_key(ctx)
    if key and (existing := selectors.purchase_order_get_by_key(idempotency_key=key)) is not None:
        return _order_result(existing, duplicate=True)
    lines, currency = _resolve_lines(supplier, items)
    order, created = services.purchase_order_create(
        supplier=supplier,
        lines=lines,
        actor=ctx.actor,
        currency=currency,
        idempotency_key=key,
        notes=f"created through the {ctx.source} by the create_purchase_order tool",
    )
    return _order_result(order, duplicate=not created)
