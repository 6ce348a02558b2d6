"""PostgreSQL (or any database) gone: the API answers 503 with a JSON message,
the dashboard a plain 503 page, never a 500 with a traceback. The outage is
simulated by making every query raise OperationalError, as psycopg does when
the server is unreachable."""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

pytestmark = pytest.mark.django_db

MIDDLEWARE = "apps.core.db_unavailable.DatabaseUnavailableMiddleware"


@pytest.fixture(autouse=True)
def _with_the_middleware(settings):  # type: ignore[no-untyped-def]
    if MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]


@contextmanager
def database_down(error: type[Exception] = OperationalError):  # type: ignore[no-untyped-def]
    reason = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    with (
        mock.patch.object(CursorWrapper, "execute", side_effect=error(reason)),
        mock.patch.object(CursorWrapper, "executemany", side_effect=error(reason)),
    ):
        yield


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_the_api_answers_503_with_a_json_message_when_the_database_is_down(scenario):
    client = logged_in(scenario.operator)
    with database_down():
        response = client.get("/api/runs/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "10"
    error = response.json()["error"]
    assert error["kind"] == "database_unavailable"
    assert "database is unavailable" in error["message"]
    assert "5432" not in error["message"]  # no connection details leak to clients


def test_an_interface_error_counts_as_unavailable_too(scenario):
    client = logged_in(scenario.operator)
    with database_down(InterfaceError):
        response = client.post("/api/runs/", {"agent": "inventory", "input": "hi"})
    assert response.status_code == 503
    assert response.json()["error"]["kind"] == "database_unavailable"


def test_the_dashboard_shows_a_plain_503_page_when_the_database_is_down(scenario):
    client = logged_in(scenario.operator)
    with database_down():
        response = client.get("/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert b"Temporarily unavailable" in response.content
    assert b"<script" not in response.content and b"style=" not in response.content


def test_other_errors_are_left_to_the_usual_500_handling(scenario):
    client = logged_in(scenario.operator)
    with mock.patch.object(CursorWrapper, "execute", side_effect=RuntimeError("a bug")):
        response = client.get("/api/runs/")
    assert response.status_code == 500
