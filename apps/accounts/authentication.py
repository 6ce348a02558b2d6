from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.accounts.tokens import TokenError, token_user


class JWTAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <access token>`."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'")
        try:
            user = token_user(header[1].decode("ascii", "replace"))
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return user, header[1].decode()

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.JWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
