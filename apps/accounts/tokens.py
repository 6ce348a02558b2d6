"""JWT issue and verification (PyJWT) over the key set in apps.accounts.keys.

Verification picks the key by the header's kid (unknown kid: rejected), pins the
algorithm list to that key's alg, requires exp/iat/iss/aud/jti/sub and honours
nbf. Access and refresh tokens differ by their `typ` claim, so one can never be
used as the other. Both carry `fam`, the refresh family they belong to.

`token_decode` checks the token alone; `token_user` also checks the database,
in one query: the user is active, neither the jti nor the family is revoked,
and the token was issued after the user's "sign out everywhere" cut-off."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists

from apps.accounts.keys import DEFAULT_KID, key_set
from apps.accounts.models import RefreshToken, RevokedToken

# The default key's algorithm and id (the key set may hold others).
ALGORITHM = "HS256"
KEY_ID = DEFAULT_KID
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "jti", "sub"]


class TokenError(Exception):
    """The token is missing, malformed, expired or otherwise not acceptable."""


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int
    family: str = ""


def revoked_key(*, jti: str = "", family: str = "") -> str:
    """The RevokedToken.key of a token id or a family."""
    return f"jti:{jti}" if jti else f"fam:{family}"


def _encode(user: AbstractBaseUser, typ: str, ttl: int, family: str) -> tuple[str, dict]:
    now = datetime.now(tz=UTC)
    claims: dict[str, Any] = {
        "sub": str(user.pk),
        "typ": typ,
        "fam": family,
        "iss": settings.OWM_JWT_ISSUER,
        "aud": settings.OWM_JWT_AUDIENCE,
        # Sub-second iat: a token issued right after "sign out everywhere" stays valid.
        "iat": round(now.timestamp(), 6),
        "nbf": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl,
        "jti": uuid.uuid4().hex,
    }
    key = key_set().active
    token = jwt.encode(claims, key.signing_key, algorithm=key.alg, headers={"kid": key.kid})
    return token, claims


def token_pair_issue(*, user: AbstractBaseUser, family: str | None = None) -> TokenPair:
    """A new access and refresh token; the refresh token is recorded for rotation.
    Without `family` this starts a new session (family)."""
    family = family or uuid.uuid4().hex
    access, _ = _encode(user, "access", settings.OWM_JWT_ACCESS_TTL, family)
    refresh, claims = _encode(user, "refresh", settings.OWM_JWT_REFRESH_TTL, family)
    RefreshToken.objects.create(
        jti=claims["jti"],
        family=family,
        user=user,
        issued_at=datetime.fromtimestamp(claims["iat"], tz=UTC),
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
    )
    return TokenPair(access, refresh, settings.OWM_JWT_ACCESS_TTL, family)


def token_decode(token: str, *, typ: str) -> dict[str, Any]:
    """The claims of a well-signed, current token of type `typ` (no database)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError(f"malformed token: {exc}") from exc
    key = key_set().get(header.get("kid"))
    if key is None:
        raise TokenError("unknown signing key")
    try:
        claims = jwt.decode(
            token,
            key.verifying_key,
            algorithms=[key.alg],
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


def claims_user(claims: dict[str, Any]) -> AbstractBaseUser:
    """The active user `claims` speak for, unless the token was revoked (one query)."""
    keys = [revoked_key(jti=str(claims["jti"]))]
    if claims.get("fam"):
        keys.append(revoked_key(family=str(claims["fam"])))
    user = (
        get_user_model()
        .objects.filter(pk=claims["sub"], is_active=True)
        .select_related("token_cutoff")
        .annotate(token_revoked=Exists(RevokedToken.objects.filter(key__in=keys)))
        .first()
    )
    if user is None:
        raise TokenError("user not found or disabled")
    if user.token_revoked:  # type: ignore[attr-defined]
        raise TokenError("token revoked")
    cutoff = getattr(user, "token_cutoff", None)
    if cutoff is not None and float(claims["iat"]) < cutoff.valid_after.timestamp():
        raise TokenError("token revoked")
    return user


def token_user(token: str, *, typ: str = "access") -> AbstractBaseUser:
    return claims_user(token_decode(token, typ=typ))
