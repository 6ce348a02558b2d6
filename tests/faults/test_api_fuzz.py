"""Fuzz every API operation from the OpenAPI schema (schemathesis, against the
WSGI app in-process) as a logged-in operator: no 5xx, and every response
matches its documented schema. It takes minutes on 2 cores (61 operations),
so it runs when OWM_FUZZ=1 or CI=true, on SQLite and PostgreSQL alike;
OWM_FUZZ_EXAMPLES (default 3) sets the examples per operation.

The schema is loaded by a fixture, inside the test's database setup, not at
import (collection), where it cost seconds even when the fuzz was skipped and
ran against the real database. Each case runs in a savepoint that is rolled
back, so no case sees another's writes (nor a failed statement's aborted
transaction, on PostgreSQL)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from owm.wsgi import application

ENABLED = os.environ.get("OWM_FUZZ") == "1" or os.environ.get("CI", "").lower() == "true"
EXAMPLES = int(os.environ.get("OWM_FUZZ_EXAMPLES", "3"))

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():  # type: ignore[no-untyped-def]
    """The WSGI app closes old connections around each request; inside a test
    transaction that would close the test's own connection (on PostgreSQL; an
    in-memory SQLite database ignores it). Django's test client does the same
    for its requests, and connects the handlers again after each: so nothing
    here goes through it."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(scenario) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An access token for operator alice, as POST /api/auth/token issues it."""
    from apps.accounts.tokens import token_pair_issue

    access = token_pair_issue(user=scenario.operator).access
    return {"Authorization": f"Bearer {access}", "Host": "localhost"}


@pytest.fixture
def api_schema(db, request):  # type: ignore[no-untyped-def]
    # schemathesis 4.32's lazy schema renames the test node per operation through
    # `node._nodeid`, which pytest 9.2 no longer has (it keeps `_id`): give it one.
    request.node._nodeid = request.node.nodeid
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


def check_case(case, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )
        transaction.set_rollback(True)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.skipif(not ENABLED, reason="API fuzzing runs with OWM_FUZZ=1 or CI=true")
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_answers_5xx_and_keeps_its_schema(case, bearer):  # type: ignore[no-untyped-def]
    check_case(case, bearer)
