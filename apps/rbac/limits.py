"""Argument limits: rules stored as data on a grant, validated when the grant is
saved and checked against the arguments of every call.

    {"kind": "max", "path": "forecast_period", "value": 90}
    {"kind": "max", "path": "items[].quantity*items[].unit_price", "value": 5000,
     "inclusive": false}                      # sum of quantity x unit_price < 5000
    {"kind": "in", "path": "supplier_id", "values": ["SUP-001", "SUP-002"]}
    {"kind": "email_domain", "path": "recipients[]", "domains": ["owm.example"]}
    {"kind": "max_items", "path": "items", "value": 20}

Every rule may also say `required` (an absent argument fails instead of
passing), `label` (the name used in refusals) and, on agent-wide grants, `tool`
(the one tool of the agent the rule is for). A value the rule cannot evaluate
(a missing unit_price, a string where a number belongs) fails: limits fail
closed."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

KIND_KEYS: dict[str, set[str]] = {
    "max": {"value", "inclusive"},
    "in": {"values"},
    "email_domain": {"domains"},
    "max_items": {"value"},
}
COMMON_KEYS = {"kind", "path", "required", "label", "tool"}
_SEGMENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\[\])?"
PATH_RE = re.compile(rf"^{_SEGMENT}(?:\.{_SEGMENT})*$")
DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


class LimitError(ValueError):
    """Limits that cannot be saved; `problems` lists every one, for the form."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Unprovable(Exception):
    """The arguments do not let the rule be evaluated (fail closed)."""


# Paths


def path_factors(path: str) -> list[str]:
    return [part.strip() for part in path.split("*")]


def path_roots(path: str) -> set[str]:
    """The top-level argument names a path reads."""
    return {factor.split(".")[0].removesuffix("[]") for factor in path_factors(path)}


