from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.agents.events import run_events_after
from apps.agents.selectors import agents_enabled, run_for_user, runs_visible_to
from apps.agents.serializers import (
    AgentSerializer,
    RunCreateSerializer,
    RunDetailSerializer,
    RunSerializer,
)
from apps.agents.services import RunInputError, RunLimitError, run_create
from apps.core.api import paginated


class AgentListApi(generics.ListAPIView):
    serializer_class = AgentSerializer
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return agents_enabled()


class RunListCreateApi(APIView):
    @extend_schema(
        responses=paginated(RunSerializer, "Run"),
        parameters=[
            OpenApiParameter("agent", str, description="filter by agent slug"),
            OpenApiParameter("status", str, description="filter by status"),
        ],
    )
    def get(self, request: Request) -> Response:
        runs = runs_visible_to(request.user)
        if agent := request.query_params.get("agent"):
            runs = runs.filter(agent__slug=agent)
        if run_status := request.query_params.get("status"):
            runs = runs.filter(status=run_status)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response(RunSerializer(page, many=True).data)

    @extend_schema(request=RunCreateSerializer, responses={201: RunSerializer})
    def post(self, request: Request) -> Response:
        payload = RunCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        agent = get_object_or_404(agents_enabled(), slug=payload.validated_data["agent"])
        try:
            run = run_create(agent=agent, user=request.user, text=payload.validated_data["input"])
        except RunLimitError as exc:
            raise Throttled(detail=str(exc)) from exc
        except RunInputError as exc:
            raise ValidationError({"input": [str(exc)]}) from exc
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    @extend_schema(responses=RunDetailSerializer)
    def get(self, request: Request, run_id: str) -> Response:
        run = run_for_user(user=request.user, run_id=run_id)
        if run is None:
            raise NotFound("No such run, or you may not see it.")
        run = type(run).objects.prefetch_related("messages", "tool_calls").get(pk=run.pk)
        return Response(RunDetailSerializer(run).data)


class RunEventsApi(APIView):
    """The run's persisted live events after a sequence number (polling clients)."""

    @extend_schema(
        parameters=[OpenApiParameter("after", int, description="last seq seen")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, run_id: str) -> Response:
        if run_for_user(user=request.user, run_id=run_id) is None:
            raise NotFound("No such run, or you may not see it.")
        try:
            after = max(0, int(request.query_params.get("after", 0)))
        except ValueError as exc:
            raise ValidationError({"after": ["must be an integer"]}) from exc
        return Response({"events": run_events_after(run_id=run_id, after=after)})
