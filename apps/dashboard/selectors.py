"""Read models that span apps: the overview's counters, daily series, tool
latency statistics, usage breakdowns and the Prometheus numbers. Every
function runs a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.agents.models import Run, UsageDaily
from apps.agents.selectors import runs_visible_to
from apps.customerservice.models import Ticket
from apps.inventory.models import StockLevel
from apps.tools.models import Approval, ToolCall

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

RANGES = (7, 30, 90)
SLOW_MS = 5000.0  # the source's bottleneck rules
HIGH_ERROR_RATE = 0.10
LATENCY_SAMPLE = 20_000  # durations fetched at most, newest first
ERROR_STATUSES = (
    ToolCall.Status.FAILED,
    ToolCall.Status.TIMEOUT,
    ToolCall.Status.INVALID,
    ToolCall.Status.DENIED,
    ToolCall.Status.UNKNOWN,
    ToolCall.Status.REJECTED,
)


def range_days(raw: str | None) -> int:
    """A range selector's value, falling back to 7 days."""
    try:
        days = int(raw or 7)
    except ValueError:
        return 7
    return days if days in RANGES else 7


def _since(days: int) -> datetime:
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    return timezone.make_aware(datetime.combine(start, datetime.min.time()))


def _today_start() -> datetime:
    return _since(1)


def tool_calls_visible_to(user: AbstractBaseUser) -> QuerySet[ToolCall]:
    """Staff see every call; everybody else the calls they made."""
    calls = ToolCall.objects.all()
    return calls if user.is_staff else calls.filter(actor=user)


def _daily(queryset: QuerySet, field: str, days: int) -> list[tuple[date, int]]:
    counts = dict(
        queryset.filter(**{f"{field}__gte": _since(days)})
        .annotate(day=TruncDate(field))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
        .order_by()
    )
    start = timezone.localdate() - timedelta(days=days - 1)
    return [
        (start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)
    ]


def runs_per_day(*, user: AbstractBaseUser, days: int) -> list[tuple[date, int]]:
    return _daily(Run.objects.filter(pk__in=runs_visible_to(user).values("pk")), "created_at", days)


def tool_calls_per_day(*, user: AbstractBaseUser, days: int) -> list[tuple[date, int]]:
    return _daily(tool_calls_visible_to(user), "started_at", days)


def overview_counts(*, user: AbstractBaseUser) -> dict[str, Any]:
    """Today's numbers for the overview page (a fixed number of queries)."""
    start = _today_start()
    runs = Run.objects.filter(pk__in=runs_visible_to(user).values("pk"), created_at__gte=start)
    by_status = dict(
        runs.values("status").annotate(n=Count("pk")).values_list("status", "n").order_by()
    )
    totals = runs.aggregate(
        prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"), cost=Sum("cost")
    )
    calls = (
        tool_calls_visible_to(user)
        .filter(started_at__gte=start)
        .aggregate(
            total=Count("pk"),
            ok=Count("pk", filter=Q(status=ToolCall.Status.SUCCEEDED)),
            failed=Count("pk", filter=Q(status__in=ERROR_STATUSES)),
        )
    )
    finished = calls["ok"] + calls["failed"]
    return {
        "runs_total": sum(by_status.values()),
        "runs_by_status": sorted(by_status.items()),
        "calls_total": calls["total"],
        "calls_ok": calls["ok"],
        "calls_failed": calls["failed"],
        "success_rate": (100 * calls["ok"] / finished) if finished else None,  # percent
        "tokens": (totals["prompt"] or 0) + (totals["completion"] or 0),
        "cost": totals["cost"] or Decimal(0),
        "approvals_pending": Approval.objects.filter(status=Approval.Status.PENDING).count(),
        "tickets_open": Ticket.objects.filter(status__in=Ticket.ACTIVE).count(),
    }


def low_stock(*, limit: int = 10) -> tuple[int, list[StockLevel]]:
    levels = StockLevel.objects.filter(quantity__lte=F("reorder_point"))
    items = list(
        levels.select_related("product", "location").order_by("quantity", "product__sku")[:limit]
    )
    return levels.count(), items


def recent_failures(*, user: AbstractBaseUser, limit: int = 8) -> dict[str, list[Any]]:
    runs = runs_visible_to(user).filter(status__in=(Run.Status.FAILED, Run.Status.MAX_ITERATIONS))
    calls = (
        tool_calls_visible_to(user)
        .filter(status__in=ERROR_STATUSES)
        .select_related("actor")
        .order_by("-started_at", "-id")
    )
    return {"runs": list(runs[:limit]), "calls": list(calls[:limit])}


