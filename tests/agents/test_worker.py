"""The same task code on a real Celery worker: the in-process worker thread of
the embedded mode (memory broker), or Redis when REDIS_URL is set."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from celery import shared_task
from django.db import OperationalError

from apps.agents.models import Agent, Run
from apps.agents.services import run_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def real_worker(settings):  # type: ignore[no-untyped-def]
    from apps.core import embedded
    from owm.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OWM_EMBEDDED_WORKER = True
    settings.OWM_EMBEDDED_WORKER_IN_TESTS = True
    app.conf.task_always_eager = False
    assert embedded.start_embedded_worker() is True
    yield
    embedded.stop_embedded_worker()  # else its threads keep pytest alive at exit
    app.conf.task_always_eager = True


def test_a_queued_run_is_executed_by_a_real_worker(scenario, real_worker):
    agent, _ = Agent.objects.get_or_create(
        slug="inventory",
        defaults={
            "name": "Inventory agent",
            "system_prompt": "Use the tools.",
            "tool_names": ["check_stock_levels"],
        },
    )
    run = run_create(agent=agent, user=scenario.operator, text="check stock levels for SKU-1001")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            run.refresh_from_db()
        except OperationalError:  # SQLite's shared in-memory test db: the worker is writing
            time.sleep(0.05)
            continue
        if run.is_finished:
            break
        time.sleep(0.1)
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert run.tool_calls.get().tool_name == "check_stock_levels"


_beats: list[float] = []


@shared_task(name="tests.agents.beat_probe")
def beat_probe() -> None:
    _beats.append(time.monotonic())


def test_the_embedded_mode_runs_its_schedules_in_the_same_process(settings):  # type: ignore[no-untyped-def]
    """Beat runs as a thread beside the worker: a forked beat process would send
    due tasks to its own in-memory broker, where no worker ever reads them."""
    from apps.core import embedded
    from owm.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OWM_EMBEDDED_WORKER = True
    settings.OWM_EMBEDDED_WORKER_IN_TESTS = True
    app.conf.task_always_eager = False
    schedule = app.conf.beat_schedule
    app.conf.beat_schedule = {"probe": {"task": "tests.agents.beat_probe", "schedule": 0.5}}
    _beats.clear()
    try:
        assert embedded.start_embedded_worker() is True
        assert multiprocessing.active_children() == []
        deadline = time.monotonic() + 20
        while len(_beats) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        embedded.stop_embedded_worker()
        app.conf.beat_schedule = schedule
        app.conf.task_always_eager = True
    assert len(_beats) >= 2
