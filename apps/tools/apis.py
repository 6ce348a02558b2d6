from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.tools.approvals import ApprovalError, approval_decide, may_decide
from apps.tools.models import Approval, ToolCall
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
    ToolCall.Status.WAITING: status.HTTP_202_ACCEPTED,
    ToolCall.Status.REJECTED: status.HTTP_409_CONFLICT,
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
    @extend_schema(
        responses={200: {"type": "array", "items": {"type": "object"}}},
        description="Every tool, in OpenAI format.",
    )
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


class ApprovalSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.get_username", default=None)
    decided_by = serializers.CharField(source="decided_by.get_username", default=None)
    tool_call_id = serializers.CharField(source="tool_call.tool_call_id")

    class Meta:
        model = Approval
        fields = [
            "id",
            "tool_name",
            "tool_call_id",
            "run",
            "status",
            "arguments",
            "approved_arguments",
            "reason",
            "requested_by",
            "decided_by",
            "decided_at",
            "note",
            "created_at",
            "expires_at",
        ]


class DecisionSerializer(serializers.Serializer):
    arguments = serializers.JSONField(required=False, help_text="edited arguments (approve only)")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ApprovalListApi(generics.ListAPIView):
    serializer_class = ApprovalSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if not may_decide(self.request.user):
            raise PermissionDenied("Only approvers may list approvals.")
        approvals = Approval.objects.select_related("requested_by", "decided_by", "tool_call")
        if wanted := self.request.query_params.get("status"):
            approvals = approvals.filter(status=wanted)
        return approvals


class ApprovalDecideApi(APIView):
    approve = True

    @extend_schema(request=DecisionSerializer, responses=ApprovalSerializer)
    def post(self, request: Request, approval_id: int) -> Response:
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if not may_decide(request.user):
            raise PermissionDenied("Only approvers may decide.")
        get_object_or_404(Approval, pk=approval_id)
        arguments = payload.validated_data.get("arguments")
        if arguments is not None and not isinstance(arguments, dict):
            raise ValidationError({"arguments": ["must be a JSON object"]})
        try:
            approval = approval_decide(
                approval_id=approval_id,
                user=request.user,
                approve=self.approve,
                arguments=arguments if self.approve else None,
                note=payload.validated_data.get("note", ""),
            )
        except ApprovalError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(ApprovalSerializer(approval).data)
