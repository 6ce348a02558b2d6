"""The inventory scenario: an operator allowed to use tools, over the demo data.

The demo data is seeded once per session (it is a year of movements); each
test still runs in its own rolled-back transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User

from apps.inventory.demo import seed_inventory
from apps.tools.services import ToolOutcome, tool_run


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    """The demo data, seeded once per test session (see tests/conftest.py)."""
    with django_db_blocker.unblock():
        return seed_inventory()


@pytest.fixture
def operator(db: Any, settings: Any) -> User:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher"
    ]  # fast, tests only
    user = User.objects.create_user("op", password="x")
    permission = Permission.objects.get(codename="use_tools", content_type__app_label="tools")
    user.user_permissions.add(permission)
    return User.objects.get(pk=user.pk)  # fresh instance: no stale permission cache


@pytest.fixture
def call(operator: User, seeded: dict[str, Any]):  # type: ignore[no-untyped-def]
    def run(name: str, arguments: Any, **kwargs: Any) -> ToolOutcome:
        return tool_run(actor=operator, name=name, arguments=arguments, source="api", **kwargs)

    return run
