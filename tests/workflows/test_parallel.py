"""process_parallel_tasks honours max_workers (real threads, real commits)."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection

from apps.tools.models import ToolCall
from apps.tools.services import tool_run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator() -> User:
    user = User.objects.create_user("par", password="x")
    user.user_permissions.add(
        Permission.objects.get(codename="use_tools", content_type__app_label="tools")
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture(autouse=True)
def _sqlite_writes_one_at_a_time(monkeypatch):  # type: ignore[no-untyped-def]
    """SQLite's in-memory test database (shared cache) fails concurrent writers
    with "table is locked" instead of waiting, so on SQLite the worker threads
    take turns for the executor's bookkeeping; the tool bodies, which this
    test measures, still overlap. PostgreSQL runs unpatched."""
    if connection.vendor != "sqlite":
        return
    from apps.tools import services
    from apps.workflows import tools

    lock = threading.Lock()
    real_run, real_invoke = tools.tool_run, services._invoke

    def run(**kwargs):  # type: ignore[no-untyped-def]
        with lock:
            return real_run(**kwargs)

    def invoke(spec, context, arguments):  # type: ignore[no-untyped-def]
        if not threading.current_thread().name.startswith("owm-parallel"):
            return real_invoke(spec, context, arguments)
        lock.release()
        try:
            return real_invoke(spec, context, arguments)
        finally:
            lock.acquire()

    monkeypatch.setattr(tools, "tool_run", run)
    monkeypatch.setattr(services, "_invoke", invoke)


@pytest.fixture
def gauge(temp_tool):  # type: ignore[no-untyped-def]
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def func(ctx, *, n=0):  # type: ignore[no-untyped-def]
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.15)
        with lock:
            state["now"] -= 1
        return {"summary": f"task {n}", "value": n}

    temp_tool(
        "gauge_tool",
        func,
        parameters={"type": "object", "properties": {"n": {"type": "integer"}}},
        atomic=False,
    )
    return state


@pytest.mark.parametrize("workers", [1, 3])
def test_process_parallel_tasks_never_exceeds_max_workers(operator, gauge, workers):
    tasks = [
        {"task_id": f"t{i}", "task_type": "gauge_tool", "parameters": {"n": i}} for i in range(7)
    ]
    outcome = tool_run(
        actor=operator,
        name="process_parallel_tasks",
        source="agent",
        arguments={"tasks": tasks, "max_workers": workers},
    )
    assert outcome.ok, outcome.result
    assert gauge["max"] == workers
    assert outcome.result["succeeded"] == 7
    assert [r["result"]["value"] for r in outcome.result["results"]] == list(range(7))
    assert ToolCall.objects.filter(tool_name="gauge_tool").count() == 7


def test_a_failed_task_does_not_stop_the_others(operator, gauge):
    tasks = [
        {"task_id": "ok", "task_type": "gauge_tool", "parameters": {"n": 1}},
        {"task_id": "bad", "task_type": "no_such_tool", "parameters": {}},
    ]
    outcome = tool_run(
        actor=operator, name="process_parallel_tasks", source="agent", arguments={"tasks": tasks}
    )
    assert outcome.result["succeeded"] == 1 and outcome.result["failed"] == 1
    assert outcome.result["results"][1]["status"] == "unknown_tool"
