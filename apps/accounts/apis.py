from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts import selectors, services
from apps.accounts.authentication import JWTAuthentication
from apps.accounts.models import ApiKey, ServiceAccount
from apps.accounts.throttling import client_ip, lockout_seconds
from apps.accounts.tokens import TokenError, TokenPair, token_decode

TokenPairSerializer = inline_serializer(
    "TokenPair",
    {
        "access": serializers.CharField(),
        "refresh": serializers.CharField(),
        "expires_in": serializers.IntegerField(),
    },
)


def pair_response(pair: TokenPair) -> Response:
    return Response({"access": pair.access, "refresh": pair.refresh, "expires_in": pair.expires_in})


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class RefreshRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class LogoutRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField(required=False)
    everywhere = serializers.BooleanField(required=False, default=False)


class TokenApi(APIView):
    """Exchange a username and password for an access and a refresh token.

    Repeated failures lock the username and the client address out (429)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        payload = TokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            pair = services.token_obtain(
                username=payload.validated_data["username"],
                password=payload.validated_data["password"],
                request=request._request,
            )
        except services.LoginLockedError as exc:
            return Response(
                {"detail": str(exc)},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(lockout_seconds())},
            )
        except services.LoginFailedError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_401_UNAUTHORIZED)
        return pair_response(pair)


class RefreshApi(APIView):
    """Rotate a refresh token: the old one is spent, a new pair comes back.

    Presenting a spent refresh token again revokes its whole session."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=RefreshRequestSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        payload = RefreshRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            pair = services.token_refresh(
                refresh=payload.validated_data["refresh"], ip=client_ip(request)
            )
        except TokenError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_401_UNAUTHORIZED)
        return pair_response(pair)


class LogoutApi(APIView):
    """End the session of the bearer access token (and of `refresh`, if given);
    with `everywhere`, every token of the user."""

    authentication_classes = [JWTAuthentication]

    @extend_schema(request=LogoutRequestSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        payload = LogoutRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ip = client_ip(request)
        if payload.validated_data["everywhere"]:
            services.user_tokens_revoke(user=request.user, actor=request.user, ip=ip)
            return Response(status=status.HTTP_204_NO_CONTENT)
        try:
            services.token_logout(
                access_claims=token_decode(str(request.auth), typ="access"),
                refresh=payload.validated_data.get("refresh"),
                actor=request.user,
                ip=ip,
            )
        except TokenError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserRevokeApi(APIView):
    """Staff: sign a user out everywhere (every token issued so far stops working)."""

    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, username: str) -> Response:
        user = selectors.user_by_username(username=username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        services.user_tokens_revoke(user=user, actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeySerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)

    class Meta:
        model = ApiKey
        fields = ["name", "prefix", "state", "created_at", "last_used_at", "expires_at",
                  "revoked_at"]  # fmt: skip


class ServiceAccountSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    roles = serializers.SerializerMethodField()
    keys = ApiKeySerializer(many=True, read_only=True)

    class Meta:
        model = ServiceAccount
        fields = ["id", "username", "description", "roles", "created_at", "keys"]

    def get_roles(self, account: ServiceAccount) -> list[str]:
        return sorted(group.name for group in account.user.groups.all())


class ServiceAccountCreateSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    roles = serializers.ListField(child=serializers.CharField(), allow_empty=True)


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ServiceAccountListApi(APIView):
    """Staff: service accounts with their roles and keys (never a secret)."""

    permission_classes = [IsAdminUser]

    @extend_schema(responses=ServiceAccountSerializer(many=True))
    def get(self, request: Request) -> Response:
        accounts = selectors.service_account_list()
        return Response(ServiceAccountSerializer(accounts, many=True).data)

    @extend_schema(
        request=ServiceAccountCreateSerializer, responses={201: ServiceAccountSerializer}
    )
    def post(self, request: Request) -> Response:
        payload = ServiceAccountCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data: dict[str, Any] = payload.validated_data
        try:
            account = services.service_account_create(
                username=data["username"],
                roles=data["roles"],
                description=data["description"],
                created_by=request.user,
                ip=client_ip(request),
            )
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        account = selectors.service_account_get(pk=account.pk)
        return Response(ServiceAccountSerializer(account).data, status=status.HTTP_201_CREATED)


class ApiKeyCreateApi(APIView):
    """Staff: a new key for a service account. The key is in this response only."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        request=ApiKeyCreateSerializer,
        responses={
            201: inline_serializer(
                "ApiKeyCreated", {"key": serializers.CharField(), "api_key": ApiKeySerializer()}
            )
        },
    )
    def post(self, request: Request, account_id: int) -> Response:
        account = selectors.service_account_get(pk=account_id)
        if account is None:
            raise NotFound("no such service account")
        payload = ApiKeyCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        key, plaintext = services.api_key_create(
            account=account,
            name=payload.validated_data["name"],
            expires_at=payload.validated_data["expires_at"],
            created_by=request.user,
            ip=client_ip(request),
        )
        return Response(
            {"key": plaintext, "api_key": ApiKeySerializer(key).data},
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )


class ApiKeyRevokeApi(APIView):
    """Staff: revoke a key by its prefix; it stops working at once."""

    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses=ApiKeySerializer)
    def post(self, request: Request, prefix: str) -> Response:
        key = selectors.api_key_get(prefix=prefix)
        if key is None:
            raise NotFound("no such API key")
        services.api_key_revoke(key=key, actor=request.user, ip=client_ip(request))
        return Response(ApiKeySerializer(key).data)
