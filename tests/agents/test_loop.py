"""The loop's own tests: a scripted in-process client, no database."""

from __future__ import annotations

import json
from typing import Any

from apps.agents.llm import Completion, LLMError, ToolCallRequest, Usage
from apps.agents.loop import pending_tool_calls, run_loop


class ScriptedClient:
    provider = "test"
    model = "scripted"

    def __init__(self, replies: list[Completion | Exception]) -> None:
        self.replies = list(replies)
        self.seen: list[list[dict[str, Any]]] = []

    def complete(self, *, messages, tools, on_text=None):  # type: ignore[no-untyped-def]
        self.seen.append([dict(m) for m in messages])
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def call(name: str, args: dict[str, Any], call_id: str) -> Completion:
    return Completion(
        content=None,
        tool_calls=[ToolCallRequest(id=call_id, name=name, arguments=json.dumps(args))],
        finish_reason="tool_calls",
        usage=Usage(10, 5),
    )


def answer(text: str) -> Completion:
    return Completion(content=text, usage=Usage(20, 7))


def start() -> list[dict[str, Any]]:
    return [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]


def test_tool_results_are_appended_with_the_models_id_and_tool_name():
    client = ScriptedClient([call("lookup", {"x": 1}, "functions.lookup:0"), answer("done")])
    persisted: list[dict[str, Any]] = []
    result = run_loop(
        client=client,
        messages=start(),
        tools=[],
        execute=lambda c: {"echo": json.loads(c.arguments)},
        on_message=lambda m, _c: persisted.append(m),
        max_iterations=5,
    )
    assert result.status == "succeeded"
    assert result.final_answer == "done"
    tool_message = client.seen[1][-1]
    assert tool_message == {
        "role": "tool",
        "tool_call_id": "functions.lookup:0",
        "name": "lookup",
        "content": json.dumps({"echo": {"x": 1}}),
    }
    assert [m["role"] for m in persisted] == ["assistant", "tool", "assistant"]
    assert result.usage.prompt_tokens == 30 and result.usage.completion_tokens == 12


def test_the_loop_stops_with_a_clear_outcome_at_max_iterations():
    client = ScriptedClient([call("lookup", {}, f"c{i}") for i in range(3)])
    result = run_loop(
        client=client,
        messages=start(),
        tools=[],
        execute=lambda c: {"ok": True},
        on_message=lambda m, c: None,
        max_iterations=3,
    )
    assert result.status == "max_iterations_reached"
    assert "3 model turns" in result.error
    assert result.iterations == 3


def test_an_llm_error_fails_the_run_with_its_message():
    client = ScriptedClient([LLMError("cannot reach the model endpoint http://x")])
    result = run_loop(
        client=client,
        messages=start(),
        tools=[],
        execute=lambda c: {},
        on_message=lambda m, c: None,
        max_iterations=3,
    )
    assert result.status == "failed"
    assert "cannot reach" in result.error


def test_a_resumed_history_runs_only_the_unanswered_calls_first():
    history = [
        *start(),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "t", "arguments": "{}"}},
                {"id": "b", "type": "function", "function": {"name": "t", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "name": "t", "content": "{}"},
    ]
    assert [c.id for c in pending_tool_calls(history)] == ["b"]
    executed: list[str] = []
    client = ScriptedClient([answer("resumed")])

    def execute(c: ToolCallRequest) -> dict[str, Any]:
        executed.append(c.id)
        return {}

    result = run_loop(
        client=client,
        messages=history,
        tools=[],
        execute=execute,
        on_message=lambda m, c: None,
        max_iterations=5,
    )
    assert executed == ["b"]
    assert result.status == "succeeded"
    assert result.iterations == 2  # the earlier assistant turn counts toward the budget
