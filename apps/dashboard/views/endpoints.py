from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from apps.agents.breaker import breaker_state
from apps.agents.health import endpoint_check, endpoint_health_save, endpoints_for_check
from apps.agents.llm import LLMError
from apps.agents.models import ModelEndpoint
from apps.dashboard.access import check_staff


def _with_breaker(endpoint: ModelEndpoint) -> ModelEndpoint:
    endpoint.breaker = breaker_state(endpoint.name)  # type: ignore[attr-defined]
    return endpoint


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    check_staff(request.user, "model endpoints")
    endpoints = [_with_breaker(e) for e in ModelEndpoint.objects.all()]
    return render(request, "dashboard/endpoints.html", {"endpoints": endpoints})


@login_required
@require_POST
def endpoint_check_view(request: HttpRequest, name: str) -> HttpResponse:
    check_staff(request.user, "model endpoints")
    endpoint = get_object_or_404(ModelEndpoint, name=name)
    error = ""
    try:
        for found, target in endpoints_for_check(endpoint.name):
            if found is not None:
                endpoint_health_save(found, endpoint_check(target))
    except LLMError as exc:
        error = str(exc)
    endpoint.refresh_from_db()
    context = {"endpoint": _with_breaker(endpoint), "error": error}
    return render(request, "dashboard/endpoints.html#endpoint-row", context)