def percentile(ordered: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not ordered:
        return None
    rank = (len(ordered) - 1) * fraction
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class ToolStats:
    tool: str
    calls: int
    successes: int
    errors: int
    total_ms: float
    avg_ms: float | None
    p50_ms: float | None = None
    p95_ms: float | None = None
    time_share: float = 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    @property
    def error_pct(self) -> float:
        return 100 * self.error_rate

    @property
    def time_share_pct(self) -> float:
        return 100 * self.time_share

    @property
    def bottlenecks(self) -> list[dict[str, str]]:
        found = []
        if self.avg_ms is not None and self.avg_ms > SLOW_MS:
            found.append(
                {
                    "kind": "slow_execution",
                    "recommendation": (
                        f"{self.tool} averages {self.avg_ms / 1000:.1f} s: cache its results, "
                        "narrow its inputs or move it to a background task."
                    ),
                }
            )
        if self.error_rate > HIGH_ERROR_RATE:
            found.append(
                {
                    "kind": "high_error_rate",
                    "recommendation": (
                        f"{self.error_rate:.0%} of {self.tool} calls fail: check the recent "
                        "errors, validate inputs earlier and improve its description for the model."
                    ),
                }
            )
        return found


def tool_stats(*, days: int) -> list[ToolStats]:
    """Per tool over the range: counts, error rate, average, p50, p95 and time share."""
    calls = ToolCall.objects.filter(started_at__gte=_since(days)).exclude(
        status__in=(ToolCall.Status.RUNNING, ToolCall.Status.WAITING)
    )
    rows = (
        calls.values("tool_name")
        .annotate(
            n=Count("pk"),
            ok=Count("pk", filter=Q(status=ToolCall.Status.SUCCEEDED)),
            bad=Count("pk", filter=Q(status__in=ERROR_STATUSES)),
            total=Sum("duration_ms"),
            avg=Avg("duration_ms"),
        )
        .order_by("tool_name")
    )
    samples: dict[str, list[float]] = defaultdict(list)
    durations = (
        calls.filter(duration_ms__isnull=False)
        .order_by("-started_at")
        .values_list("tool_name", "duration_ms")[:LATENCY_SAMPLE]
    )
    for name, duration in durations:
        samples[name].append(duration)
    stats = [
        ToolStats(
            tool=row["tool_name"],
            calls=row["n"],
            successes=row["ok"],
            errors=row["bad"],
            total_ms=row["total"] or 0.0,
            avg_ms=row["avg"],
        )
        for row in rows
    ]
    grand_total = sum(s.total_ms for s in stats)
    for s in stats:
        ordered = sorted(samples.get(s.tool, []))
        s.p50_ms = percentile(ordered, 0.5)
        s.p95_ms = percentile(ordered, 0.95)
        s.time_share = s.total_ms / grand_total if grand_total else 0.0
    return stats


def usage_by(*, dimension: str, days: int) -> list[dict[str, Any]]:
    """Model turns, tokens and cost from UsageDaily, grouped by agent, user or model."""
    if dimension not in {"agent", "user", "model"}:
        raise ValueError(f"unknown usage dimension {dimension!r}")
    start = timezone.localdate() - timedelta(days=days - 1)
    return list(
        UsageDaily.objects.filter(day__gte=start)
        .values(dimension)
        .annotate(
            turns=Sum("model_turns"),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            cost=Sum("cost"),
        )
        .order_by("-cost", dimension)
    )


def runs_by_agent(*, days: int) -> list[dict[str, Any]]:
    return list(
        Run.objects.filter(created_at__gte=_since(days))
        .values("agent__slug", "agent__name")
        .annotate(
            runs=Count("pk"),
            succeeded=Count("pk", filter=Q(status=Run.Status.SUCCEEDED)),
            failed=Count("pk", filter=Q(status=Run.Status.FAILED)),
            tokens=Sum(F("prompt_tokens") + F("completion_tokens")),
            cost=Sum("cost"),
        )
        .order_by("-runs", "agent__slug")
    )


def metrics_snapshot() -> dict[str, Any]:
    """All-time counters for the Prometheus endpoint (seven queries)."""
    calls = ToolCall.objects.order_by()
    runs = Run.objects.order_by()
    return {
        "tool_calls": list(calls.values_list("tool_name", "status").annotate(n=Count("pk"))),
        "tool_durations": list(
            calls.filter(duration_ms__isnull=False)
            .values_list("tool_name")
            .annotate(total=Sum("duration_ms"), n=Count("pk"))
        ),
        "runs": list(runs.values_list("agent__slug", "status").annotate(n=Count("pk"))),
        "tokens": list(
            runs.values_list("agent__slug").annotate(
                prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens")
            )
        ),
        "cost": runs.aggregate(total=Sum("cost"))["total"] or Decimal(0),
        "approvals_pending": Approval.objects.filter(status=Approval.Status.PENDING).count(),
        "tickets_open": Ticket.objects.filter(status__in=Ticket.ACTIVE).count(),
    }
