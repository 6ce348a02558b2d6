"""Where metric values come from: the tools' own call records, the stock
levels, pushed samples and constants. Every function returns {name: number}."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils import timezone

from apps.inventory.models import Product, StockLevel
from apps.rules.models import MetricSample, RuleConstant
from apps.tools.models import ToolCall

ERROR_STATUSES = [ToolCall.Status.FAILED, ToolCall.Status.TIMEOUT]
TOOL_METRICS = ["error_count", "error_rate", "response_time", "p95_response_time"]
STOCK_METRICS = ["inventory_level", "reorder_point", "reorder_quantity"]
BUILTIN_METRICS = [*TOOL_METRICS, *STOCK_METRICS, "sla_threshold"]


def _minutes(name: str, default: int) -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, name, default)))


def tool_metrics(*, window: dt.timedelta | None = None) -> dict[str, float]:
    """Errors and latency of every tool call finished in the recent window."""
    since = timezone.now() - (window or _minutes("OWM_RULES_TOOL_WINDOW_MIN", 15))
    calls = ToolCall.objects.filter(started_at__gte=since, finished_at__isnull=False)
    agg = calls.aggregate(
        total=Count("id"),
        errors=Count("id", filter=Q(status__in=ERROR_STATUSES)),
        avg=Avg("duration_ms"),
    )
    total, errors = agg["total"] or 0, agg["errors"] or 0
    durations = sorted(
        d for d in calls.exclude(duration_ms=None).values_list("duration_ms", flat=True)[:10000]
    )
    p95 = durations[min(len(durations) - 1, int(0.95 * len(durations)))] if durations else 0.0
    return {
        "error_count": float(errors),
        "error_rate": round(errors / total, 4) if total else 0.0,
        "response_time": round(agg["avg"] or 0.0, 3),
        "p95_response_time": round(p95, 3),
    }


def constant_metrics() -> dict[str, float]:
    return dict(RuleConstant.objects.values_list("name", "value"))


def pushed_metrics(*, window: dt.timedelta | None = None) -> dict[str, float]:
    """The latest pushed value of each metric within the window (default 60 min)."""
    since = timezone.now() - (window or _minutes("OWM_RULES_SAMPLE_WINDOW_MIN", 60))
    rows = MetricSample.objects.filter(at__gte=since).order_by("at", "id")
    return dict(rows.values_list("name", "value"))  # the latest of each name wins


def global_metrics() -> dict[str, float]:
    """Constants, then tool metrics, then pushed samples: later sources win."""
    return {**constant_metrics(), **tool_metrics(), **pushed_metrics()}


def known_metric_names() -> list[str]:
    """Every name a condition may use (for validation when a rule is saved)."""
    names = set(BUILTIN_METRICS) | set(constant_metrics())
    names |= set(MetricSample.objects.values_list("name", flat=True).distinct()[:500])
    return sorted(names)


@dataclass(frozen=True)
class StockSubject:
    """One product at one location, as a rule sees it."""

    subject: str
    product_id: str
    location: str
    metrics: dict[str, float]

    def context(self) -> dict[str, Any]:
        return {"product_id": self.product_id, "location": self.location}


def stock_subjects(*, product: Product | None = None) -> list[StockSubject]:
    levels = StockLevel.objects.select_related("product", "location")
    if product is not None:
        levels = levels.filter(product=product)
    return [
        StockSubject(
            subject=f"{level.product.sku}@{level.location.code}",
            product_id=level.product.sku,
            location=level.location.code,
            metrics={
                "inventory_level": float(level.quantity),
                "reorder_point": float(level.reorder_point),
                "reorder_quantity": float(level.reorder_quantity),
            },
        )
        for level in levels.order_by("product__sku", "location__code")
    ]
