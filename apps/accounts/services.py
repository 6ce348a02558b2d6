"""Identity writes: obtaining, refreshing and revoking tokens; service accounts
and their API keys. Every change is audited (never a secret or a token)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.utils import timezone

from apps.accounts import throttling
from apps.accounts.models import ApiKey, RefreshToken, RevokedToken, ServiceAccount, TokenCutoff
from apps.accounts.tokens import (
    TokenError,
    TokenPair,
    claims_user,
    revoked_key,
    token_decode,
    token_pair_issue,
)

logger = logging.getLogger(__name__)

API_KEY_PREFIX = "owm"
# last_used_at is written at most once per this many seconds per key.
API_KEY_TOUCH_SECONDS = 60


class LoginLockedError(Exception):
    """Too many failed attempts: refused without checking the password."""


class LoginFailedError(Exception):
    """Wrong username or password (or a disabled user); never says which."""


class ApiKeyError(Exception):
    """The API key is malformed, unknown, wrong, revoked or expired."""


def _audit(**kwargs: Any) -> None:
    """Record an auth event in the audit log, when the audit app is there."""
    try:
        from apps.audit.services import audit_record
    except ImportError:
        return
    audit_record(**kwargs)


# --- Tokens ----------------------------------------------------------------------


def token_obtain(*, username: str, password: str, request: Any = None) -> TokenPair:
    """Exchange credentials for a token pair, subject to log-in throttling."""
    ip = throttling.client_ip(request)
    if throttling.login_locked(username=username, ip=ip):
        raise LoginLockedError(throttling.lockout_message())
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        throttling.login_failure_record(username=username, ip=ip)
        raise LoginFailedError("Invalid username or password.")
    throttling.login_success_record(username=username)
    pair = token_pair_issue(user=user)
    _audit(event="auth.token_issued", actor=user, ip=ip, detail={"family": pair.family})
    return pair


def token_refresh(*, refresh: str, ip: str = "") -> TokenPair:
    """Rotate a refresh token: mark it used and issue the next pair in its family.

    A used or revoked refresh token presented again means it was stolen (or the
    session was ended): the whole family is revoked and TokenError raised."""
    claims = token_decode(refresh, typ="refresh")
    family = str(claims.get("fam") or "")
    now = timezone.now()
    with transaction.atomic():
        rotated = RefreshToken.objects.filter(
            jti=claims["jti"], user_id=claims["sub"], used_at=None, revoked_at=None
        ).update(used_at=now)
        if rotated:
            user = claims_user(claims)
            pair = token_pair_issue(user=user, family=family)
    if rotated:
        _audit(event="auth.token_refreshed", actor=user, ip=ip, detail={"family": family})
        return pair
    if family and RefreshToken.objects.filter(jti=claims["jti"], family=family).exists():
        token_family_revoke(family=family, reason="reuse", ip=ip)
        _audit(
            event="auth.refresh_reuse_detected",
            actor=get_user_model().objects.filter(pk=claims["sub"]).first(),
            ip=ip,
            status="denied",
            detail={"family": family, "jti": claims["jti"]},
        )
        raise TokenError("refresh token already used: the session was revoked")
    raise TokenError("unknown refresh token")


def _revoked_add(*, key: str, expires_at: datetime, reason: str) -> None:
    RevokedToken.objects.update_or_create(
        key=key, defaults={"expires_at": expires_at, "reason": reason[:40]}
    )


def token_family_revoke(
    *, family: str, reason: str = "revoked", actor: Any = None, ip: str = ""
) -> None:
    """End a session: its refresh tokens and every access token issued in it."""
    now = timezone.now()
    with transaction.atomic():
        RefreshToken.objects.filter(family=family, revoked_at=None).update(revoked_at=now)
        # Access tokens of the family outlive it by at most their lifetime.
        until = now + timedelta(seconds=settings.OWM_JWT_ACCESS_TTL + 60)
        _revoked_add(key=revoked_key(family=family), expires_at=until, reason=reason)
    _audit(
        event="auth.token_revoked",
        actor=actor,
        ip=ip,
        detail={"family": family, "reason": reason},
    )


def token_jti_revoke(*, claims: dict[str, Any], reason: str = "revoked") -> None:
    """Revoke one token by its id until it would have expired anyway."""
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    _revoked_add(key=revoked_key(jti=str(claims["jti"])), expires_at=expires_at, reason=reason)


def token_logout(
    *, access_claims: dict[str, Any], refresh: str | None = None, actor: Any = None, ip: str = ""
) -> list[str]:
    """Revoke the session of an access token (and of `refresh`, when given and the
    same user's). Returns the revoked families."""
    families = {str(access_claims.get("fam") or "")}
    if refresh:
        claims = token_decode(refresh, typ="refresh")
        if str(claims["sub"]) != str(access_claims["sub"]):
            raise TokenError("the refresh token belongs to another user")
        families.add(str(claims.get("fam") or ""))
    families.discard("")
    if not families:  # a token from before families: revoke just the token
        token_jti_revoke(claims=access_claims, reason="logout")
    for family in sorted(families):
        token_family_revoke(family=family, reason="logout", actor=actor, ip=ip)
    return sorted(families)


def user_tokens_revoke(*, user: AbstractBaseUser, actor: Any = None, ip: str = "") -> None:
    """Sign `user` out everywhere: every token issued until now stops working."""
    now = timezone.now()
    with transaction.atomic():
        TokenCutoff.objects.update_or_create(user=user, defaults={"valid_after": now})
        RefreshToken.objects.filter(user=user, revoked_at=None).update(revoked_at=now)
    _audit(
        event="auth.tokens_revoked_all",
        actor=actor,
        ip=ip,
        detail={"username": user.get_username()},
    )


def revocations_prune(*, now: datetime | None = None) -> int:
    """Delete revocation rows and refresh tokens that can no longer matter."""
    now = now or timezone.now()
    revoked, _ = RevokedToken.objects.filter(expires_at__lt=now).delete()
    refresh, _ = RefreshToken.objects.filter(expires_at__lt=now).delete()
    return revoked + refresh


# --- Service accounts and API keys --------------------------------------------------


def service_account_create(
    *,
    username: str,
    roles: list[str],
    description: str = "",
    created_by: AbstractBaseUser | None = None,
    ip: str = "",
) -> ServiceAccount:
    """A user with no usable password whose groups are `roles` (role names)."""
    if get_user_model().objects.filter(username=username).exists():
        raise ValueError(f"a user named {username!r} already exists")
    groups = list(Group.objects.filter(name__in=roles))
    unknown = sorted(set(roles) - {group.name for group in groups})
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(unknown)}")
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=username, password=None)
        user.groups.set(groups)
        account = ServiceAccount.objects.create(
            user=user, description=description, created_by=created_by
        )
    _audit(
        event="auth.service_account_created",
        actor=created_by,
        ip=ip,
        detail={"username": username, "roles": sorted(roles)},
    )
    return account


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _unique_prefix() -> str:
    while True:
        prefix = secrets.token_hex(4)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            return prefix


