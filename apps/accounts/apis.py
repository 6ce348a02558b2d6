from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts.tokens import TokenError, token_pair_issue, token_user

TokenPairSerializer = inline_serializer(
    "TokenPair",
    {
        "access": serializers.CharField(),
        "refresh": serializers.CharField(),
        "expires_in": serializers.IntegerField(),
    },
)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class RefreshRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenApi(APIView):
    """Exchange a username and password for an access and a refresh token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        payload = TokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=payload.validated_data["username"],
            password=payload.validated_data["password"],
        )
        if user is None or not user.is_active:
            return Response(
                {"detail": "Invalid username or password."}, status=status.HTTP_401_UNAUTHORIZED
            )
        pair = token_pair_issue(user=user)
        return Response(
            {"access": pair.access, "refresh": pair.refresh, "expires_in": pair.expires_in}
        )


class RefreshApi(APIView):
    """Exchange a refresh token for a new pair."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=RefreshRequestSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        payload = RefreshRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            user = token_user(payload.validated_data["refresh"], typ="refresh")
        except TokenError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_401_UNAUTHORIZED)
        pair = token_pair_issue(user=user)
        return Response(
            {"access": pair.access, "refresh": pair.refresh, "expires_in": pair.expires_in}
        )
