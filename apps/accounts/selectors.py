"""Identity reads."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet

from apps.accounts.models import ApiKey, RefreshToken, ServiceAccount


def service_account_list() -> QuerySet[ServiceAccount]:
    """Every service account with its user, roles and keys (three queries)."""
    return (
        ServiceAccount.objects.select_related("user", "created_by")
        .prefetch_related("user__groups", Prefetch("keys", ApiKey.objects.order_by("-created_at")))
        .annotate(active_keys=Count("keys", filter=Q(keys__revoked_at=None)))
        .order_by("user__username")
    )


def service_account_get(*, pk: int) -> ServiceAccount | None:
    return service_account_list().filter(pk=pk).first()


def api_key_get(*, prefix: str) -> ApiKey | None:
    return ApiKey.objects.select_related("account__user").filter(prefix=prefix).first()


def user_by_username(*, username: str) -> AbstractBaseUser | None:
    return get_user_model().objects.filter(username=username).first()


def refresh_token_get(*, jti: str) -> RefreshToken | None:
    return RefreshToken.objects.filter(jti=jti).first()
