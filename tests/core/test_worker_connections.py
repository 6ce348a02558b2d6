"""A Celery worker keeps its database connection from one task to the next
(Celery's Django fixup closed it around every task: a new PostgreSQL backend
per run), and still drops one that errored or outlived CONN_MAX_AGE."""

from __future__ import annotations

import time

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from owm.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


class Task:
    class request:  # the shape of a Celery task's request
        is_eager = False


class EagerTask:
    class request:
        is_eager = True


def a_task_runs(sender: object | None = None) -> None:
    """What a worker process does around one task: Celery's fixup, then ours."""
    fixup = DjangoWorkerFixup(app)
    sender = sender or Task()
    fixup.on_task_prerun(sender=sender)
    task_prerun.send(sender=sender)
    connection.ensure_connection()  # the task's work
    fixup.on_task_postrun(sender=sender)
    task_postrun.send(sender=sender)


def test_a_healthy_connection_outlives_the_task():
    connection.ensure_connection()
    connection.close_at = None  # persistent (CONN_MAX_AGE = None)
    before = connection.connection
    a_task_runs()
    a_task_runs()
    assert connection.connection is before


needs_a_closable_database = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="Django never closes the in-memory test database"
)


@needs_a_closable_database
def test_an_expired_connection_is_replaced_around_a_task():
    connection.ensure_connection()
    before = connection.connection
    connection.close_at = time.monotonic() - 1  # past CONN_MAX_AGE
    a_task_runs()
    assert connection.connection is not before


@needs_a_closable_database
def test_a_connection_that_errored_is_replaced_around_a_task(monkeypatch):
    connection.ensure_connection()
    before = connection.connection
    connection.close_at = None
    connection.errors_occurred = True
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    a_task_runs()
    assert connection.connection is not before


def _dropped_by_the_server(pid: int) -> None:
    """What a PostgreSQL restart does to a kept connection, from another one."""
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.02)
    finally:
        other.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server that drops connections")
def test_a_connection_the_server_dropped_is_replaced_before_the_next_task_queries():
    connection.ensure_connection()
    connection.close_at = None  # kept: nothing else would replace it
    _dropped_by_the_server(connection.connection.info.backend_pid)
    a_task_runs()
    with connection.cursor() as cursor:  # the task's first query
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@needs_a_closable_database
def test_an_eager_task_leaves_its_callers_connection_and_transaction_alone():
    from django.db import transaction

    with transaction.atomic():  # a caller (a request, a test) inside a transaction
        before = connection.connection
        a_task_runs(EagerTask())
        assert connection.connection is before
        assert connection.in_atomic_block and not connection.needs_rollback
