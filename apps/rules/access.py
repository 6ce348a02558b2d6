"""Who may do what with rules."""

from __future__ import annotations

from typing import Any

MANAGING_GROUPS = ("admin", "manager")


def may_manage_rules(user: Any) -> bool:
    """Change rules (they act as the service account): staff, admins, managers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return user.groups.filter(name__in=MANAGING_GROUPS).exists()


def may_push_metrics(user: Any) -> bool:
    """Push metrics and trigger evaluations: anyone who may use tools."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm("tools.use_tools")
