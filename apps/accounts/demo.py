"""Demo users. Their passwords are documented in the README and only ever
created by the demo command, never in production settings."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

DEMO_USERS = [
    # username, password, role, is_superuser
    ("admin", "owm-admin-demo", "admin", True),
    ("operator", "owm-operator-demo", "operator", False),
    ("viewer", "owm-viewer-demo", "viewer", False),
]


def seed() -> dict[str, list[str]]:
    User = get_user_model()
    created = []
    for username, password, role, superuser in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        user = User.objects.create_user(
            username=username,
            password=password,
            email=f"{username}@owm.example",
            is_staff=superuser,
            is_superuser=superuser,
        )
        user.groups.add(Group.objects.get(name=role))
        created.append(username)
    return {"users_created": created}
