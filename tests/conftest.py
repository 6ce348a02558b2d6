"""Shared test setup: tools run inline (inside the test's transaction) and
Celery tasks run eagerly unless a test starts a real worker."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _owm_test_settings(settings):  # type: ignore[no-untyped-def]
    settings.OWM_TOOL_ISOLATION = "inline"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.OWM_LLM_BASE_URL = None
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    # Most suites test their feature under the plain permission policy; tests/rbac
    # (and the tests that say so) run under the roles x tools grants.
    settings.OWM_TOOL_POLICY = None
    from django.core.cache import cache

    cache.clear()  # throttles and circuit breakers must not leak between tests
    from owm.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Seed the slow demo data once per session; every test rolls its changes
    back. Transactional tests flush it, and `scenario` seeds again when needed."""
    from apps.accounts.roles import roles_ensure
    from apps.inventory.demo import seed_inventory

    with django_db_blocker.unblock():
        roles_ensure()
        seed_inventory()


@pytest.fixture
def scenario(db):  # type: ignore[no-untyped-def]
    from tests.scenario import scenario_create

    return scenario_create()


@pytest.fixture
def temp_tool():  # type: ignore[no-untyped-def]
    """Register throwaway tools for one test, then remove them."""
    from apps.tools.registry import ToolSpec, registry

    added: list[str] = []

    def register(name, func, parameters=None, **kwargs):  # type: ignore[no-untyped-def]
        spec = ToolSpec(
            name=name,
            description=kwargs.pop("description", f"test tool {name}"),
            parameters=parameters or {"type": "object", "properties": {}},
            func=func,
            **kwargs,
        )
        registry.register(spec)
        added.append(name)
        return spec

    yield register
    for name in added:
        registry._tools.pop(name, None)
