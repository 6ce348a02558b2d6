"""Websocket authentication by JWT (`?token=<access>`), beside the session."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from apps.accounts.tokens import TokenError, token_user


class JWTQueryAuthMiddleware:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [None])[0]
        if token:
            scope = dict(scope)
            try:
                scope["user"] = await database_sync_to_async(token_user)(token)
            except TokenError:
                from django.contrib.auth.models import AnonymousUser

                scope["user"] = AnonymousUser()
        return await self.inner(scope, receive, send)
