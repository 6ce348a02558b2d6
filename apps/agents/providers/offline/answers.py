"""The texts the planner writes: the planning line, the missing-information
answer, the capabilities list and the final answer built from tool results."""

from __future__ import annotations

import json
import re
from typing import Any

from .scoring import ToolSpec
from .text import name_stems

MAX_VALUE_CHARS = 80
FIRST_SENTENCE_RE = re.compile(r"^(.+?[.!?])(?:\s|$)", re.S)


def _clip(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_sentence(description: str) -> str:
    match = FIRST_SENTENCE_RE.match(description.strip())
    return _clip(match.group(1) if match else description.strip(), 160)


def planning_text(calls: list[tuple[str, dict[str, Any]]]) -> str:
    parts = [f"{name} ({_clip(json.dumps(args, ensure_ascii=False), 120)})" for name, args in calls]
    return "Planning: calling " + "; ".join(parts) + "."


def _hint_for(name: str, schema: dict[str, Any]) -> str:
    kind = schema.get("type", "string")
    items = schema.get("items") or {}
    if schema.get("enum"):
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if name_stems(name)[-1:] in (["id"], ["ids"]):
        return "an identifier such as SKU-1001, SUP-001 or INQ-12"
    if kind in ("integer", "number"):
        return "a number with its unit, e.g. '30 days' or '50 units'"
    if kind == "array" and items.get("type") == "object":
        return "the items, e.g. '50 units of SKU-1001 at $12.50'"
    if kind == "array":
        return 'the values in "double quotes"'
    if kind == "object":
        return "name=value pairs, e.g. error_count=12"
    if {"location", "city", "region", "country"} & set(name_stems(name)):
        return "a capitalised place name after 'in' or 'at', e.g. 'in Seoul'"
    return f"the value in \"double quotes\" or as '{name.replace('_', ' ')} <value>'"


def missing_text(spec: ToolSpec, missing: list[str]) -> str:
    lines = [
        f"I would use {spec.name} for this, but the request does not give its required "
        f"parameter{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.",
        "Please say it again with:",
    ]
    lines += [f"- {name}: {_hint_for(name, spec.properties.get(name, {}))}" for name in missing]
    return "\n".join(lines)


def capabilities_text(specs: list[ToolSpec]) -> str:
    if not specs:
        return "I could not match your request to a tool, and this agent has no tools enabled."
    lines = ["I could not match your request to one of my tools. Here is what I can do:"]
    lines += [f"- {spec.name}: {first_sentence(spec.description)}" for spec in specs]
    lines.append(
        "Ask again naming one of these, with any ids (e.g. SKU-1001) and numbers it needs."
    )
    return "\n".join(lines)


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(str(k) for k in list(value)[:6]) + ("…}" if len(value) > 6 else "}")
    if isinstance(value, list):
        return f"{len(value)} item{'' if len(value) == 1 else 's'}"
    return _clip(json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value, 60)


def summarise_result(tool: str, content: Any) -> str:
    """One line for one tool result: its summary, its error, or its keys compactly."""
    try:
        result = json.loads(content) if isinstance(content, str) else content
    except ValueError:
        return f"{tool}: {_clip(str(content))}"
    if not isinstance(result, dict):
        return f"{tool}: {_describe(result)}"
    error = result.get("error")
    if error:
        message = error.get("message") or error.get("kind") if isinstance(error, dict) else error
        return f"{tool} failed: {_clip(str(message), 200)}"
    if isinstance(result.get("summary"), str) and result["summary"].strip():
        return f"{tool}: {_clip(result['summary'], 400)}"
    fields = "; ".join(f"{key}: {_describe(value)}" for key, value in list(result.items())[:8])
    return f"{tool}: {fields or 'no data returned'}"


def final_text(results: list[tuple[str, Any]]) -> str:
    lines = ["Here is what I found:"]
    lines += [f"- {summarise_result(tool, content)}" for tool, content in results]
    return "\n".join(lines)
