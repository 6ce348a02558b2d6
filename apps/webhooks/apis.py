"""The webhooks API for admins: endpoints (create and rotate show the secret
once), their delivery log, replay by hand."""

from __future__ import annotations

from django.http import Http404
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.webhooks import selectors
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.services import delivery_replay, endpoint_create, endpoint_rotate_secret
from apps.workflows.models import Automation
from apps.workflows.triggers import AutomationError


class EndpointSerializer(serializers.ModelSerializer):
    automation = serializers.SlugRelatedField(slug_field="slug", queryset=Automation.objects.all())
    url = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "slug",
            "name",
            "automation",
            "enabled",
            "max_body_bytes",
            "rate_limit_per_minute",
            "url",
            "created_at",
            "rotated_at",
            "previous_secret_expires_at",
        ]
        read_only_fields = ["enabled", "created_at", "rotated_at", "previous_secret_expires_at"]

    def get_url(self, endpoint: WebhookEndpoint) -> str:
        return f"/hooks/{endpoint.slug}/"


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "verified",
            "status",
            "response_code",
            "response_body",
            "error",
            "targets",
            "replay_of",
            "headers",
            "body",
            "received_at",
            "processed_at",
        ]


def _endpoint(slug: str) -> WebhookEndpoint:
    endpoint = selectors.endpoint_list().filter(slug=slug).first()
    if endpoint is None:
        raise Http404("no such endpoint")
    return endpoint


class EndpointListApi(APIView):
    permission_classes = [IsAdminUser]

    def get(self, request: Request) -> Response:
        return Response(EndpointSerializer(selectors.endpoint_list(), many=True).data)

    def post(self, request: Request) -> Response:
        serializer = EndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            endpoint, secret = endpoint_create(created_by=request.user, **serializer.validated_data)
        except AutomationError as exc:
            raise ValidationError({"automation": [str(exc)]}) from exc
        data = {**EndpointSerializer(endpoint).data, "secret": secret}
        return Response(data, status=status.HTTP_201_CREATED)


class EndpointRotateApi(APIView):
    permission_classes = [IsAdminUser]

    def post(self, request: Request, slug: str) -> Response:
        endpoint = _endpoint(slug)
        secret = endpoint_rotate_secret(endpoint=endpoint)
        return Response({**EndpointSerializer(endpoint).data, "secret": secret})


class DeliveryListApi(APIView):
    permission_classes = [IsAdminUser]

    def get(self, request: Request, slug: str) -> Response:
        deliveries = selectors.delivery_list(
            endpoint=_endpoint(slug), status=request.query_params.get("status", "")
        )
        return Response(DeliverySerializer(deliveries[:100], many=True).data)


class DeliveryReplayApi(APIView):
    permission_classes = [IsAdminUser]

    def post(self, request: Request, pk: int) -> Response:
        delivery = WebhookDelivery.objects.filter(pk=pk).first()
        if delivery is None:
            raise Http404("no such delivery")
        if not delivery.verified:
            raise PermissionDenied("Only verified deliveries can be replayed.")
        replay = delivery_replay(delivery=delivery, user=request.user)
        return Response(DeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)
