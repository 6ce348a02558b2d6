"""Workflow tests run the engine as Celery would (eager), or call its
functions directly with an injected clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from apps.tools.registry import ToolError

# A fixed instant after "now", so rows created with default=timezone.now are due.
T0 = (timezone.now() + dt.timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The inventory demo data once per module (a year of movements is slow)."""
    from apps.inventory.demo import seed_inventory
    from apps.inventory.models import Location, Product, PurchaseOrder, StockMovement, Supplier

    with django_db_blocker.unblock():
        seed_inventory()
    yield
    with django_db_blocker.unblock():
        PurchaseOrder.objects.all().delete()
        StockMovement.objects.all().delete()
        Supplier.objects.all().delete()
        Product.objects.all().delete()
        Location.objects.all().delete()


@pytest.fixture
def scenario(db, seeded):  # type: ignore[no-untyped-def]
    from tests.scenario import scenario_create

    return scenario_create(with_inventory=False)


@pytest.fixture
def flaky(temp_tool):  # type: ignore[no-untyped-def]
    """A tool that fails with `kind` until `state["fail"]` reaches zero."""
    state: dict[str, Any] = {"fail": 10**6, "kind": "flaky", "calls": 0}

    def func(ctx, **arguments):  # type: ignore[no-untyped-def]
        state["calls"] += 1
        if state["fail"] > 0:
            state["fail"] -= 1
            raise ToolError("temporarily broken", kind=state["kind"])
        return {"summary": "worked", "value": 7}

    temp_tool("flaky_tool", func, category="test")
    return state


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()
