"""Customer-service fixtures: the shared scenario plus the support demo data
(customers, categories, articles, inquiries, tickets, the support group)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from apps.tools.services import ToolOutcome, tool_run


@pytest.fixture
def support(db):  # type: ignore[no-untyped-def]
    """The shared scenario's users (without the inventory data, which these
    tests never read) and the support demo data, alice and bob in the support group."""
    from apps.customerservice.demo import seed_customer_service
    from tests.scenario import scenario_create

    scenario = scenario_create(with_inventory=False)
    seed_customer_service()
    group = Group.objects.get(name="support")
    group.user_set.add(scenario.operator, scenario.other_operator)
    return scenario


@pytest.fixture
def call(support):  # type: ignore[no-untyped-def]
    def run(name: str, arguments: Any, *, actor: User | None = None, **kwargs: Any) -> ToolOutcome:
        user = actor or support.operator
        return tool_run(actor=user, name=name, arguments=arguments, source="api", **kwargs)

    return run
