"""Fuzz every API operation from the OpenAPI schema (schemathesis, against the
WSGI app in-process) as a logged-in operator: no 5xx, and every response
matches its documented schema. It takes minutes on 2 cores (61 operations),
so it runs when OWM_FUZZ=1 or CI=true; OWM_FUZZ_EXAMPLES (default 3) sets the
examples per operation. The schema loads lazily: skipped, it costs nothing."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from owm.wsgi import application

# CI fuzzes in its SQLite pass: on PostgreSQL the schema load at collection time
# leaves a persistent connection that the test database setup has closed.
ENABLED = os.environ.get("OWM_FUZZ") == "1" or (
    os.environ.get("CI", "").lower() == "true" and not os.environ.get("DATABASE_URL")
)
EXAMPLES = int(os.environ.get("OWM_FUZZ_EXAMPLES", "3"))

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():  # type: ignore[no-untyped-def]
    """The WSGI app closes old connections after each request; inside a test
    transaction that would close the test's own connection (Django's test
    client disconnects the same handlers)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(scenario, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/auth/token", {"username": "alice", "password": "alice-pass"}, HTTP_HOST="localhost"
    )
    assert response.status_code == 200, response.content
    return {"Authorization": f"Bearer {response.json()['access']}", "Host": "localhost"}


def check_case(case, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(
        headers=headers, checks=[not_a_server_error, response_schema_conformance]
    )


if ENABLED:  # building the schema costs seconds: only when the fuzz runs
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

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

else:

    @pytest.mark.skip(reason="API fuzzing runs with OWM_FUZZ=1, or CI=true on SQLite")
    def test_the_api_never_answers_5xx_and_keeps_its_schema() -> None:
        pass
