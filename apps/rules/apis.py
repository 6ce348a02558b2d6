from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.rules import selectors, services
from apps.rules.access import may_manage_rules, may_push_metrics
from apps.rules.models import Rule, RuleFiring


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rule
        fields = [
            "name",
            "description",
            "condition",
            "actions",
            "severity",
            "scope",
            "cooldown_seconds",
            "enabled",
            "last_fired_at",
        ]
        read_only_fields = ["last_fired_at"]


class FiringSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name")

    class Meta:
        model = RuleFiring
        fields = [
            "id",
            "rule",
            "subject",
            "fired_at",
            "status",
            "trigger",
            "decided_by",
            "metrics",
            "action_results",
        ]


class MetricPushSerializer(serializers.Serializer):
    metrics = serializers.DictField(child=serializers.FloatField())
    labels = serializers.DictField(required=False)
    evaluate = serializers.BooleanField(default=True)


class EvaluateSerializer(serializers.Serializer):
    metrics = serializers.DictField(required=False)


class FiringsResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField(required=False)
    firings = FiringSerializer(many=True)


def _bad_request(exc: ValidationError) -> Response:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return Response(detail, status=status.HTTP_400_BAD_REQUEST)


def _body(request: Request) -> Any:
    if not hasattr(request.data, "get"):
        raise DRFValidationError("the body must be a JSON object")
    return request.data


def _require_manager(request: Request) -> None:
    if not may_manage_rules(request.user):
        raise PermissionDenied("only admins and managers change business rules")


class RuleListApi(generics.ListAPIView):
    serializer_class = RuleSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.rule_list()

    def post(self, request: Request) -> Response:
        _require_manager(request)
        serializer = RuleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            rule = services.rule_create(**serializer.validated_data)
        except ValidationError as exc:
            return _bad_request(exc)
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailApi(APIView):
    serializer_class = RuleSerializer

    def get(self, request: Request, name: str) -> Response:
        return Response(RuleSerializer(get_object_or_404(Rule, name=name)).data)

    def patch(self, request: Request, name: str) -> Response:
        _require_manager(request)
        rule = get_object_or_404(Rule, name=name)
        serializer = RuleSerializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k != "name"}
        try:
            rule = services.rule_update(rule=rule, **fields)
        except ValidationError as exc:
            return _bad_request(exc)
        return Response(RuleSerializer(rule).data)


class FiringListApi(generics.ListAPIView):
    serializer_class = FiringSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        params = self.request.query_params
        return selectors.firing_list(
            rule=params.get("rule", ""),
            status=params.get("status", ""),
            subject=params.get("subject", ""),
            trigger=params.get("trigger", ""),
        )


def _firings(firings: list[RuleFiring]) -> list[dict[str, Any]]:
    return FiringSerializer(firings, many=True).data  # type: ignore[return-value]


class MetricPushApi(APIView):
    """POST {"metrics": {name: number}, "labels": {}, "evaluate": true}."""

    @extend_schema(request=MetricPushSerializer, responses={201: FiringsResultSerializer})
    def post(self, request: Request) -> Response:
        if not may_push_metrics(request.user):
            raise PermissionDenied("you may not push metrics")
        data = _body(request)
        metrics = data.get("metrics")
        labels = data.get("labels") or {}
        try:
            if not isinstance(labels, dict):
                raise ValidationError("labels must be an object")
            samples = services.metrics_push(metrics=metrics, labels=labels)
            fired = (
                services.rules_evaluate(metrics=metrics, actor=None)
                if data.get("evaluate", True)
                else []
            )
        except ValidationError as exc:
            return _bad_request(exc)
        return Response(
            {"stored": len(samples), "firings": _firings(fired)}, status=status.HTTP_201_CREATED
        )


class EvaluateApi(APIView):
    """POST {"metrics": {...}} evaluates every rule over them; {} runs the scheduled pass."""

    @extend_schema(request=EvaluateSerializer, responses={200: FiringsResultSerializer})
    def post(self, request: Request) -> Response:
        if not may_push_metrics(request.user):
            raise PermissionDenied("you may not evaluate rules")
        metrics = _body(request).get("metrics")
        try:
            fired = (
                services.rules_evaluate(metrics=metrics, actor=None)
                if metrics
                else services.rules_evaluate_all()
            )
        except ValidationError as exc:
            return _bad_request(exc)
        return Response({"firings": _firings(fired)})