def _resolve(value: Any, path: str) -> tuple[bool, list[Any]]:
    """(present, values) of `path` inside `value`. An absent top-level argument
    (or dict key) is absent; an absent field of a list element is unprovable."""
    values, in_list = [value], False
    for depth, part in enumerate(path.split(".")):
        many, key = part.endswith("[]"), part.removesuffix("[]")
        found: list[Any] = []
        for item in values:
            if not isinstance(item, dict):
                raise _Unprovable(f"{'.'.join(path.split('.')[:depth]) or path} is not an object")
            if key not in item or item[key] is None:
                if in_list:
                    raise _Unprovable(f"{path} is missing in an entry")
                return False, []
            if many and not isinstance(item[key], list):
                raise _Unprovable(f"{key} is not a list")
            found.extend(item[key] if many else [item[key]])
        values, in_list = found, in_list or many
    return True, values


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _Unprovable(f"{where} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Unprovable(f"{where} is not a finite number")
    return Decimal(str(value))


def _sum_product(arguments: dict[str, Any], factors: list[str]) -> tuple[bool, Decimal]:
    prefix = factors[0].rsplit("[].", 1)[0]
    present, entries = _resolve(arguments, prefix + "[]")
    if not present:
        return False, Decimal(0)
    total = Decimal(0)
    for index, entry in enumerate(entries):
        product = Decimal(1)
        for factor in factors:
            field = factor.rsplit("[].", 1)[1]
            where = f"{prefix}[{index}].{field}"
            found, values = _resolve(entry, field) if isinstance(entry, dict) else (False, [])
            if not found:
                raise _Unprovable(f"{where} is missing")
            product *= _number(values[0], where)
        total += product
    return True, total


# Formatting for refusals


def _fmt(number: Decimal | float | int, *, cents: bool = False) -> str:
    number = Decimal(str(number))
    if cents:
        return f"{number:,.2f}"
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def _label(limit: dict[str, Any]) -> str:
    if limit.get("label"):
        return str(limit["label"])
    return "total" if "*" in limit["path"] else limit["path"]


def describe(limit: dict[str, Any]) -> str:
    """A short human form of one rule, for the matrix."""
    kind, label = limit["kind"], _label(limit)
    if kind == "max":
        op = "≤" if limit.get("inclusive", True) else "<"
        text = f"{label} {op} {_fmt(limit['value'])}"
    elif kind == "max_items":
        text = f"at most {_fmt(limit['value'])} {label}"
    elif kind == "in":
        text = f"{label} in {', '.join(str(v) for v in limit['values'])}"
    else:
        text = f"{label} @{', @'.join(limit['domains'])}"
    if limit.get("tool"):
        text = f"{limit['tool']}: {text}"
    return text + (" (required)" if limit.get("required") else "")


# Checking


def limit_check(limit: dict[str, Any], arguments: dict[str, Any]) -> str | None:
    """None when `arguments` pass the rule, else why not (the tool and role are
    added by the caller: "total 6,250.00 exceeds the limit 5,000")."""
    try:
        return _CHECKS[limit["kind"]](limit, arguments)
    except _Unprovable as exc:
        return f"{_label(limit)} cannot be checked against the limit ({exc})"


def _absent(limit: dict[str, Any]) -> str | None:
    return f"{_label(limit)} is required by the limit" if limit.get("required") else None


def _check_max(limit: dict[str, Any], arguments: dict[str, Any]) -> str | None:
    factors = path_factors(limit["path"])
    cents = len(factors) > 1
    if cents:
        present, total = _sum_product(arguments, factors)
        values = [total] if present else []
    else:
        present, raw = _resolve(arguments, limit["path"])
        values = [_number(v, limit["path"]) for v in raw]
    if not present:
        return _absent(limit)
    bound = Decimal(str(limit["value"]))
    inclusive = limit.get("inclusive", True)
    for value in values:
        shown = f"{_label(limit)} {_fmt(value, cents=cents)}"
        if value > bound:
            return f"{shown} exceeds the limit {_fmt(bound)}"
        if value == bound and not inclusive:
            return f"{shown} reaches the limit {_fmt(bound)} (it must stay below)"
    return None


def _check_in(limit: dict[str, Any], arguments: dict[str, Any]) -> str | None:
    present, values = _resolve(arguments, limit["path"])
    if not present:
        return _absent(limit)
    allowed = {_fold(v) for v in limit["values"]}
    for value in values:
        if _fold(value) not in allowed:
            listed = ", ".join(str(v) for v in limit["values"])
            return f"{_label(limit)} {value} is not among the allowed {listed}"
    return None


def _fold(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _check_email_domain(limit: dict[str, Any], arguments: dict[str, Any]) -> str | None:
    present, values = _resolve(arguments, limit["path"])
    if not present:
        return _absent(limit)
    domains = {d.lower() for d in limit["domains"]}
    for value in values:
        address = value.strip() if isinstance(value, str) else ""
        domain = address.rpartition("@")[2].lower().rstrip(">").rstrip(".")
        if "@" not in address or domain not in domains:
            listed = ", ".join(limit["domains"])
            return f"{_label(limit)} {value} is outside the allowed domains {listed}"
    return None


def _check_max_items(limit: dict[str, Any], arguments: dict[str, Any]) -> str | None:
    path = limit["path"]
    present, values = _resolve(arguments, path)
    if not present:
        return _absent(limit)
    if not path.endswith("[]"):
        if not isinstance(values[0], list):
            raise _Unprovable(f"{path} is not a list")
        values = values[0]
    bound = int(limit["value"])
    if len(values) > bound:
        return f"{_label(limit)} has {len(values):,} entries, more than the limit {bound:,}"
    return None


_CHECKS = {
    "max": _check_max,
    "in": _check_in,
    "email_domain": _check_email_domain,
    "max_items": _check_max_items,
}


def applies_to(limit: dict[str, Any], *, tool_name: str, argument_names: set[str]) -> bool:
    """Whether an agent-wide rule concerns this tool: its `tool` if it names one,
    else every tool of the agent that takes the argument."""
    if limit.get("tool"):
        return limit["tool"] == tool_name
    return path_roots(limit["path"]) <= argument_names


# Validation


def limits_validate(
    limits: Any, *, tools: dict[str, set[str]] | None = None, agent_wide: bool = False
) -> list[dict[str, Any]]:
    """The rules, normalised, or LimitError naming every problem.

    `tools` maps each tool the grant covers to its argument names (to catch a
    misspelt path); None skips that check."""
    if limits in (None, ""):
        return []
    if not isinstance(limits, list):
        raise LimitError(["limits must be a JSON list of rules, e.g. [] or [{...}]"])
    problems: list[str] = []
    cleaned = []
    for number, limit in enumerate(limits, start=1):
        errors, rule = _rule_validate(limit, tools=tools, agent_wide=agent_wide)
        problems += [f"limit {number}: {error}" for error in errors]
        cleaned.append(rule)
    if problems:
        raise LimitError(problems)
    return cleaned


def _rule_validate(
    limit: Any, *, tools: dict[str, set[str]] | None, agent_wide: bool
) -> tuple[list[str], dict[str, Any]]:
    if not isinstance(limit, dict):
        return ["must be an object with a kind and a path"], {}
    kind = limit.get("kind")
    if kind not in KIND_KEYS:
        return [f"kind must be one of {', '.join(KIND_KEYS)} (got {kind!r})"], {}
    errors: list[str] = []
    known = COMMON_KEYS | KIND_KEYS[kind]
    errors += [
        f"unknown key {key!r} for kind {kind} (known: {', '.join(sorted(known))})"
        for key in sorted(set(limit) - known)
    ]
    errors += _path_errors(limit.get("path"), kind)
    errors += _VALUE_CHECKS[kind](limit)
    for flag in ("required", "inclusive"):
        if flag in limit and not isinstance(limit[flag], bool):
            errors.append(f"{flag} must be true or false")
    if "label" in limit and not (isinstance(limit["label"], str) and 0 < len(limit["label"]) <= 40):
        errors.append("label must be a short text")
    if "tool" in limit and not agent_wide:
        errors.append("tool is only for agent-wide grants (this grant is for one tool)")
    if not errors and tools:
        errors += _argument_errors(limit, tools)
    rule = {key: limit[key] for key in limit}
    if kind == "email_domain" and not errors:
        rule["domains"] = [d.strip().lower() for d in limit["domains"]]
    return errors, rule


def _path_errors(path: Any, kind: str) -> list[str]:
    if not isinstance(path, str) or not path.strip():
        return ['path is required, e.g. "supplier_id" or "recipients[]"']
    factors = path_factors(path)
    bad = [f for f in factors if not PATH_RE.match(f)]
    if bad:
        return [f"path {path!r} is not valid: use names, '.', '[]' (and '*' for totals)"]
    if len(factors) == 1:
        return []
    if kind != "max":
        return ["a product path (with '*') is only for kind max"]
    prefixes = {f.rsplit("[].", 1)[0] if "[]." in f else None for f in factors}
    fields = [f.rsplit("[].", 1)[1] for f in factors if "[]." in f]
    if None in prefixes or len(prefixes) != 1 or any("[]" in f for f in fields):
        return [
            f"path {path!r}: a total multiplies fields of the same list, "
            'e.g. "items[].quantity*items[].unit_price"'
        ]
    return []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _value_max(limit: dict[str, Any]) -> list[str]:
    return [] if _is_number(limit.get("value")) else ["value must be a number"]


def _value_max_items(limit: dict[str, Any]) -> list[str]:
    value = limit.get("value")
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return [] if ok else ["value must be a whole number ≥ 0"]


def _value_in(limit: dict[str, Any]) -> list[str]:
    values = limit.get("values")
    scalars = isinstance(values, list) and all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in values
    )
    return [] if scalars and values else ["values must be a non-empty list of texts or numbers"]


def _value_email_domain(limit: dict[str, Any]) -> list[str]:
    domains = limit.get("domains")
    if not isinstance(domains, list) or not domains:
        return ['domains must be a non-empty list, e.g. ["owm.example"]']
    bad = [d for d in domains if not isinstance(d, str) or not DOMAIN_RE.match(d.strip().lower())]
    return [f"not a domain: {', '.join(map(str, bad))}"] if bad else []


_VALUE_CHECKS = {
    "max": _value_max,
    "max_items": _value_max_items,
    "in": _value_in,
    "email_domain": _value_email_domain,
}


def _argument_errors(limit: dict[str, Any], tools: dict[str, set[str]]) -> list[str]:
    roots = path_roots(limit["path"])
    target = limit.get("tool")
    if target:
        if target not in tools:
            return [f"tool {target!r} is not one of this grant's tools: {', '.join(sorted(tools))}"]
        candidates = {target: tools[target]}
    else:
        candidates = tools
    if any(roots <= names for names in candidates.values()):
        return []
    accepted = sorted(set().union(*candidates.values()))
    return [
        f"no tool of this grant takes {', '.join(sorted(roots))}; "
        f"arguments: {', '.join(accepted) or '(none)'}"
    ]
