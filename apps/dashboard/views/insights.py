from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.dashboard import selectors
from apps.dashboard.access import check_manager
from apps.dashboard.metrics import exposition
from apps.dashboard.views.overview import charts_context


@login_required
def insights(request: HttpRequest) -> HttpResponse:
    check_manager(request.user, "see insights")
    context = charts_context(request)
    days = context["days"]
    stats = selectors.tool_stats(days=days)  # type: ignore[arg-type]
    context.update(
        stats=stats,
        bottlenecks=[(s, b) for s in stats for b in s.bottlenecks],
        by_agent=selectors.runs_by_agent(days=days),  # type: ignore[arg-type]
        usage_agent=selectors.usage_by(dimension="agent", days=days),  # type: ignore[arg-type]
        usage_user=selectors.usage_by(dimension="user", days=days),  # type: ignore[arg-type]
        usage_model=selectors.usage_by(dimension="model", days=days),  # type: ignore[arg-type]
    )
    return render(request, "dashboard/insights.html", context)


def _bearer_ok(request: HttpRequest) -> bool:
    token = getattr(settings, "OWM_METRICS_TOKEN", "") or ""
    header = request.headers.get("Authorization", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape target: staff sessions or `Authorization: Bearer <OWM_METRICS_TOKEN>`."""
    if not _bearer_ok(request):
        if not request.user.is_authenticated:
            response = HttpResponse("authentication required\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="owm-metrics"'
            return response
        if not request.user.is_staff:
            return HttpResponse("staff only\n", status=403, content_type="text/plain")
    body = exposition(selectors.metrics_snapshot())
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")
