"""run_event_publish: numbered per run, stored before it is broadcast, and the
event it returns is the stored row (PostgreSQL numbers and inserts in one
statement, SQLite in two: both must agree)."""

from __future__ import annotations

import pytest
from django.db import transaction

from apps.agents.events import run_event_publish
from apps.agents.models import Agent, Run, RunEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(scenario) -> Run:  # type: ignore[no-untyped-def]
    agent = Agent.objects.create(slug="events-test", name="Events", system_prompt="-")
    return Run.objects.create(agent=agent, user=scenario.operator, input="hi")


def test_events_are_numbered_per_run_and_returned_as_stored(run):
    data = {"text": "héllo", "nested": {"n": [1, 2.5, None, True]}}
    first = run_event_publish(run=run, event_type="tool.started", data=data)
    second = run_event_publish(run=run, event_type="tool.finished", data={})
    assert (first.seq, second.seq) == (1, 2)
    stored = RunEvent.objects.get(pk=first.pk)
    assert (stored.run_id, stored.seq, stored.type, stored.data) == (
        run.pk,
        1,
        "tool.started",
        data,
    )
    assert stored.created_at == first.created_at
    assert first.as_payload() == stored.as_payload()
    assert Run.objects.get(pk=run.pk).last_seq == 2


def test_a_rolled_back_event_gives_its_number_back(run):
    with pytest.raises(RuntimeError), transaction.atomic():
        run_event_publish(run=run, event_type="tool.started", data={})
        raise RuntimeError("the caller's work failed")
    assert not RunEvent.objects.filter(run=run).exists()
    assert run_event_publish(run=run, event_type="tool.started", data={}).seq == 1


def test_an_event_for_a_missing_run_is_refused(run):
    gone = Run(pk="00000000-0000-0000-0000-000000000000")
    with pytest.raises(Run.DoesNotExist):
        run_event_publish(run=gone, event_type="tool.started", data={})
