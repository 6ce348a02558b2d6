"""Runs whose queue message was lost are queued again, once no worker holds
them; a second delivery of a run that a worker is executing is dropped."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.agents import tasks
from apps.agents.events import run_event_publish
from apps.agents.models import Agent, Run, RunEvent
from apps.agents.recovery import run_claim, run_is_held, runs_requeue_stale

pytestmark = pytest.mark.django_db(transaction=True)


def make_run(user, *, quiet_s: float, status: str = Run.Status.QUEUED) -> Run:  # type: ignore[no-untyped-def]
    agent, _ = Agent.objects.get_or_create(
        slug="recovery-test", defaults={"name": "Recovery", "system_prompt": "-"}
    )
    run = Run.objects.create(agent=agent, user=user, input="hi", status=status)
    run_event_publish(run=run, event_type="run.queued", data={})
    then = timezone.now() - timedelta(seconds=quiet_s)
    Run.objects.filter(pk=run.pk).update(created_at=then)
    RunEvent.objects.filter(run=run).update(created_at=then)
    return run


@contextmanager
def held_elsewhere(run_id: object) -> Iterator[None]:
    """Hold the run's lock from another thread (its own database connection),
    as a worker executing the run would."""
    taken, release = threading.Event(), threading.Event()

    def worker() -> None:
        try:
            with run_claim(run_id) as claimed:
                assert claimed
                taken.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(10)


@pytest.fixture
def enqueued(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    sent: list[str] = []
    monkeypatch.setattr(tasks.run_agent, "delay", sent.append)
    return sent


def test_a_quiet_queued_run_that_no_worker_holds_is_queued_again(scenario, enqueued):
    run = make_run(scenario.operator, quiet_s=300)
    assert runs_requeue_stale(stale_after_s=120) == 1
    assert enqueued == [str(run.pk)]
    event = RunEvent.objects.filter(run=run).order_by("-seq").first()
    assert event.type == "run.requeued"
    assert event.data["quiet_seconds"] >= 300


def test_a_requeued_run_waits_another_quiet_period_before_the_next_requeue(scenario, enqueued):
    make_run(scenario.operator, quiet_s=300)
    assert runs_requeue_stale(stale_after_s=120) == 1
    assert runs_requeue_stale(stale_after_s=120) == 0  # its run.requeued event is recent
    assert len(enqueued) == 1


def test_a_running_run_whose_worker_died_is_queued_again(scenario, enqueued):
    run = make_run(scenario.operator, quiet_s=300, status=Run.Status.RUNNING)
    assert runs_requeue_stale(stale_after_s=120) == 1
    assert enqueued == [str(run.pk)]


def test_a_run_a_worker_is_executing_is_left_alone_however_quiet(scenario, enqueued):
    run = make_run(scenario.operator, quiet_s=3600, status=Run.Status.RUNNING)
    with held_elsewhere(run.pk):
        assert run_is_held(run.pk)
        assert runs_requeue_stale(stale_after_s=120) == 0
    assert enqueued == []
    assert not run_is_held(run.pk)


def test_recent_and_finished_runs_are_left_alone(scenario, enqueued):
    make_run(scenario.operator, quiet_s=10)
    make_run(scenario.operator, quiet_s=3600, status=Run.Status.SUCCEEDED)
    make_run(scenario.operator, quiet_s=3600, status=Run.Status.WAITING_APPROVAL)
    assert runs_requeue_stale(stale_after_s=120) == 0
    assert enqueued == []


def test_a_second_delivery_of_a_run_being_executed_is_dropped(scenario, monkeypatch):
    executed: list[str] = []
    monkeypatch.setattr(tasks, "run_execute", lambda *, run_id: executed.append(run_id))
    run = make_run(scenario.operator, quiet_s=0, status=Run.Status.RUNNING)
    with held_elsewhere(run.pk):
        tasks.run_agent(str(run.pk))
    assert executed == []
    tasks.run_agent(str(run.pk))
    assert executed == [str(run.pk)]
    assert not run_is_held(run.pk)  # the delivery released its lock


def test_the_lock_is_released_when_the_run_crashes(scenario, monkeypatch):
    def crash(*, run_id: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks, "run_execute", crash)
    run = make_run(scenario.operator, quiet_s=0)
    with pytest.raises(RuntimeError):
        tasks.run_agent(str(run.pk))
    assert not run_is_held(run.pk)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL sees every worker")
def test_without_postgresql_a_multi_process_deployment_requeues_nothing(
    scenario, enqueued, settings
):
    settings.EMBEDDED = False  # workers in other processes: their locks are invisible here
    make_run(scenario.operator, quiet_s=3600)
    assert runs_requeue_stale(stale_after_s=120) == 0
    assert enqueued == []


def test_a_run_stopped_by_a_database_error_is_tried_again_with_backoff(monkeypatch):
    """Not after the stale-run re-queue's quiet period (minutes): after 1, 2,
    4 ... 60 s; once the retries are spent, the re-queue is the safety net."""
    from celery.exceptions import Retry
    from django.db import OperationalError

    @contextmanager
    def claimed(run_id: object) -> Iterator[bool]:
        yield True

    def database_gone(**kwargs: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    countdowns: list[int] = []

    def retry(**kwargs):  # type: ignore[no-untyped-def]
        countdowns.append(kwargs["countdown"])
        return Retry()

    monkeypatch.setattr(tasks, "run_claim", claimed)
    monkeypatch.setattr(tasks, "run_execute", database_gone)
    monkeypatch.setattr(tasks.run_agent, "retry", retry)

    def deliver(retries: int) -> None:
        tasks.run_agent.push_request(retries=retries, is_eager=False)
        try:
            tasks.run_agent.run("a-run-id")
        finally:
            tasks.run_agent.pop_request()

    for retries in (0, 1, 3, 9):
        with pytest.raises(Retry):
            deliver(retries)
    assert countdowns == [1, 2, 8, 60]
    with pytest.raises(OperationalError):  # spent: left to the stale-run re-queue
        deliver(tasks.DATABASE_RETRIES)
    assert len(countdowns) == 4


def abandoned(run: Run, times: int, *, status: str = Run.Status.RUNNING) -> None:
    """`times` earlier re-queues of the run while it had `status`, long ago."""
    for _ in range(times):
        run_event_publish(run=run, event_type="run.requeued", data={"status": status})
    then = timezone.now() - timedelta(seconds=600)
    RunEvent.objects.filter(run=run).update(created_at=then)


def test_a_running_run_abandoned_too_often_is_failed_instead_of_queued_again(
    scenario, enqueued, settings
):
    from apps.tools.models import ToolCall

    settings.OWM_RUN_MAX_REQUEUES = 3
    run = make_run(scenario.operator, quiet_s=600, status=Run.Status.RUNNING)
    call = ToolCall.objects.create(
        tool_name="check_stock_levels", source="agent", run=run, tool_call_id="c1",
        arguments={}, actor=scenario.operator,
    )  # fmt: skip
    abandoned(run, 3)

    assert runs_requeue_stale(stale_after_s=120) == 0
    assert enqueued == []
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED
    assert "abandoned 3 times" in run.error
    assert run.finished_at is not None
    finished = RunEvent.objects.get(run=run, type="run.finished")
    assert finished.data["status"] == "failed"
    call.refresh_from_db()  # no record stays running
    assert (call.status, call.error_kind) == (ToolCall.Status.FAILED, "interrupted")
    assert "given up" in call.error


def test_fewer_abandonments_or_requeues_while_waiting_in_the_queue_do_not_count(
    scenario, enqueued, settings
):
    settings.OWM_RUN_MAX_REQUEUES = 3
    running = make_run(scenario.operator, quiet_s=600, status=Run.Status.RUNNING)
    abandoned(running, 2)
    backlogged = make_run(scenario.operator, quiet_s=600, status=Run.Status.QUEUED)
    abandoned(backlogged, 5, status=Run.Status.QUEUED)

    assert runs_requeue_stale(stale_after_s=120) == 2
    assert sorted(enqueued) == sorted([str(running.pk), str(backlogged.pk)])
    assert not Run.objects.filter(status=Run.Status.FAILED).exists()


def test_a_run_a_worker_holds_is_neither_failed_nor_queued_again(scenario, enqueued, settings):
    settings.OWM_RUN_MAX_REQUEUES = 1
    run = make_run(scenario.operator, quiet_s=600, status=Run.Status.RUNNING)
    abandoned(run, 4)
    with held_elsewhere(run.pk):
        assert runs_requeue_stale(stale_after_s=120) == 0
    assert enqueued == []
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING
