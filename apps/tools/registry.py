"""The tool registry: a tool is declared once, here, and everything else
(the model's `tools` list, the API, the dashboard form, the executor) reads
it from the spec."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class Risk(StrEnum):
    LOW = "low"  # reads
    MEDIUM = "medium"  # writes inside OWM
    HIGH = "high"  # acts outside OWM or spends money


class ToolError(Exception):
    """An expected failure a tool reports to its caller (bad id, empty history...).

    `kind` is a short machine-readable code; the message is written for the model."""

    def __init__(self, message: str, *, kind: str = "tool_error", details: Any = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.details = details


@dataclass(frozen=True)
class ToolContext:
    """Who is calling and on behalf of what; passed to every tool function."""

    actor: AbstractBaseUser | None
    source: str
    run_id: str | None = None
    tool_call_id: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]
    func: Callable[..., dict[str, Any]]
    risk: Risk = Risk.LOW
    side_effects: bool = False
    timeout_s: float | None = None
    category: str = "general"
    # Run inside one transaction (writes land whole). Tools that wait on the
    # network say False, so a slow call never holds a database lock.
    atomic: bool = True
    validator: Draft202012Validator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        Draft202012Validator.check_schema(self.parameters)
        object.__setattr__(self, "validator", Draft202012Validator(self.parameters))

    def openai_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, ToolSpec] = {}

    def register(self, spec: ToolSpec) -> ToolSpec:
        if spec.name in self._tools and self._tools[spec.name].func is not spec.func:
            raise ValueError(f"tool {spec.name!r} is declared twice")
        self._tools[spec.name] = spec
        return spec

    def get(self, name: str) -> ToolSpec | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def all(self) -> list[ToolSpec]:
        return sorted(self._tools.values(), key=lambda spec: spec.name)

    def subset(self, names: Iterable[str]) -> list[ToolSpec]:
        return [self._tools[name] for name in names if name in self._tools]


registry = ToolRegistry()


def tool(
    *,
    name: str,
    description: str,
    parameters: dict[str, Any],
    risk: Risk = Risk.LOW,
    side_effects: bool = False,
    timeout_s: float | None = None,
    category: str = "general",
    atomic: bool = True,
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Declare a tool: `@tool(name=..., description=..., parameters={...})`."""

    def decorate(func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        registry.register(
            ToolSpec(
                name=name,
                description=description,
                parameters=parameters,
                func=func,
                risk=risk,
                side_effects=side_effects,
                timeout_s=timeout_s,
                category=category,
                atomic=atomic,
            )
        )
        return func

    return decorate
