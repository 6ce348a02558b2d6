"""Who may see which dashboard page: small helpers that raise on denial."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied


def is_manager(user: AbstractBaseUser) -> bool:
    """Staff, or a member of the manager or admin role."""
    if user.is_staff:
        return True
    return user.groups.filter(name__in=("manager", "admin")).exists()  # type: ignore[attr-defined]


def check_staff(user: AbstractBaseUser, what: str) -> None:
    if not user.is_staff:
        raise PermissionDenied(f"Only staff see {what}.")


def check_manager(user: AbstractBaseUser, what: str) -> None:
    if not is_manager(user):
        raise PermissionDenied(f"Only managers and staff {what}.")