def api_key_create(
    *,
    account: ServiceAccount,
    name: str,
    expires_at: datetime | None = None,
    created_by: AbstractBaseUser | None = None,
    ip: str = "",
) -> tuple[ApiKey, str]:
    """A new key and its plaintext `owm_<prefix>_<secret>`, which is never stored:
    show it once."""
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        account=account,
        name=name,
        prefix=_unique_prefix(),
        key_hash=_secret_hash(secret),
        expires_at=expires_at,
        created_by=created_by,
    )
    _audit(
        event="auth.api_key_created",
        actor=created_by,
        ip=ip,
        detail={
            "account": account.user.get_username(),
            "key_prefix": key.prefix,
            "name": name,
        },
    )
    return key, f"{API_KEY_PREFIX}_{key.prefix}_{secret}"


def api_key_revoke(*, key: ApiKey, actor: AbstractBaseUser | None = None, ip: str = "") -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        _audit(
            event="auth.api_key_revoked",
            actor=actor,
            ip=ip,
            detail={"account": key.account.user.get_username(), "key_prefix": key.prefix},
        )
    return key


def api_key_check(*, raw: str) -> ApiKey:
    """The usable key `raw` names (its account's user active); touches last_used_at."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 8:
        raise ApiKeyError("malformed API key")
    key = ApiKey.objects.select_related("account__user").filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _secret_hash(parts[2])):
        raise ApiKeyError("invalid API key")
    now = timezone.now()
    if not key.is_usable(now=now) or not key.account.user.is_active:
        raise ApiKeyError("API key revoked or expired")
    if key.last_used_at is None or now - key.last_used_at > timedelta(
        seconds=API_KEY_TOUCH_SECONDS
    ):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
