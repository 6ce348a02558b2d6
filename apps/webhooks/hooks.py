"""The public receiver: POST /hooks/<slug>/. A plain Django view, no session,
no CSRF (the signature authenticates). Cheap checks first, the body is read
with a cap, and verified over its raw bytes before anything parses it."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.webhooks import selectors
from apps.webhooks.services import HookResponse, delivery_receive, error, rate_limited


def _respond(response: HookResponse) -> JsonResponse:
    return JsonResponse(response.body, status=response.status)


def _read_capped(request: HttpRequest, limit: int) -> bytes | None:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@csrf_exempt
@require_POST
def receive(request: HttpRequest, slug: str) -> JsonResponse:
    endpoint = selectors.endpoint_enabled(slug=slug)
    if endpoint is None:
        return _respond(error(404, "unknown_endpoint", f"no enabled webhook endpoint {slug!r}"))
    if rate_limited(endpoint):
        return _respond(error(429, "rate_limited", "too many deliveries; retry later"))
    if request.content_type != "application/json":
        return _respond(
            error(415, "unsupported_media_type", "Content-Type must be application/json")
        )
    body = _read_capped(request, endpoint.max_body_bytes)
    if body is None:
        return _respond(
            error(413, "too_large", f"the body is larger than {endpoint.max_body_bytes} bytes")
        )
    return _respond(delivery_receive(endpoint=endpoint, body=body, headers=request.headers))
