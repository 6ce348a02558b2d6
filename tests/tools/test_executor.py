"""tool_run: the one door every tool call goes through."""

from __future__ import annotations

import time

import pytest

from apps.tools.models import ToolCall, ToolDailyStats
from apps.tools.registry import ToolError
from apps.tools.services import tool_run

pytestmark = pytest.mark.django_db

ECHO_SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer", "minimum": 1}},
    "required": ["n"],
    "additionalProperties": False,
}


def echo(ctx, *, n):  # type: ignore[no-untyped-def]
    return {"n": n, "actor": ctx.actor.username}


def test_a_valid_call_runs_and_is_recorded(scenario, temp_tool):
    temp_tool("echo_n", echo, ECHO_SCHEMA)
    outcome = tool_run(actor=scenario.operator, name="echo_n", arguments='{"n": 2}', source="api")
    assert outcome.ok
    assert outcome.result == {"n": 2, "actor": "alice"}
    call = ToolCall.objects.get(pk=outcome.call.pk)
    assert call.status == "succeeded" and call.arguments == {"n": 2}
    assert call.duration_ms is not None and call.finished_at is not None
    stats = ToolDailyStats.objects.get(tool_name="echo_n")
    assert (stats.calls, stats.successes, stats.errors) == (1, 1, 0)


def test_invalid_arguments_are_rejected_with_the_schema_reason(scenario, temp_tool):
    temp_tool("echo_n", echo, ECHO_SCHEMA)
    outcome = tool_run(actor=scenario.operator, name="echo_n", arguments={"n": 0}, source="api")
    assert outcome.call.status == "invalid_arguments"
    error = outcome.result["error"]
    assert error["kind"] == "invalid_arguments"
    assert error["details"][0]["path"] == "n"
    assert (
        "minimum" in error["details"][0]["message"] or "less than" in error["details"][0]["message"]
    )


def test_malformed_json_arguments_are_an_error_result_not_an_exception(scenario, temp_tool):
    temp_tool("echo_n", echo, ECHO_SCHEMA)
    outcome = tool_run(actor=scenario.operator, name="echo_n", arguments='{"n": ', source="agent")
    assert outcome.call.status == "invalid_arguments"
    assert "not valid JSON" in outcome.result["error"]["message"]


def test_an_unknown_tool_names_the_known_ones(scenario):
    outcome = tool_run(actor=scenario.operator, name="rm_rf", arguments={}, source="agent")
    assert outcome.call.status == "unknown_tool"
    assert "rm_rf" in outcome.result["error"]["message"]
    assert "check_stock_levels" in outcome.result["error"]["message"]


def test_denied_tool_names_the_tool(scenario, temp_tool):
    temp_tool("echo_n", echo, ECHO_SCHEMA)
    outcome = tool_run(actor=scenario.viewer, name="echo_n", arguments={"n": 1}, source="api")
    assert outcome.call.status == "denied"
    assert "echo_n" in outcome.result["error"]["message"]


def test_anonymous_callers_are_denied(db, temp_tool):
    temp_tool("echo_n", echo, ECHO_SCHEMA)
    outcome = tool_run(actor=None, name="echo_n", arguments={"n": 1}, source="webhook")
    assert outcome.call.status == "denied"


def test_a_crashing_tool_is_a_failed_call_and_its_writes_roll_back(scenario, temp_tool):
    from apps.inventory.models import Location

    def crash(ctx):  # type: ignore[no-untyped-def]
        Location.objects.create(code="TMP", name="Temp", city="Nowhere")
        raise RuntimeError("disk on fire")

    temp_tool("crash", crash)
    outcome = tool_run(actor=scenario.operator, name="crash", arguments={}, source="api")
    assert outcome.call.status == "failed"
    assert outcome.result["error"]["kind"] == "crashed"
    assert "disk on fire" in outcome.result["error"]["message"]
    assert not Location.objects.filter(code="TMP").exists()


def test_a_tool_error_keeps_its_kind_and_details(scenario, temp_tool):
    def missing(ctx):  # type: ignore[no-untyped-def]
        raise ToolError("no such thing", kind="not_found", details={"id": "X-1"})

    temp_tool("missing", missing)
    outcome = tool_run(actor=scenario.operator, name="missing", arguments={}, source="api")
    assert outcome.result == {
        "error": {"kind": "not_found", "message": "no such thing", "details": {"id": "X-1"}}
    }


@pytest.mark.django_db(transaction=True)
def test_a_hung_tool_times_out_in_thread_isolation(scenario, temp_tool, settings):
    settings.OWM_TOOL_ISOLATION = "thread"
    temp_tool("sleepy", lambda ctx: time.sleep(0.6) or {}, timeout_s=0.2, atomic=False)
    started = time.monotonic()
    outcome = tool_run(actor=scenario.operator, name="sleepy", arguments={}, source="api")
    assert outcome.call.status == "timeout"
    assert "0.2s" in outcome.result["error"]["message"]
    assert time.monotonic() - started < 0.55
    time.sleep(0.5)  # let the abandoned call end before the database is flushed


def test_an_idempotency_key_makes_a_retry_return_the_first_result(scenario, temp_tool):
    counter = {"n": 0}

    def bump(ctx):  # type: ignore[no-untyped-def]
        counter["n"] += 1
        return {"n": counter["n"]}

    temp_tool("bump", bump, side_effects=True)
    first = tool_run(
        actor=scenario.operator, name="bump", arguments={}, source="workflow", idempotency_key="k1"
    )
    again = tool_run(
        actor=scenario.operator, name="bump", arguments={}, source="workflow", idempotency_key="k1"
    )
    assert first.result == again.result == {"n": 1}
    assert counter["n"] == 1
    assert ToolCall.objects.filter(tool_name="bump").count() == 1


def test_huge_results_are_cut_for_the_caller_but_stored_whole(scenario, temp_tool, settings):
    settings.OWM_TOOL_RESULT_MAX_CHARS = 100
    temp_tool("big", lambda ctx: {"rows": ["x" * 50] * 20})
    outcome = tool_run(actor=scenario.operator, name="big", arguments={}, source="api")
    assert outcome.result["truncated"] is True
    assert len(outcome.result["preview"]) == 100
    assert len(ToolCall.objects.get(pk=outcome.call.pk).result["rows"]) == 20
