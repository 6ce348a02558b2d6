"""The tool-calling loop, as in the source: a plain function.

It takes an LLM client, the message history, the tools, an `execute`
callable and callbacks, and touches no database; apps.agents.services wires
it to runs, messages, the tool executor and the event publisher."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apps.agents.llm import ChatClient, Completion, LLMError, Message, ToolCallRequest, Usage

Execute = Callable[[ToolCallRequest], dict[str, Any]]
OnMessage = Callable[[Message, Completion | None], None]
OnText = Callable[[str], None]


class PauseRun(Exception):  # a signal, not an error
    """Raised by `execute` when a call waits for a human: the loop stops here
    and the run resumes later from its persisted history."""


class StopRun(Exception):  # a signal, not an error
    """Raised by `execute` or returned by `check` to end the run as failed
    with a clear message (a budget spent, a model stuck on bad arguments)."""


@dataclass
class LoopResult:
    status: str  # succeeded | failed | max_iterations_reached | waiting_approval
    final_answer: str = ""
    error: str = ""
    iterations: int = 0
    usage: Usage = field(default_factory=Usage)


def pending_tool_calls(messages: list[Message]) -> list[ToolCallRequest]:
    """Tool calls of the last assistant turn that have no tool result yet (a resumed run)."""
    for position in range(len(messages) - 1, -1, -1):
        message = messages[position]
        if message["role"] == "assistant":
            answered = {
                m.get("tool_call_id") for m in messages[position + 1 :] if m["role"] == "tool"
            }
            return [
                ToolCallRequest(
                    id=call["id"],
                    name=call["function"]["name"],
                    arguments=call["function"].get("arguments") or "",
                )
                for call in message.get("tool_calls") or []
                if call["id"] not in answered
            ]
        if message["role"] == "user":
            return []
    return []


def _tool_message(call: ToolCallRequest, result: dict[str, Any]) -> Message:
    return {
        "role": "tool",
        "tool_call_id": call.id,
        "name": call.name,
        "content": json.dumps(result, default=str),
    }


def run_loop(
    *,
    client: ChatClient,
    messages: list[Message],
    tools: list[dict[str, Any]],
    execute: Execute,
    on_message: OnMessage,
    max_iterations: int,
    on_text: OnText | None = None,
    check: Callable[[Completion], str | None] | None = None,
) -> LoopResult:
    """Run until the model answers without tool calls or the budget is spent.

    `messages` is extended in place; every appended message goes to on_message
    first so it is persisted before the next step."""
    iterations = sum(1 for m in messages if m["role"] == "assistant")

    def run_tools(calls: list[ToolCallRequest]) -> None:
        for call in calls:
            message = _tool_message(call, execute(call))
            messages.append(message)
            on_message(message, None)

    try:
        return _loop(
            client=client,
            messages=messages,
            tools=tools,
            run_tools=run_tools,
            on_message=on_message,
            on_text=on_text,
            max_iterations=max_iterations,
            iterations=iterations,
            check=check,
        )
    except PauseRun as pause:
        return LoopResult(status="waiting_approval", error=str(pause), iterations=iterations)
    except StopRun as stop:
        return LoopResult(status="failed", error=str(stop), iterations=iterations)


def _loop(
    *,
    client: ChatClient,
    messages: list[Message],
    tools: list[dict[str, Any]],
    run_tools: Callable[[list[ToolCallRequest]], None],
    on_message: OnMessage,
    on_text: OnText | None,
    max_iterations: int,
    iterations: int,
    check: Callable[[Completion], str | None] | None,
) -> LoopResult:
    prompt_tokens = completion_tokens = 0
    run_tools(pending_tool_calls(messages))
    while iterations < max_iterations:
        try:
            completion = client.complete(messages=messages, tools=tools, on_text=on_text)
        except LLMError as exc:
            return LoopResult(
                status="failed",
                error=str(exc),
                iterations=iterations,
                usage=Usage(prompt_tokens, completion_tokens),
            )
        iterations += 1
        prompt_tokens += completion.usage.prompt_tokens
        completion_tokens += completion.usage.completion_tokens
        message = completion.as_message()
        messages.append(message)
        on_message(message, completion)
        if check is not None and (reason := check(completion)):
            raise StopRun(reason)
        if not completion.tool_calls:
            return LoopResult(
                status="succeeded",
                final_answer=completion.content or "",
                iterations=iterations,
                usage=Usage(prompt_tokens, completion_tokens),
            )
        run_tools(completion.tool_calls)
    return LoopResult(
        status="max_iterations_reached",
        error=f"stopped after {max_iterations} model turns without a final answer",
        iterations=iterations,
        usage=Usage(prompt_tokens, completion_tokens),
    )
