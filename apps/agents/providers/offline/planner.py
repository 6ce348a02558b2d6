"""OfflinePlanner: a deterministic ChatClient that plans tool calls from the
words of the request and answers from the tool results, with no model at all."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from apps.agents.llm import Completion, Message, TextCallback, ToolCallRequest, Usage

from .answers import capabilities_text, final_text, missing_text, planning_text
from .filling import fill_arguments
from .scoring import ToolSpec, mention_order, pick_tools
from .text import read_facts

SENTENCE_END_RE = re.compile(r"(?<=[.!?\n])")


def _text_of(content: Any) -> str:
    """Plain text of a message's content (a string or OpenAI content parts)."""
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def split_turn(messages: list[Message]) -> tuple[str, list[Message]]:
    """(the last user request, the messages after it)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return _text_of(messages[index].get("content")), messages[index + 1 :]
    return "", list(messages)


def tool_results(after_user: list[Message]) -> list[tuple[str, Any]]:
    """(tool name, content) of each tool message, names recovered from the call ids."""
    names = {
        call.get("id"): (call.get("function") or {}).get("name", "tool")
        for message in after_user
        for call in message.get("tool_calls") or []
    }
    return [
        (m.get("name") or names.get(m.get("tool_call_id"), "tool"), m.get("content"))
        for m in after_user
        if m.get("role") == "tool"
    ]


def plan(request: str, specs: list[ToolSpec]) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """(text, calls): calls to make, or no calls and the text to answer with."""
    facts = read_facts(request)
    picked = pick_tools(facts.stems, specs)
    if not picked:
        return capabilities_text(specs), []
    calls: list[tuple[str, dict[str, Any]]] = []
    for spec in mention_order(list(facts.stems), picked):
        args, missing = fill_arguments(spec.properties, spec.required, facts)
        if missing and spec is picked[0]:
            return missing_text(spec, missing), []
        if not missing:
            calls.append((spec.name, args))
    return planning_text(calls), calls


class OfflinePlanner:
    """ChatClient without a model: deterministic, no network, no tokens."""

    provider = "offline"
    model = "owm-offline-planner"

    def complete(
        self,
        *,
        messages: list[Message],
        tools: list[dict[str, Any]],
        on_text: TextCallback | None = None,
    ) -> Completion:
        started = time.perf_counter()
        request, after_user = split_turn(messages)
        results = tool_results(after_user)
        tool_calls: list[ToolCallRequest] = []
        if results:
            content = final_text(results)
        else:
            content, calls = plan(request, [ToolSpec.from_openai(t) for t in tools])
            turn = 1 + sum(1 for m in messages if m.get("role") == "assistant")
            tool_calls = [
                ToolCallRequest(id=f"offline-{turn}-{i}", name=name, arguments=json.dumps(args))
                for i, (name, args) in enumerate(calls, start=1)
            ]
        if on_text is not None:
            for chunk in filter(None, SENTENCE_END_RE.split(content)):
                on_text(chunk)
        return Completion(
            content=content,
            tool_calls=tool_calls,
            finish_reason="tool_calls" if tool_calls else "stop",
            usage=Usage(0, 0),
            model=self.model,
            duration_ms=(time.perf_counter() - started) * 1000,
        )
