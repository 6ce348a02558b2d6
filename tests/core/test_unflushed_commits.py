"""Bookkeeping transactions on PostgreSQL do not wait for the WAL flush;
everything else still does (synchronous_commit stays on by default)."""

from __future__ import annotations

import pytest
from django.db import connection, connections, transaction

from apps.core.db import commit_unflushed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's setting"),
]


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_only_the_bookkeeping_transaction_commits_unflushed():
    assert synchronous_commit() == "on"
    with transaction.atomic():
        commit_unflushed()
        assert synchronous_commit() == "off"
    assert synchronous_commit() == "on"  # the next transaction waits for its flush again
    with transaction.atomic():
        assert synchronous_commit() == "on"


def test_a_run_and_a_tool_call_commit_their_bookkeeping_unflushed(scenario, settings, monkeypatch):
    from apps.agents import services
    from apps.agents.models import Agent
    from apps.agents.services import run_create, run_execute
    from tests.fakes.llm_server import ScriptedLLMServer

    seen: list[bool] = []
    wrapper = type(connections["default"])
    real_commit = wrapper._commit

    def noting_commit(self) -> None:  # type: ignore[no-untyped-def]
        if self is connections["default"]:  # not the tool thread's connection
            with self.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                seen.append(cursor.fetchone()[0] == "off")
        real_commit(self)

    settings.OWM_LLM_STREAM = False
    settings.OWM_LLM_MAX_RETRIES = 0
    agent = Agent.objects.create(
        slug="unflushed", name="Unflushed", system_prompt="-", tool_names=["check_stock_levels"]
    )
    with ScriptedLLMServer() as server:
        settings.OWM_LLM_BASE_URL = server.base_url
        settings.OWM_LLM_API_KEY = "test-key"
        server.add_tool_calls([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        server.add_text("SKU-1001: 18 units.")
        monkeypatch.setattr(services, "_enqueue", lambda run_id: None)  # run it here
        run = run_create(agent=agent, user=scenario.operator, text="check SKU-1001")
        monkeypatch.setattr(wrapper, "_commit", noting_commit)
        run = run_execute(run_id=str(run.pk))
    assert run.status == "succeeded", run.error
    # claim, turn 1 and the tool call's open record: unflushed; then the tool's
    # own writes (on this connection when tools run inline) and the call's
    # result with its audit entry wait for the flush; turn 2 does not; the
    # run's finish does.
    assert seen[:3] == [True, True, True]
    assert seen[3:-2] in ([False], [False, False])
    assert seen[-2:] == [True, False]
