"""The built-in roles (Django groups) and the permissions they start with.

Deny by default: a user in no role may log in and look, but runs no tool."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "admin": ["tools.use_tools", "tools.decide_approval"],
    "manager": ["tools.use_tools", "tools.decide_approval"],
    "operator": ["tools.use_tools"],
    "viewer": [],
}


def roles_ensure(**_: Any) -> None:
    """Create the roles and give them their permissions (runs after migrate)."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                group.permissions.add(permission)
