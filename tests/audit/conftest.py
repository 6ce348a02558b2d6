from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection

from apps.audit.services import auditor_group_ensure
from apps.audit.triggers import triggers_install

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


@pytest.fixture(autouse=True)
def _fresh_verify_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def scenario(db):  # type: ignore[no-untyped-def]
    """The shared scenario's users, without the inventory data (not needed here)."""
    from tests.scenario import scenario_create

    return scenario_create(with_inventory=False)


@pytest.fixture
def auditor(scenario) -> User:  # type: ignore[no-untyped-def]
    user = User.objects.create_user(username="audrey", password="audrey-pass")
    user.groups.add(auditor_group_ensure())
    return user


@contextmanager
def triggers_disabled() -> Iterator[None]:
    """What an attacker with database access does first (inside the test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_entry_no_update")
            cursor.execute("DROP TRIGGER audit_entry_no_delete")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only"
                )
        else:
            triggers_install(connection)
