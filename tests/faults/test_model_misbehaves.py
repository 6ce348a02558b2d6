"""A misbehaving model (through the scripted server and the real openai client)
ends every run in a clear, bounded outcome. The cases tests/agents already
covers (malformed arguments, endless tool calls, a tool not offered, stuck on
invalid arguments) are not repeated here."""

from __future__ import annotations

import json
import time

import pytest

from apps.agents.models import Agent, Run, RunEvent
from apps.agents.services import run_create, run_execute
from apps.tools.models import ToolCall
from tests.fakes.llm_server import ScriptedLLMServer

pytestmark = pytest.mark.django_db


def use_endpoint(settings, server: ScriptedLLMServer, *, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    settings.OWM_LLM_BASE_URL = server.base_url
    settings.OWM_LLM_API_KEY = "test-key"
    settings.OWM_LLM_MAX_RETRIES = 0
    settings.OWM_LLM_TIMEOUT = timeout
    settings.OWM_LLM_STREAM = False


def agent_with(*tool_names: str) -> Agent:
    return Agent.objects.create(
        slug="faults", name="Faults", system_prompt="You test faults.", tool_names=list(tool_names)
    )


def run_through(agent: Agent, user, text: str = "do the thing") -> Run:  # type: ignore[no-untyped-def]
    run = run_create(agent=agent, user=user, text=text)
    return run_execute(run_id=str(run.pk))


def test_an_unknown_tool_in_a_run_goes_back_to_the_model_as_an_error_and_the_run_goes_on(
    scenario, settings
):
    agent = Agent.objects.get(slug="inventory")
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        server.add_tool_calls([("drop_all_tables", {"really": True})])
        server.add_text("That tool does not exist; nothing was done.")
        run = run_through(agent, scenario.operator)
        tool_turn = server.chat_requests[1].body["messages"][-1]

    error = json.loads(tool_turn["content"])["error"]
    assert error["kind"] == "unknown_tool"
    assert "drop_all_tables" in error["message"] and "check_stock_levels" in error["message"]
    call = ToolCall.objects.get(run=run)
    assert call.status == ToolCall.Status.UNKNOWN
    assert run.status == "succeeded"
    assert run.final_answer == "That tool does not exist; nothing was done."


def test_a_huge_tool_output_in_a_run_reaches_the_model_truncated_but_is_stored_whole(
    scenario, settings, temp_tool
):
    settings.OWM_TOOL_RESULT_MAX_CHARS = 1000
    temp_tool("dump_everything", lambda ctx: {"summary": "a lot", "rows": ["x" * 100] * 500})
    agent = agent_with("dump_everything")
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server)
        server.add_tool_calls([("dump_everything", {})])
        server.add_text("Too much to show; narrowing down.")
        run = run_through(agent, scenario.operator)
        sent = server.chat_requests[1].body["messages"][-1]["content"]

    seen = json.loads(sent)
    assert seen["truncated"] is True
    assert seen["original_chars"] > 50_000
    assert len(seen["preview"]) == 1000
    assert len(sent) < 2000
    assert len(ToolCall.objects.get(run=run).result["rows"]) == 500  # the record keeps it all
    finished = RunEvent.objects.get(run=run, type="tool.finished")
    assert finished.data["result"]["truncated"] is True  # the live view is bounded too
    assert run.status == "succeeded"


def test_a_hung_endpoint_fails_the_run_within_the_client_timeout_with_a_clear_message(
    scenario, settings
):
    agent = Agent.objects.get(slug="inventory")
    with ScriptedLLMServer() as server:
        use_endpoint(settings, server, timeout=0.5)
        server.add_delay(30)
        started = time.monotonic()
        run = run_through(agent, scenario.operator)
        elapsed = time.monotonic() - started

    assert run.status == "failed"
    assert "did not answer within 0.5s" in run.error
    assert elapsed < 5
    finished = RunEvent.objects.get(run=run, type="run.finished")
    assert finished.data["status"] == "failed" and "did not answer" in finished.data["error"]
