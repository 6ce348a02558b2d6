"""The named datasets that fetch_data(source_type="database") can read.

The model never writes SQL: it names a dataset and passes parameters, which
each reader validates. The registry is a plain dict of name -> NamedDataset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.tools.registry import ToolError

Rows = list[dict[str, Any]]
MAX_DAYS = 366


@dataclass(frozen=True)
class NamedDataset:
    name: str
    description: str
    parameters: dict[str, str]  # name -> what it means, for the model and the docs
    read: Callable[[dict[str, Any]], tuple[list[str], Rows]]


def _days(params: dict[str, Any], default: int = 30) -> int:
    value = params.get("days", default)
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ToolError(
            f"days must be a whole number, got {value!r}", kind="invalid_parameters"
        ) from None
    if not 1 <= days <= MAX_DAYS:
        raise ToolError(f"days must be between 1 and {MAX_DAYS}", kind="invalid_parameters")
    return days


def _since(days: int) -> dt.datetime:
    start = timezone.localdate() - dt.timedelta(days=days)
    return dt.datetime.combine(start, dt.time.min, tzinfo=timezone.get_current_timezone())


def _location_filter(prefix: str, location: str | None) -> Q:
    if not location:
        return Q()
    return (
        Q(**{f"{prefix}code__iexact": location})
        | Q(**{f"{prefix}name__iexact": location})
        | Q(**{f"{prefix}city__iexact": location})
    )


def _stock_movements(params: dict[str, Any]) -> tuple[list[str], Rows]:
    from apps.inventory.models import StockMovement

    days = _days(params)
    movements = StockMovement.objects.filter(occurred_at__gte=_since(days))
    if product := params.get("product_id"):
        movements = movements.filter(product__sku__iexact=str(product))
    movements = movements.filter(_location_filter("location__", params.get("location")))
    daily = (
        movements.annotate(date=TruncDate("occurred_at"))
        .values("date", sku=F("product__sku"), loc=F("location__code"))
        .annotate(
            sold=Sum("quantity", filter=Q(kind="sale")),
            received=Sum("quantity", filter=Q(kind="receipt")),
            net=Sum("quantity"),
        )
        .order_by("date", "sku", "loc")
    )
    rows = [
        {
            "date": str(row["date"]),
            "product_id": row["sku"],
            "location": row["loc"],
            "sold": -(row["sold"] or 0),
            "received": row["received"] or 0,
            "net": row["net"] or 0,
        }
        for row in daily
    ]
    return ["date", "product_id", "location", "sold", "received", "net"], rows


def _stock_levels(params: dict[str, Any]) -> tuple[list[str], Rows]:
    from apps.inventory.models import StockLevel

    levels = StockLevel.objects.select_related("product", "location").order_by(
        "product__sku", "location__code"
    )
    if product := params.get("product_id"):
        levels = levels.filter(product__sku__iexact=str(product))
    levels = levels.filter(_location_filter("location__", params.get("location")))
    rows = [
        {
            "product_id": x.product.sku,
            "product_name": x.product.name,
            "category": x.product.category,
            "location": x.location.code,
            "quantity": x.quantity,
            "reorder_point": x.reorder_point,
            "status": str(x.state),
        }
        for x in levels
    ]
    columns = ["product_id", "product_name", "category", "location", "quantity"]
    return [*columns, "reorder_point", "status"], rows


def _purchase_orders(params: dict[str, Any]) -> tuple[list[str], Rows]:
    from apps.inventory.models import PurchaseOrder

    orders = PurchaseOrder.objects.select_related("supplier").annotate(lines_count=Count("lines"))
    if status := params.get("status"):
        known = [value for value, _ in PurchaseOrder.Status.choices]
        if status not in known:
            raise ToolError(
                f"unknown purchase order status {status!r}; use one of {', '.join(known)}",
                kind="invalid_parameters",
            )
        orders = orders.filter(status=status)
    rows = [
        {
            "number": o.number,
            "supplier_id": o.supplier.code,
            "supplier_name": o.supplier.name,
            "status": o.status,
            "lines": o.lines_count,
            "total": float(o.total),
            "currency": o.currency,
            "created_at": o.created_at.date().isoformat(),
        }
        for o in orders.order_by("-created_at")
    ]
    columns = ["number", "supplier_id", "supplier_name", "status", "lines", "total"]
    return [*columns, "currency", "created_at"], rows


def _tool_metrics(params: dict[str, Any]) -> tuple[list[str], Rows]:
    from apps.tools.models import ToolDailyStats

    days = _days(params)
    stats = ToolDailyStats.objects.filter(day__gte=timezone.localdate() - dt.timedelta(days=days))
    if name := params.get("tool"):
        stats = stats.filter(tool_name=str(name))
    rows = [
        {
            "date": s.day.isoformat(),
            "tool": s.tool_name,
            "calls": s.calls,
            "successes": s.successes,
            "errors": s.errors,
            "avg_ms": round(s.total_ms / s.calls, 3) if s.calls else 0.0,
            "error_rate": round(s.errors / s.calls, 4) if s.calls else 0.0,
        }
        for s in stats.order_by("day", "tool_name")
    ]
    return ["date", "tool", "calls", "successes", "errors", "avg_ms", "error_rate"], rows


def _runs(params: dict[str, Any]) -> tuple[list[str], Rows]:
    from apps.agents.models import Run

    days = _days(params)
    runs = Run.objects.filter(created_at__gte=_since(days))
    if agent := params.get("agent"):
        runs = runs.filter(agent__slug=str(agent))
    daily = (
        runs.annotate(date=TruncDate("created_at"))
        .values("date", agent_slug=F("agent__slug"))
        .annotate(
            runs=Count("id"),
            succeeded=Count("id", filter=Q(status="succeeded")),
            failed=Count("id", filter=~Q(status__in=["succeeded", "queued", "running"])),
            tokens=Sum(F("prompt_tokens") + F("completion_tokens")),
        )
        .order_by("date", "agent_slug")
    )
    rows = [
        {
            "date": str(r["date"]),
            "agent": r["agent_slug"],
            "runs": r["runs"],
            "succeeded": r["succeeded"],
            "failed": r["failed"],
            "tokens": r["tokens"] or 0,
        }
        for r in daily
    ]
    return ["date", "agent", "runs", "succeeded", "failed", "tokens"], rows


DATASETS: dict[str, NamedDataset] = {
    d.name: d
    for d in [
        NamedDataset(
            "stock_movements",
            "Daily units sold, received and net change per product and location.",
            {
                "product_id": "SKU, e.g. SKU-1001 (optional)",
                "location": "location code, name or city (optional)",
                "days": "look-back window in days, 1-366 (default 30)",
            },
            _stock_movements,
        ),
        NamedDataset(
            "stock_levels",
            "Current quantity, reorder point and status per product and location.",
            {"product_id": "SKU (optional)", "location": "location (optional)"},
            _stock_levels,
        ),
        NamedDataset(
            "purchase_orders",
            "Purchase orders with supplier, status, line count and total.",
            {"status": "draft, submitted, received or cancelled (optional)"},
            _purchase_orders,
        ),
        NamedDataset(
            "tool_metrics",
            "Tool calls per day and tool: calls, successes, errors, average ms, error rate.",
            {"tool": "tool name (optional)", "days": "look-back window (default 30)"},
            _tool_metrics,
        ),
        NamedDataset(
            "runs",
            "Agent runs per day and agent: runs, succeeded, failed, tokens.",
            {"agent": "agent slug (optional)", "days": "look-back window (default 30)"},
            _runs,
        ),
    ]
}


def dataset_read(*, name: str, parameters: dict[str, Any]) -> tuple[list[str], Rows]:
    """Read a named dataset; an unknown name is a ToolError listing the known ones."""
    spec = DATASETS.get(name.strip().lower())
    if spec is None:
        raise ToolError(
            f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}",
            kind="unknown_dataset",
            details={
                "known_datasets": {d.name: d.parameters for d in DATASETS.values()},
            },
        )
    unknown = sorted(set(parameters) - set(spec.parameters))
    if unknown:
        raise ToolError(
            f"dataset {spec.name} does not take {', '.join(unknown)}; "
            f"it takes {', '.join(spec.parameters) or 'no parameters'}",
            kind="invalid_parameters",
            details={"parameters": spec.parameters},
        )
    return spec.read(parameters)
