"""Demo users and a demo service account. Their passwords are documented in the
README and only ever created by the demo command, never in production settings.
The service account gets no key: keys are shown once, so make one on the
Service accounts page."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

DEMO_USERS = [
    # username, password, role, is_superuser
    ("admin", "owm-admin-demo", "admin", True),
    ("operator", "owm-operator-demo", "operator", False),
    ("viewer", "owm-viewer-demo", "viewer", False),
]
DEMO_SERVICE_ACCOUNT = ("reporting-bot", "viewer", "Reads runs and stock for the BI export.")


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
    return {"users_created": created, "service_accounts_created": _service_account_seed()}


def _service_account_seed() -> list[str]:
    username, role, description = DEMO_SERVICE_ACCOUNT
    if get_user_model().objects.filter(username=username).exists():
        return []
    from apps.accounts.services import service_account_create

    admin = get_user_model().objects.filter(username="admin").first()
    service_account_create(
        username=username, roles=[role], description=description, created_by=admin
    )
    return [username]
