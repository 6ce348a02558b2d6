"""Kimi-K2's raw tool-call tokens.

Some servers (a vLLM or SGLang started without `--tool-call-parser kimi_k2`)
return the model's tool calls as special tokens inside the content:

    <|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:IDX
    <|tool_call_argument_begin|>{...}<|tool_call_end|><|tool_calls_section_end|>

They are parsed into proper tool calls, ids kept exactly as produced."""

from __future__ import annotations

import re

from apps.agents.llm import ToolCallRequest

SECTION_BEGIN = "<|tool_calls_section_begin|>"
SECTION_END = "<|tool_calls_section_end|>"
_CALL = re.compile(
    r"<\|tool_call_begin\|>\s*(?P<id>[^<\s]+?)\s*<\|tool_call_argument_begin\|>"
    r"(?P<arguments>.*?)<\|tool_call_end\|>",
    re.DOTALL,
)


def has_raw_tool_calls(content: str | None) -> bool:
    return bool(content) and SECTION_BEGIN in content  # type: ignore[operator]


def tool_name_from_id(call_id: str) -> str:
    """`functions.get_weather:0` -> `get_weather`."""
    name = call_id.split(".", 1)[1] if call_id.startswith("functions.") else call_id
    return name.rsplit(":", 1)[0]


def parse_raw_tool_calls(content: str) -> tuple[str | None, list[ToolCallRequest]]:
    """Split content into (the text before the section, the tool calls in it)."""
    before, _, section = content.partition(SECTION_BEGIN)
    section = section.split(SECTION_END, 1)[0]
    calls = [
        ToolCallRequest(
            id=match["id"],
            name=tool_name_from_id(match["id"]),
            arguments=match["arguments"].strip(),
        )
        for match in _CALL.finditer(section)
    ]
    return (before.strip() or None), calls
