"""Workflow definitions: normalising steps (defaults filled in) and checking
them before they are saved or run. Every error names the step it is about."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any

from apps.tools.registry import registry
from apps.workflows.expressions import (
    REFERENCE,
    condition_steps,
    referenced_steps,
    references_in,
)

STEP_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
MODES = ("sequential", "parallel", "conditional")
MAX_STEPS = 50
NON_RETRYABLE = ["invalid_arguments", "denied", "unknown_tool", "not_found"]
RETRY_DEFAULTS: dict[str, Any] = {
    "max_retries": 3,
    "backoff_factor": 1.5,
    "initial_interval": 1.0,
    "max_interval": 60.0,
    "jitter": True,
    "non_retryable": NON_RETRYABLE,
}
RETRY_LIMITS = {
    "max_retries": (0, 20),
    "backoff_factor": (1.0, 10.0),
    "initial_interval": (0.0, 3600.0),
    "max_interval": (0.0, 86400.0),
}


@dataclass(frozen=True)
class StepError:
    step_id: str  # "" for errors about the whole definition
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def retry_policy(raw: Any) -> dict[str, Any]:
    policy = dict(RETRY_DEFAULTS)
    if isinstance(raw, dict):
        policy.update({k: v for k, v in raw.items() if k in RETRY_DEFAULTS and v is not None})
    return policy


def step_normalize(raw: dict[str, Any]) -> dict[str, Any]:
    step = {
        "step_id": str(raw.get("step_id", "")),
        "action": str(raw.get("action", "")),
        "parameters": raw.get("parameters") if raw.get("parameters") is not None else {},
        "depends_on": list(raw.get("depends_on") or []),
        "retry_policy": retry_policy(raw.get("retry_policy")),
    }
    if raw.get("condition"):
        step["condition"] = str(raw["condition"])
    return step


def steps_normalize(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [step_normalize(s) if isinstance(s, dict) else s for s in steps]


def topological_order(steps: list[dict[str, Any]]) -> list[str]:
    """Step ids, dependencies first, ties kept in definition order."""
    position = {s["step_id"]: i for i, s in enumerate(steps)}
    sorter = TopologicalSorter({s["step_id"]: _upstream(s) for s in steps})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda sid: position.get(sid, 0))
        order.extend(ready)
        sorter.done(*ready)
    return [sid for sid in order if sid in position]


def _upstream(step: dict[str, Any]) -> set[str]:
    return set(step["depends_on"])


def workflow_validate(steps: Any, mode: str) -> list[StepError]:
    """All problems of a definition; an empty list means it may be saved and run."""
    if mode not in MODES:
        return [StepError("", "execution_mode", f"must be one of {', '.join(MODES)}")]
    if not isinstance(steps, list) or not steps:
        return [StepError("", "steps", "a workflow needs a non-empty list of steps")]
    if len(steps) > MAX_STEPS:
        return [StepError("", "steps", f"at most {MAX_STEPS} steps")]
    errors = [
        StepError(str(i), "step", "each step must be an object")
        for i, s in enumerate(steps)
        if not isinstance(s, dict)
    ]
    if errors:
        return errors
    steps = steps_normalize(steps)
    errors += _check_ids(steps)
    ids = {s["step_id"] for s in steps}
    for step in steps:
        errors += _check_step(step, ids)
    if not errors:
        errors += _check_graph(steps)
    return errors


def _check_ids(steps: list[dict[str, Any]]) -> list[StepError]:
    errors, seen = [], set()
    for step in steps:
        sid = step["step_id"]
        if not STEP_ID.match(sid):
            errors.append(StepError(sid, "step_id", "use 1-100 letters, digits, - or _"))
        elif sid in seen:
            errors.append(StepError(sid, "step_id", f"step id {sid!r} is used twice"))
        seen.add(sid)
    return errors


def _check_step(step: dict[str, Any], ids: set[str]) -> list[StepError]:
    sid = step["step_id"]
    errors = []
    for dep in step["depends_on"]:
        if dep not in ids:
            errors.append(StepError(sid, "depends_on", f"depends on unknown step {dep!r}"))
        elif dep == sid:
            errors.append(StepError(sid, "depends_on", "a step cannot depend on itself"))
    errors += _check_policy(step)
    if not isinstance(step["parameters"], dict):
        return [*errors, StepError(sid, "parameters", "parameters must be an object")]
    spec = registry.get(step["action"])
    if spec is None:
        errors.append(StepError(sid, "action", f"unknown tool {step['action']!r}"))
    else:
        errors += _check_parameters(sid, spec, step["parameters"])
    for ref in references_in(step["parameters"]):
        if ref.startswith("steps.") and ref.count(".") < 2:
            errors.append(StepError(sid, "parameters", f"{ref} must name a field of the step"))
    return errors


def _check_policy(step: dict[str, Any]) -> list[StepError]:
    policy = step["retry_policy"]
    errors = []
    for key, (low, high) in RETRY_LIMITS.items():
        value = policy[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            errors.append(
                StepError(
                    step["step_id"], f"retry_policy.{key}", f"must be between {low} and {high}"
                )
            )
    if not isinstance(policy["non_retryable"], list):
        errors.append(StepError(step["step_id"], "retry_policy.non_retryable", "must be a list"))
    return errors


def _check_parameters(sid: str, spec: Any, parameters: dict[str, Any]) -> list[StepError]:
    """Schema-check the literal parameters; values holding a reference are
    known only at run time and are skipped (with everything below them)."""
    referenced = _reference_paths(parameters)
    errors = []
    for err in spec.validator.iter_errors(parameters):
        path = tuple(err.absolute_path)
        if any(path[: len(ref)] == ref for ref in referenced):
            continue
        where = "/".join(str(p) for p in path)
        field = f"parameters.{where}".replace("/", ".") if where else "parameters"
        errors.append(StepError(sid, field, err.message))
    return errors


def _reference_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, str):
        return [path] if REFERENCE.search(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _reference_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _reference_paths(v, (*path, i))]
    return []


def _ancestors(steps: list[dict[str, Any]]) -> dict[str, set[str]]:
    deps = {s["step_id"]: set(s["depends_on"]) for s in steps}
    found: dict[str, set[str]] = {}
    for sid in topological_order(steps):
        found[sid] = set(deps[sid]).union(*(found[d] for d in deps[sid]))
    return found


def _check_graph(steps: list[dict[str, Any]]) -> list[StepError]:
    try:
        TopologicalSorter({s["step_id"]: _upstream(s) for s in steps}).prepare()
    except CycleError as exc:
        cycle = list(dict.fromkeys(exc.args[1]))
        return [
            StepError(sid, "depends_on", "dependency cycle: " + " -> ".join([*cycle, cycle[0]]))
            for sid in cycle
        ]
    upstream = _ancestors(steps)
    errors = []
    for step in steps:
        sid = step["step_id"]
        used = [("parameters", r) for r in sorted(referenced_steps(step["parameters"]))]
        used += [("condition", r) for r in sorted(condition_steps(step.get("condition", "")))]
        for field, ref in used:
            if ref not in upstream:
                errors.append(StepError(sid, field, f"references unknown step {ref!r}"))
            elif ref not in upstream[sid]:
                errors.append(
                    StepError(
                        sid,
                        field,
                        f"references step {ref!r}, which is not upstream (add it to depends_on)",
                    )
                )
    return errors
