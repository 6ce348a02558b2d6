"""The workflow tools: run step lists, parallel tasks and branches through
the one executor, aggregate results, and evaluate safe conditions."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection

from apps.tools.registry import Risk, ToolContext, ToolError, tool
from apps.tools.services import tool_run
from apps.workflows.expressions import ExpressionError, evaluate
from apps.workflows.models import StepRun
from apps.workflows.services import WorkflowInvalid, workflow_run_adhoc

MAX_TASKS = 50
MAX_WORKERS = 16
MAX_ACTIONS = 20

_RETRY = {
    "type": "object",
    "properties": {
        "max_retries": {"type": "integer", "minimum": 0, "maximum": 10, "default": 3},
        "backoff_factor": {"type": "number", "minimum": 1, "maximum": 10, "default": 1.5},
    },
}


def _step_view(step: StepRun) -> dict[str, Any]:
    view: dict[str, Any] = {
        "step_id": step.step_id,
        "action": step.action,
        "status": step.status,
        "attempts": step.attempt,
    }
    if step.result is not None:
        view["result"] = step.result
    if step.error:
        view["error"] = {"kind": step.error_kind, "message": step.error}
    return view


@tool(
    name="execute_workflow",
    description=(
        "Run a list of steps, each a tool call, honouring depends_on and per-step retries. "
        "A step's parameters may use results of earlier steps as "
        '"{{ steps.<step_id>.<field> }}". Runs inline and returns every step\'s result; '
        "steps still waiting (a long retry, an approval) continue in the background and "
        "the workflow_run_id lets you check on them."
    ),
    parameters={
        "type": "object",
        "properties": {
            "workflow_steps": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "properties": {
                        "step_id": {"type": "string", "minLength": 1},
                        "action": {"type": "string", "minLength": 1, "description": "a tool name"},
                        "parameters": {"type": "object"},
                        "depends_on": {"type": "array", "items": {"type": "string"}},
                        "retry_policy": _RETRY,
                    },
                    "required": ["step_id", "action"],
                },
            },
            "execution_mode": {
                "type": "string",
                "enum": ["sequential", "parallel", "conditional"],
                "default": "sequential",
            },
        },
        "required": ["workflow_steps"],
        "additionalProperties": False,
    },
    risk=Risk.MEDIUM,
    side_effects=True,
    category="workflow",
    atomic=False,
    timeout_s=60,
)
def execute_workflow(
    ctx: ToolContext, *, workflow_steps: list[dict[str, Any]], execution_mode: str = "sequential"
) -> dict[str, Any]:
    try:
        run = workflow_run_adhoc(steps=workflow_steps, mode=execution_mode, actor=ctx.actor)
    except WorkflowInvalid as exc:
        raise ToolError(
            f"the workflow is not valid: {exc}",
            kind="invalid_arguments",
            details=[e.as_dict() for e in exc.errors],
        ) from exc
    steps = [_step_view(s) for s in run.steps.order_by("position")]
    counts: dict[str, int] = {}
    for step in steps:
        counts[step["status"]] = counts.get(step["status"], 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return {
        "summary": f"workflow run {run.pk} is {run.status}: {len(steps)} steps ({tally}).",
        "workflow_run_id": run.pk,
        "status": run.status,
        "execution_mode": execution_mode,
        "steps": steps,
    }


def _run_one(
    ctx: ToolContext, action: str, parameters: dict[str, Any], key: str | None
) -> dict[str, Any]:
    outcome = tool_run(
        actor=ctx.actor,
        name=action,
        arguments=parameters,
        source="workflow",
        idempotency_key=key,
    )
    return {"status": outcome.call.status, "ok": outcome.ok, "result": outcome.result}


def _key(ctx: ToolContext, suffix: str) -> str | None:
    base = ctx.idempotency_key or (
        f"{ctx.run_id}:{ctx.tool_call_id}" if ctx.run_id and ctx.tool_call_id else None
    )
    return f"{base}:{suffix}" if base else None


@tool(
    name="process_parallel_tasks",
    description=(
        "Run several independent tool calls at once, at most max_workers at a time. "
        "Each task names a tool (task_type) and its parameters; returns each task's result."
    ),
    parameters={
        "type": "object",
        "properties": {
            "tasks": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_TASKS,
                "items": {
                    "type": "object",
                    "properties": {
                        "task_id": {"type": "string", "minLength": 1},
                        "task_type": {
                            "type": "string",
                            "minLength": 1,
                            "description": "a tool name",
                        },
                        "parameters": {"type": "object"},
                    },
                    "required": ["task_id", "task_type"],
                },
            },
            "max_workers": {"type": "integer", "minimum": 1, "maximum": MAX_WORKERS, "default": 4},
        },
        "required": ["tasks"],
        "additionalProperties": False,
    },
    risk=Risk.MEDIUM,
    side_effects=True,
    category="workflow",
    atomic=False,
    timeout_s=120,
)
def process_parallel_tasks(
    ctx: ToolContext, *, tasks: list[dict[str, Any]], max_workers: int = 4
) -> dict[str, Any]:
    ids = [t["task_id"] for t in tasks]
    if len(set(ids)) != len(ids):
        raise ToolError("task ids must be unique", kind="invalid_arguments")
    if any(t["task_type"] in _NESTING for t in tasks):
        raise ToolError("tasks cannot start other parallel tasks", kind="invalid_arguments")

    def work(task: dict[str, Any]) -> dict[str, Any]:
        try:
            return _run_one(
                ctx, task["task_type"], task.get("parameters") or {}, _key(ctx, task["task_id"])
            )
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="owm-parallel") as pool:
        outcomes = list(pool.map(work, tasks))
    results = [
        {"task_id": t["task_id"], "task_type": t["task_type"], **o}
        for t, o in zip(tasks, outcomes, strict=True)
    ]
    ok = sum(r["ok"] for r in results)
    return {
        "summary": f"{ok} of {len(results)} tasks succeeded (max {max_workers} at a time).",
        "results": results,
        "succeeded": ok,
        "failed": len(results) - ok,
        "max_workers": max_workers,
    }


_NESTING = {"process_parallel_tasks"}


def _number(item: Any) -> float | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int | float):
        return float(item)
    if isinstance(item, dict):
        for key in ("value", "score"):
            if isinstance(item.get(key), int | float) and not isinstance(item.get(key), bool):
                return float(item[key])
    return None


def _numbers(results: list[Any]) -> list[float]:
    values = [_number(item) for item in results]
    bad = [i for i, v in enumerate(values) if v is None]
    if bad:
        raise ToolError(
            f"items {bad[:10]} are neither numbers nor objects with a numeric value or score",
            kind="invalid_arguments",
        )
    return [v for v in values if v is not None]


def _merge(results: list[Any]) -> Any:
    if all(isinstance(r, dict) for r in results):
        merged: dict[str, Any] = {}
        for item in results:
            merged.update(item)
        return merged
    if all(isinstance(r, list) for r in results):
        return [x for r in results for x in r]
    return list(results)


def _score(item: Any) -> float:
    if isinstance(item, dict):
        for key in ("score", "value"):
            value = item.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    value = _number(item)
    if value is None:
        raise ToolError(
            "rank needs numbers or objects with a numeric score or value", kind="invalid_arguments"
        )
    return value


@tool(
    name="aggregate_results",
    description=(
        "Combine a list of results: sum or average of numbers (or of objects' numeric "
        '"value"/"score"), merge objects (later keys win) or concatenate lists, or rank '
        "items by score, highest first."
    ),
    parameters={
        "type": "object",
        "properties": {
            "results": {"type": "array", "minItems": 1, "maxItems": 1000},
            "aggregation_method": {
                "type": "string",
                "enum": ["sum", "average", "merge", "rank"],
                "default": "merge",
            },
        },
        "required": ["results"],
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="workflow",
)
def aggregate_results(
    ctx: ToolContext, *, results: list[Any], aggregation_method: str = "merge"
) -> dict[str, Any]:
    if aggregation_method in ("sum", "average"):
        values = _numbers(results)
        total = sum(values)
        value = total if aggregation_method == "sum" else total / len(values)
        text = f"{aggregation_method} of {len(values)} values: {round(value, 6)}"
    elif aggregation_method == "rank":
        value = sorted(results, key=_score, reverse=True)
        text = f"ranked {len(value)} items; top score {_score(value[0])}"
    else:
        value = _merge(results)
        shape = "an object" if isinstance(value, dict) else "a list"
        text = f"merged {len(results)} items into {shape} of {len(value)}"
    return {
        "summary": text,
        "aggregation_method": aggregation_method,
        "count": len(results),
        "result": value,
    }


@tool(
    name="evaluate_condition",
    description=(
        'Evaluate a condition such as "value > threshold" over the names in context. '
        "Comparisons, and/or/not, arithmetic, in, and subscripts are allowed; attribute "
        "access and function calls are not."
    ),
    parameters={
        "type": "object",
        "properties": {
            "condition": {"type": "string", "minLength": 1, "maxLength": 500},
            "context": {"type": "object"},
        },
        "required": ["condition", "context"],
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="workflow",
)
def evaluate_condition(
    ctx: ToolContext, *, condition: str, context: dict[str, Any]
) -> dict[str, Any]:
    try:
        value = evaluate(condition, context)
    except ExpressionError as exc:
        raise ToolError(
            str(exc), kind="invalid_condition", details={"condition": condition}
        ) from exc
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        value = str(value)
    return {
        "summary": f"{condition} is {bool(value)}",
        "condition": condition,
        "result": bool(value),
        "value": value,
    }


@tool(
    name="execute_branch",
    description=(
        "Run one named branch: its actions (each a tool name in action_type with its "
        "parameters) in order; stops at the first action that fails."
    ),
    parameters={
        "type": "object",
        "properties": {
            "branch_name": {"type": "string", "minLength": 1},
            "actions": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ACTIONS,
                "items": {
                    "type": "object",
                    "properties": {
                        "action_type": {
                            "type": "string",
                            "minLength": 1,
                            "description": "a tool name",
                        },
                        "parameters": {"type": "object"},
                    },
                    "required": ["action_type"],
                },
            },
        },
        "required": ["branch_name", "actions"],
        "additionalProperties": False,
    },
    risk=Risk.MEDIUM,
    side_effects=True,
    category="workflow",
    atomic=False,
    timeout_s=120,
)
def execute_branch(
    ctx: ToolContext, *, branch_name: str, actions: list[dict[str, Any]]
) -> dict[str, Any]:
    results = []
    for index, action in enumerate(actions):
        outcome = _run_one(
            ctx,
            action["action_type"],
            action.get("parameters") or {},
            _key(ctx, f"{branch_name}:{index}"),
        )
        results.append({"index": index, "action_type": action["action_type"], **outcome})
        if not outcome["ok"]:
            break
    ok = all(r["ok"] for r in results) and len(results) == len(actions)
    text = (
        f"branch {branch_name}: all {len(actions)} actions succeeded"
        if ok
        else f"branch {branch_name}: stopped at action {len(results) - 1} "
        f"({results[-1]['action_type']}, {results[-1]['status']})"
    )
    return {"summary": text, "branch_name": branch_name, "completed": ok, "results": results}
