"""Rule conditions: expressions over named metrics, evaluated by the workflows
app's safe evaluator (simpleeval without calls or attribute access)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from apps.workflows.expressions import MAX_CONDITION_CHARS, ExpressionError, evaluate

LITERAL_NAMES = {"True", "False", "None"}

__all__ = ["Check", "ExpressionError", "condition_check", "condition_names", "condition_validate"]


def condition_names(condition: str) -> list[str]:
    """The metric names a condition reads, in order of appearance."""
    try:
        tree = ast.parse(condition.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"the condition is not a valid expression: {exc.msg}") from exc
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in LITERAL_NAMES]
    return list(dict.fromkeys(names))


def condition_validate(condition: str, *, known: Iterable[str]) -> None:
    """Raise ExpressionError when the condition is malformed, uses a forbidden
    construct (calls, attributes) or names a metric nobody provides."""
    if not isinstance(condition, str) or not condition.strip():
        raise ExpressionError("the condition is empty")
    if len(condition) > MAX_CONDITION_CHARS:
        raise ExpressionError(f"the condition is longer than {MAX_CONDITION_CHARS} characters")
    known = set(known)
    unknown = [name for name in condition_names(condition) if name not in known]
    if unknown:
        raise ExpressionError(
            f"unknown metric {', '.join(map(repr, unknown))}; known metrics: "
            + ", ".join(sorted(known))
        )
    try:  # a dry run finds forbidden constructs; arithmetic on the sample values may fail
        evaluate(condition, dict.fromkeys(known, 1.0))
    except ExpressionError as exc:
        if not str(exc).startswith("cannot evaluate"):
            raise


@dataclass(frozen=True)
class Check:
    """One condition evaluated over some metrics."""

    holds: bool
    values: dict[str, Any] = field(default_factory=dict)  # the values that decided
    missing: list[str] = field(default_factory=list)
    error: str = ""


def condition_check(condition: str, metrics: dict[str, Any]) -> Check:
    """Evaluate without raising: missing metrics or an error make it not hold."""
    try:
        names = condition_names(condition)
    except ExpressionError as exc:
        return Check(False, error=str(exc))
    values = {name: metrics[name] for name in names if name in metrics}
    missing = [name for name in names if name not in metrics]
    if missing:
        return Check(False, values, missing)
    try:
        return Check(bool(evaluate(condition, values)), values)
    except ExpressionError as exc:
        return Check(False, values, error=str(exc))
