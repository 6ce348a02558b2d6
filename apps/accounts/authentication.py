from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.accounts.services import ApiKeyError, api_key_check
from apps.accounts.tokens import TokenError, token_user


def _credentials(request: Request, keyword: str) -> str | None:
    """The credentials after `keyword` in the Authorization header, or None."""
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].lower() != keyword.lower().encode():
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(f"Authorization header must be '{keyword} <value>'")
    return header[1].decode("ascii", "replace")


class JWTAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <access token>`; request.auth is the token."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        token = _credentials(request, self.keyword)
        if token is None:
            return None
        try:
            user = token_user(token)
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key owm_<prefix>_<secret>`: the request acts as the key's
    service account (with its roles); request.auth is the ApiKey row."""

    keyword = "Api-Key"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        raw = _credentials(request, self.keyword)
        if raw is None:
            return None
        try:
            key = api_key_check(raw=raw)
        except ApiKeyError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return key.account.user, key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.JWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key owm_<prefix>_<secret>`",
        }
