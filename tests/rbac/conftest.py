"""RBAC tests run with the RBAC policy switched on, over the shared scenario."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from apps.rbac.models import Grant
from apps.rbac.services import grant_set
from apps.tools.services import ToolOutcome, tool_run


def _clear_policy_cache() -> None:
    from apps.tools import policy

    for name in ("_policy", "_load"):
        cached = getattr(policy, name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()


@pytest.fixture(autouse=True)
def rbac_on(settings):  # type: ignore[no-untyped-def]
    settings.OWM_TOOL_POLICY = "apps.rbac.policy.rbac_policy"
    _clear_policy_cache()
    yield
    _clear_policy_cache()


@pytest.fixture
def grant():  # type: ignore[no-untyped-def]
    """Give `role` a tool grant (creating the role if needed); decision "" removes it."""

    def give(role: str, tool: str, decision: str, limits: Any = None) -> Grant | None:
        group, _ = Group.objects.get_or_create(name=role)
        return grant_set(role=group, tool_name=tool, decision=decision, limits=limits, actor=None)

    return give


@pytest.fixture
def call():  # type: ignore[no-untyped-def]
    def run(user: Any, name: str, arguments: Any) -> ToolOutcome:
        return tool_run(actor=user, name=name, arguments=arguments, source="api")

    return run


@pytest.fixture
def scenario(db):  # type: ignore[no-untyped-def]
    """The shared people without the inventory demo data (tests that run
    inventory tools ask for `stocked_scenario`)."""
    from tests.scenario import scenario_create

    return scenario_create(with_inventory=False)


@pytest.fixture
def stocked_scenario(db):  # type: ignore[no-untyped-def]
    from tests.scenario import scenario_create

    return scenario_create()
