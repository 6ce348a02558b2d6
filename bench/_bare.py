"""The baseline the benches measure OWM against: the tool-calling loop anyone
would write with the openai SDK, and nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MODEL = "kimi-k2-0905-preview"


def bare_loop(
    client: Any,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    call_tool: Callable[[str, dict[str, Any]], dict[str, Any]],
    *,
    max_turns: int = 10,
) -> None:
    """Ask the model until it answers without tool calls; `call_tool(name,
    arguments)` gives each call's result."""
    for _ in range(max_turns):
        completion = client.chat.completions.create(
            model=MODEL, messages=messages, tools=tools, temperature=0.6
        )
        message = completion.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        if not message.tool_calls:
            return
        for call in message.tool_calls:
            result = call_tool(call.function.name, json.loads(call.function.arguments))
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
    raise RuntimeError("the bare loop never got a final answer")
