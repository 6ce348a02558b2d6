from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.tools.models import ToolCall
from apps.tools.registry import ToolSpec, registry
from apps.tools.serializers import ToolInvokeResultSerializer, ToolInvokeSerializer
from apps.tools.services import tool_run

# How a call's outcome maps to HTTP: the body is the same structured result.
STATUS_CODES = {
    ToolCall.Status.SUCCEEDED: status.HTTP_200_OK,
    ToolCall.Status.INVALID: status.HTTP_400_BAD_REQUEST,
    ToolCall.Status.DENIED: status.HTTP_403_FORBIDDEN,
    ToolCall.Status.UNKNOWN: status.HTTP_404_NOT_FOUND,
    ToolCall.Status.FAILED: status.HTTP_422_UNPROCESSABLE_ENTITY,
    ToolCall.Status.TIMEOUT: status.HTTP_504_GATEWAY_TIMEOUT,
}


def tool_payload(spec: ToolSpec) -> dict[str, Any]:
    """The OpenAI tool entry, plus what OWM knows about the tool."""
    return {
        **spec.openai_schema(),
        "risk": spec.risk.value,
        "side_effects": spec.side_effects,
        "category": spec.category,
    }


class ToolListApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, description="Every tool, in OpenAI format.")
    def get(self, request: Request) -> Response:
        return Response([tool_payload(spec) for spec in registry.all()])


class ToolInvokeApi(APIView):
    @extend_schema(request=ToolInvokeSerializer, responses=ToolInvokeResultSerializer)
    def post(self, request: Request, name: str) -> Response:
        payload = ToolInvokeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome = tool_run(
            actor=request.user,
            name=name,
            arguments=payload.validated_data["arguments"],
            source=ToolCall.Source.API,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        body = {
            "call_id": outcome.call.pk,
            "tool": name,
            "status": outcome.call.status,
            "ok": outcome.ok,
            "result": outcome.result,
            "duration_ms": outcome.call.duration_ms,
        }
        return Response(body, status=STATUS_CODES.get(outcome.call.status, 500))
