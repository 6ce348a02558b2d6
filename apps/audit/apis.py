from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.exports import export_response
from apps.audit.models import AuditEntry
from apps.audit.selectors import (
    audit_chain_verify,
    audit_entry_list,
    audit_filters_clean,
    user_is_auditor,
)

FILTER_PARAMETERS = [
    OpenApiParameter("user", str, description="actor username"),
    OpenApiParameter("tool", str, description="tool name"),
    OpenApiParameter("agent", str, description="agent slug"),
    OpenApiParameter("decision", str, description="allowed|denied|approved|rejected|none"),
    OpenApiParameter("event", str, description="e.g. tool.call, auth.login"),
    OpenApiParameter("since", str, description="from this date or ISO datetime"),
    OpenApiParameter("until", str, description="up to this date (inclusive) or ISO datetime"),
]


class IsAuditor(BasePermission):
    message = "The audit log is open to auditors and staff only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_is_auditor(request.user)


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id", "seq", "at", "event", "actor", "actor_id", "on_behalf_of", "run_id",
            "agent", "tool", "tool_call_id", "arguments", "result_digest", "decision",
            "approved_by", "status", "duration_ms", "ip", "detail", "prev_hash", "hash",
        ]  # fmt: skip


class AuditPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _filters(request: Request) -> dict[str, str]:
    filters = audit_filters_clean(request.query_params)
    try:
        audit_entry_list(filters=filters)
    except ValueError as exc:
        raise ValidationError({"filters": [str(exc)]}) from exc
    return filters


class AuditEntryListApi(APIView):
    permission_classes = [IsAuthenticated, IsAuditor]

    @extend_schema(responses=AuditEntrySerializer(many=True), parameters=FILTER_PARAMETERS)
    def get(self, request: Request) -> Response:
        entries = audit_entry_list(filters=_filters(request))
        paginator = AuditPagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """Exports are CSV or JSON whatever the client's Accept header says."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0]

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class AuditExportApi(APIView):
    permission_classes = [IsAuthenticated, IsAuditor]
    content_negotiation_class = IgnoreClientContentNegotiation
    fmt = "json"

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY}, parameters=FILTER_PARAMETERS)
    def get(self, request: Request) -> StreamingHttpResponse:
        return export_response(fmt=self.fmt, filters=_filters(request))


class AuditVerifyApi(APIView):
    permission_classes = [IsAuthenticated, IsAuditor]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(audit_chain_verify().as_dict())
