"""Scoring tools against a request: the words of a tool's name weigh most, its
enum values next, its description and parameter names least."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .text import content_stems, name_stems

NAME_WEIGHT = 3
ENUM_WEIGHT = 2
DESCRIPTION_WEIGHT = 1
MIN_SCORE = 3  # at least one word of a tool's name, or an enum value plus more
RUNNER_UP_SHARE = 0.5  # other tools are called when they score half the best


@dataclass(frozen=True)
class ToolSpec:
    """The parts of an OpenAI tool definition the planner uses."""

    name: str
    description: str
    parameters: dict[str, Any]

    @classmethod
    def from_openai(cls, tool: dict[str, Any]) -> ToolSpec:
        function = tool.get("function", tool)
        return cls(
            name=str(function.get("name", "")),
            description=str(function.get("description") or ""),
            parameters=function.get("parameters") or {"type": "object", "properties": {}},
        )

    @property
    def properties(self) -> dict[str, dict[str, Any]]:
        return self.parameters.get("properties") or {}

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required") or [])


def _schemas(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (property name, schema) pair, nested objects and array items included."""
    for name, prop in (schema.get("properties") or {}).items():
        yield name, prop
        yield from _schemas(prop)
        items = prop.get("items")
        if isinstance(items, dict):
            yield name, items
            yield from _schemas(items)


def _enum_stems(spec: ToolSpec) -> set[str]:
    stems: set[str] = set()
    for _, prop in _schemas(spec.parameters):
        for value in prop.get("enum") or []:
            stems.update(name_stems(str(value)))
    return stems


def _weak_stems(spec: ToolSpec) -> set[str]:
    stems = set(content_stems(spec.description))
    for name, _ in _schemas(spec.parameters):
        stems.update(name_stems(name))
    return stems


def score_tool(request_stems: Iterable[str], spec: ToolSpec) -> int:
    """How well ``spec`` fits the request; each request word counts once, at its best weight."""
    name_parts = set(name_stems(spec.name))
    enums, weak = _enum_stems(spec), _weak_stems(spec)
    score = 0
    for word in set(request_stems):
        if word in name_parts:
            score += NAME_WEIGHT
        elif word in enums:
            score += ENUM_WEIGHT
        elif word in weak:
            score += DESCRIPTION_WEIGHT
    return score


def pick_tools(request_stems: Iterable[str], specs: list[ToolSpec]) -> list[ToolSpec]:
    """The best tool and every other that scores at least half of it (and the minimum),
    best first; ties keep the order the tools were given in."""
    words = list(request_stems)
    scored = [(score_tool(words, spec), index, spec) for index, spec in enumerate(specs)]
    scored.sort(key=lambda item: (-item[0], item[1]))
    if not scored or scored[0][0] < MIN_SCORE:
        return []
    floor = max(MIN_SCORE, scored[0][0] * RUNNER_UP_SHARE)
    return [spec for score, _, spec in scored if score >= floor]


def mention_order(request_stems: list[str], specs: list[ToolSpec]) -> list[ToolSpec]:
    """``specs`` in the order the request first names them (unnamed ones last)."""

    def first_mention(spec: ToolSpec) -> int:
        parts = set(name_stems(spec.name))
        hits = [i for i, word in enumerate(request_stems) if word in parts]
        return min(hits, default=len(request_stems))

    return sorted(specs, key=first_mention)
