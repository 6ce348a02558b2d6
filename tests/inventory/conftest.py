"""The inventory scenario: an operator allowed to use tools, over the demo data.

The demo data is seeded once per module (it is a year of movements) and
removed afterwards; each test still runs in its own rolled-back transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User

from apps.inventory.demo import seed_inventory
from apps.inventory.models import (
    Location,
    Product,
    PurchaseOrder,
    StockMovement,
    Supplier,
)
from apps.tools.services import ToolOutcome, tool_run


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        summary = seed_inventory()
    yield summary
    with django_db_blocker.unblock():
        PurchaseOrder.objects.all().delete()  # lines cascade; suppliers are protected until now
        StockMovement.objects.all().delete()
        Supplier.objects.all().delete()  # prices cascade
        Product.objects.all().delete()  # stock levels cascade
        Location.objects.all().delete()


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
