"""/api/rbac/: grants, roles and a user's effective access. Staff only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.agents.models import Agent
from apps.rbac import selectors, services
from apps.rbac.models import Grant
from apps.rbac.serializers import (
    EffectiveSerializer,
    GrantCreateSerializer,
    GrantSerializer,
    GrantUpdateSerializer,
    RoleSerializer,
)


def _invalid(exc: ValidationError) -> Response:
    detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    return Response(detail, status=status.HTTP_400_BAD_REQUEST)


def _lookup(model: Any, field: str, value: str, label: str) -> Any:
    found = model.objects.filter(**{field: value}).first()
    if found is None:
        raise serializers.ValidationError({label: [f"Unknown {label} {value!r}."]})
    return found


class StaffApi(APIView):
    permission_classes = [IsAdminUser]


class GrantListApi(StaffApi):
    @extend_schema(
        parameters=[OpenApiParameter("role", str), OpenApiParameter("tool", str)],
        responses=GrantSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        grants = selectors.grant_list(
            role=request.query_params.get("role", ""), tool=request.query_params.get("tool", "")
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(grants, request, view=self)
        return paginator.get_paginated_response(GrantSerializer(page, many=True).data)

    @extend_schema(request=GrantCreateSerializer, responses={201: GrantSerializer})
    def post(self, request: Request) -> Response:
        payload = GrantCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        role = _lookup(Group, "name", data["role"], "role")
        agent = _lookup(Agent, "slug", data["agent"], "agent") if data["agent"] else None
        try:
            grant = services.grant_create(
                role=role,
                tool_name=data["tool_name"],
                agent=agent,
                decision=data["decision"],
                limits=data["limits"],
                actor=request.user,
            )
        except ValidationError as exc:
            return _invalid(exc)
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class GrantDetailApi(StaffApi):
    def _grant(self, grant_id: int) -> Grant:
        return get_object_or_404(Grant.objects.select_related("role", "agent"), pk=grant_id)

    @extend_schema(responses=GrantSerializer)
    def get(self, request: Request, grant_id: int) -> Response:
        return Response(GrantSerializer(self._grant(grant_id)).data)

    @extend_schema(request=GrantUpdateSerializer, responses=GrantSerializer)
    def patch(self, request: Request, grant_id: int) -> Response:
        grant = self._grant(grant_id)
        payload = GrantUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            grant = services.grant_update(
                grant=grant,
                decision=payload.validated_data.get("decision"),
                limits=payload.validated_data.get("limits"),
                actor=request.user,
            )
        except ValidationError as exc:
            return _invalid(exc)
        return Response(GrantSerializer(grant).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, grant_id: int) -> Response:
        services.grant_delete(grant=self._grant(grant_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleListApi(StaffApi):
    @extend_schema(responses=RoleSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(RoleSerializer(selectors.role_list(), many=True).data)

    @extend_schema(request=RoleSerializer, responses={201: RoleSerializer})
    def post(self, request: Request) -> Response:
        payload = RoleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            role = services.role_create(name=payload.validated_data["name"], actor=request.user)
        except ValidationError as exc:
            return _invalid(exc)
        return Response(
            {"id": role.pk, "name": role.name, "members": 0, "grants": 0},
            status=status.HTTP_201_CREATED,
        )


class EffectiveApi(StaffApi):
    @extend_schema(
        parameters=[OpenApiParameter("user", str, required=True)],
        responses=EffectiveSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        username = request.query_params.get("user", "")
        if not username:
            return Response({"user": ["Give ?user=<username>."]}, status=400)
        user = get_object_or_404(get_user_model(), username=username)
        rows = selectors.effective_access(user=user)
        return Response({"user": username, "tools": EffectiveSerializer(rows, many=True).data})
