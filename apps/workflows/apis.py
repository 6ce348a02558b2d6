"""The workflow API: definitions (editing adds a version), runs, step retry."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.workflows import selectors
from apps.workflows.engine import StepRetryError, step_retry
from apps.workflows.models import StepRun, Workflow, WorkflowRun
from apps.workflows.services import (
    WorkflowInvalid,
    WorkflowStartError,
    workflow_create,
    workflow_run_start,
    workflow_update,
)
from apps.workflows.validation import MODES


class WorkflowSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="current_version.number", default=None)
    steps = serializers.JSONField(source="current_version.steps", default=list)
    service_account = serializers.CharField(source="service_account.username", default=None)

    class Meta:
        model = Workflow
        fields = [
            "slug",
            "name",
            "description",
            "execution_mode",
            "max_workers",
            "enabled",
            "service_account",
            "version",
            "steps",
            "created_at",
        ]


class WorkflowInput(serializers.Serializer):
    slug = serializers.SlugField(required=False)
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    execution_mode = serializers.ChoiceField(choices=MODES, required=False)
    max_workers = serializers.IntegerField(min_value=1, max_value=32, required=False)
    enabled = serializers.BooleanField(required=False)
    steps = serializers.JSONField(required=False)


class StepRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = StepRun
        fields = [
            "step_id",
            "action",
            "status",
            "attempt",
            "next_attempt_at",
            "arguments",
            "result",
            "error_kind",
            "error",
            "idempotency_key",
            "started_at",
            "finished_at",
        ]


class WorkflowRunSerializer(serializers.ModelSerializer):
    workflow = serializers.CharField(source="workflow.slug", default=None)
    version = serializers.IntegerField(source="version.number", default=None)
    started_by = serializers.CharField(source="started_by.username", default=None)
    actor = serializers.CharField(source="actor.username", default=None)
    steps = StepRunSerializer(many=True, read_only=True)

    class Meta:
        model = WorkflowRun
        fields = [
            "id",
            "workflow",
            "version",
            "status",
            "execution_mode",
            "trigger",
            "started_by",
            "actor",
            "inputs",
            "created_at",
            "finished_at",
            "steps",
        ]


def _require_operator(request: Request) -> None:
    if not selectors.may_operate(request.user):
        raise PermissionDenied("You may not manage or start workflows.")


def _invalid(exc: WorkflowInvalid) -> ValidationError:
    return ValidationError({"steps": [e.as_dict() for e in exc.errors]})


def _workflow(slug: str) -> Workflow:
    workflow = selectors.workflow_get(slug=slug)
    if workflow is None:
        raise Http404("no such workflow")
    return workflow


class WorkflowListApi(APIView):
    def get(self, request: Request) -> Response:
        workflows = selectors.workflow_list(q=request.query_params.get("q", ""))
        return Response(WorkflowSerializer(workflows[:200], many=True).data)

    def post(self, request: Request) -> Response:
        _require_operator(request)
        data = _validated(request.data)
        for field in ("slug", "name", "steps"):
            if field not in data:
                raise ValidationError({field: ["This field is required."]})
        if Workflow.objects.filter(slug=data["slug"]).exists():
            raise ValidationError({"slug": ["A workflow with this slug exists."]})
        try:
            workflow = workflow_create(
                slug=data["slug"],
                name=data["name"],
                steps=data["steps"],
                execution_mode=data.get("execution_mode", "sequential"),
                description=data.get("description", ""),
                max_workers=data.get("max_workers", 4),
                created_by=request.user,
            )
        except WorkflowInvalid as exc:
            raise _invalid(exc) from exc
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)


def _validated(payload: Any) -> dict[str, Any]:
    serializer = WorkflowInput(data=payload)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WorkflowDetailApi(APIView):
    def get(self, request: Request, slug: str) -> Response:
        return Response(WorkflowSerializer(_workflow(slug)).data)

    def put(self, request: Request, slug: str) -> Response:
        _require_operator(request)
        data = _validated(request.data)
        data.pop("slug", None)
        try:
            workflow = workflow_update(workflow=_workflow(slug), user=request.user, **data)
        except WorkflowInvalid as exc:
            raise _invalid(exc) from exc
        return Response(WorkflowSerializer(workflow).data)

    patch = put


class WorkflowRunsApi(APIView):
    def get(self, request: Request, slug: str) -> Response:
        runs = selectors.run_list(
            workflow=_workflow(slug), status=request.query_params.get("status", "")
        )
        return Response(WorkflowRunSerializer(runs.prefetch_related("steps")[:100], many=True).data)

    def post(self, request: Request, slug: str) -> Response:
        _require_operator(request)
        inputs = request.data.get("inputs", {}) if isinstance(request.data, dict) else {}
        if not isinstance(inputs, dict):
            raise ValidationError({"inputs": ["must be an object"]})
        try:
            run = workflow_run_start(workflow=_workflow(slug), user=request.user, inputs=inputs)
        except WorkflowStartError as exc:
            raise ValidationError({"workflow": [str(exc)]}) from exc
        return Response(WorkflowRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


def _run(pk: int) -> WorkflowRun:
    run = selectors.run_get(pk=pk)
    if run is None:
        raise Http404("no such workflow run")
    return run


class WorkflowRunDetailApi(APIView):
    def get(self, request: Request, pk: int) -> Response:
        return Response(WorkflowRunSerializer(_run(pk)).data)


class StepRetryApi(APIView):
    def post(self, request: Request, pk: int, step_id: str) -> Response:
        _require_operator(request)
        run = _run(pk)
        step = selectors.step_get(run=run, step_id=step_id)
        if step is None:
            raise Http404("no such step")
        try:
            step_retry(step=step, user=request.user)
        except StepRetryError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(StepRunSerializer(step).data, status=status.HTTP_202_ACCEPTED)
