"""JWT issue and verification (PyJWT).

Verification pins the algorithm, requires exp/iat/iss/aud/jti and honours nbf.
Access and refresh tokens differ by their `typ` claim, so one can never be
used as the other."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

ALGORITHM = "HS256"
KEY_ID = "owm-1"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "jti", "sub"]


class TokenError(Exception):
    """The token is missing, malformed, expired or otherwise not acceptable."""


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int


def _encode(user: AbstractBaseUser, typ: str, ttl: int) -> str:
    now = datetime.now(tz=UTC)
    claims: dict[str, Any] = {
        "sub": str(user.pk),
        "typ": typ,
        "iss": settings.OWM_JWT_ISSUER,
        "aud": settings.OWM_JWT_AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.OWM_JWT_SECRET, algorithm=ALGORITHM, headers={"kid": KEY_ID})


def token_pair_issue(*, user: AbstractBaseUser) -> TokenPair:
    return TokenPair(
        access=_encode(user, "access", settings.OWM_JWT_ACCESS_TTL),
        refresh=_encode(user, "refresh", settings.OWM_JWT_REFRESH_TTL),
        expires_in=settings.OWM_JWT_ACCESS_TTL,
    )


def token_decode(token: str, *, typ: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError(f"malformed token: {exc}") from exc
    if header.get("kid") != KEY_ID:
        raise TokenError("unknown signing key")
    try:
        claims = jwt.decode(
            token,
            settings.OWM_JWT_SECRET,
            algorithms=[ALGORITHM],
            audience=settings.OWM_JWT_AUDIENCE,
            issuer=settings.OWM_JWT_ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    if claims.get("typ") != typ:
        raise TokenError(f"not an {typ} token")
    return claims


def token_user(token: str, *, typ: str = "access") -> AbstractBaseUser:
    claims = token_decode(token, typ=typ)
    user = get_user_model().objects.filter(pk=claims["sub"], is_active=True).first()
    if user is None:
        raise TokenError("user not found or disabled")
    return user
