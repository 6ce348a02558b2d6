"""Step parameter references and safe conditions. No template engine and no
eval: references are parsed with one regular expression, conditions by
simpleeval restricted to comparisons, boolean logic and arithmetic."""

from __future__ import annotations

import ast
import operator
import re
from typing import Any

from simpleeval import (
    FeatureNotAvailable,
    InvalidExpression,
    NameNotDefined,
    SimpleEval,
)

# "{{ steps.fetch.data_id }}", "{{ steps.rows.0.sku }}", "{{ inputs.sku }}"
REFERENCE = re.compile(r"\{\{\s*((?:steps|inputs)(?:\.[\w-]+)+)\s*\}\}")
BARE_REFERENCE = re.compile(r"(?<![\w.'\"])steps(?:\.[\w-]+)+")
MAX_CONDITION_CHARS = 500


class ExpressionError(ValueError):
    """A reference that cannot be resolved or a condition that cannot be evaluated."""


def references_in(value: Any) -> list[str]:
    """Every dotted reference inside a parameter value (strings, lists, dicts)."""
    if isinstance(value, str):
        return REFERENCE.findall(value)
    if isinstance(value, list):
        return [ref for item in value for ref in references_in(item)]
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in references_in(item)]
    return []


def referenced_steps(value: Any) -> set[str]:
    return {ref.split(".")[1] for ref in references_in(value) if ref.startswith("steps.")}


def condition_steps(condition: str) -> set[str]:
    text = REFERENCE.sub(lambda m: m.group(1), condition)
    return {ref.split(".")[1] for ref in BARE_REFERENCE.findall(text)}


def lookup(path: str, scope: dict[str, Any]) -> Any:
    """Follow "steps.fetch.rows.0.sku" through dicts and lists."""
    head, *rest = path.split(".")
    current: Any = scope.get(head, {})
    walked = head
    for part in rest:
        walked += "." + part
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise ExpressionError(f"{walked} does not exist")
    return current


def resolve(value: Any, scope: dict[str, Any]) -> Any:
    """Replace references: a string that is one reference takes the value
    itself (any type); references inside longer text are written as text."""
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, scope) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    whole = REFERENCE.fullmatch(value.strip())
    if whole:
        return lookup(whole.group(1), scope)
    return REFERENCE.sub(lambda m: _as_text(lookup(m.group(1), scope)), value)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, default=str)


class _Evaluator(SimpleEval):  # type: ignore[misc]
    """simpleeval with no calls and no attribute access: names come from the
    context only; subscripts (ctx["a"], rows[0]) are allowed."""

    OPERATORS = {
        ast.Add: operator.add,
        ast.Sub: operator.sub,
        ast.Mult: operator.mul,
        ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv,
        ast.Mod: operator.mod,
        ast.USub: operator.neg,
        ast.UAdd: operator.pos,
        ast.Not: operator.not_,
        ast.Eq: operator.eq,
        ast.NotEq: operator.ne,
        ast.Gt: operator.gt,
        ast.GtE: operator.ge,
        ast.Lt: operator.lt,
        ast.LtE: operator.le,
        ast.In: lambda a, b: a in b,
        ast.NotIn: lambda a, b: a not in b,
    }

    def __init__(self, names: dict[str, Any]) -> None:
        super().__init__(operators=dict(self.OPERATORS), functions={}, names=names)
        self.nodes.pop(ast.Call, None)
        self.nodes.pop(ast.Attribute, None)
        for node in ("ListComp", "DictComp", "SetComp", "GeneratorExp", "JoinedStr"):
            self.nodes.pop(getattr(ast, node, None), None)


def evaluate(condition: str, context: dict[str, Any]) -> Any:
    """Evaluate a condition like "value > threshold" over `context`."""
    if not isinstance(condition, str) or not condition.strip():
        raise ExpressionError("the condition is empty")
    if len(condition) > MAX_CONDITION_CHARS:
        raise ExpressionError(f"the condition is longer than {MAX_CONDITION_CHARS} characters")
    evaluator = _Evaluator(names=dict(context))
    try:
        return evaluator.eval(condition.strip())
    except NameNotDefined as exc:
        known = ", ".join(sorted(context)) or "none"
        raise ExpressionError(f"unknown name {exc.name!r}; known names: {known}") from exc
    except SyntaxError as exc:
        raise ExpressionError(f"the condition is not a valid expression: {exc.msg}") from exc
    except (FeatureNotAvailable, InvalidExpression, KeyError) as exc:
        raise ExpressionError(f"not allowed in a condition: {_describe(exc)}") from exc
    except (TypeError, ValueError, ZeroDivisionError, IndexError) as exc:
        raise ExpressionError(f"cannot evaluate the condition: {exc}") from exc


def _describe(exc: Exception) -> str:
    text = str(exc)
    if "Sorry," in text or not text:
        return type(exc).__name__ + (f" ({text})" if text else "")
    return text


def evaluate_step_condition(condition: str, scope: dict[str, Any]) -> bool:
    """A step condition may name earlier results as steps.<id>.<field> (bare or
    in {{ }}); each reference becomes a plain name before evaluation."""
    names: dict[str, Any] = {}
    text = REFERENCE.sub(lambda m: m.group(1), condition)

    def bind(match: re.Match[str]) -> str:
        name = f"_ref{len(names)}"
        names[name] = lookup(match.group(0), scope)
        return name

    text = BARE_REFERENCE.sub(bind, text)
    names.update(scope.get("inputs") or {})
    return bool(evaluate(text, names))
