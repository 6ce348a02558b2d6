from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.dashboard import selectors
from apps.dashboard.charts import bar_chart


def charts_context(request: HttpRequest) -> dict[str, object]:
    days = selectors.range_days(request.GET.get("days"))
    runs = selectors.runs_per_day(user=request.user, days=days)
    calls = selectors.tool_calls_per_day(user=request.user, days=days)
    return {
        "days": days,
        "ranges": selectors.RANGES,
        "runs_chart": bar_chart(title=f"Runs per day, last {days} days", series=runs),
        "calls_chart": bar_chart(title=f"Tool calls per day, last {days} days", series=calls),
    }


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    context = charts_context(request)
    if request.htmx and request.GET.get("part") == "charts":
        return render(request, "dashboard/overview.html#charts", context)
    low_count, low_items = selectors.low_stock()
    context.update(
        counts=selectors.overview_counts(user=request.user),
        low_count=low_count,
        low_items=low_items,
        failures=selectors.recent_failures(user=request.user),
    )
    return render(request, "dashboard/overview.html", context)
