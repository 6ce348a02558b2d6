"""The rules tools: check which business rules hold for some metrics, and run
one business action. Bodies are thin: they call the rules services/actions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from apps.rules import services
from apps.rules.actions import ACTION_NAMES, ACTIONS
from apps.tools.registry import Risk, ToolContext, ToolError, tool


def _check_summary(report: list[dict[str, Any]]) -> str:
    holding = [r for r in report if r["holds"]]
    text = f"{len(holding)} of {len(report)} rules hold"
    if holding:
        text += ": " + "; ".join(
            f"{r['rule']} ({', '.join(f'{k}={v:g}' for k, v in r['decided_by'].items())}"
            f" -> {', '.join(r['actions'])})"
            for r in holding
        )
    incomplete = [r for r in report if r["missing_metrics"]]
    if incomplete:
        text += ". Not decidable for lack of metrics: " + "; ".join(
            f"{r['rule']} needs {', '.join(r['missing_metrics'])}" for r in incomplete
        )
    return text + "."


@tool(
    name="check_business_rules",
    description=(
        "Check which business rules hold for the given metric values, e.g. "
        '{"error_count": 14, "response_time": 900, "sla_threshold": 500} or '
        '{"inventory_level": 12, "reorder_point": 40}. Reports for each rule whether it '
        "holds, the metric values that decided and the metrics it is missing, and the "
        "actions it would run. It does NOT run any action."
    ),
    parameters={
        "type": "object",
        "properties": {
            "metrics": {
                "type": "object",
                "description": 'Metric name to number, e.g. {"error_count": 14}.',
                "additionalProperties": {"type": "number"},
            }
        },
        "required": ["metrics"],
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="rules",
)
def check_business_rules(ctx: ToolContext, *, metrics: dict[str, Any]) -> dict[str, Any]:
    try:
        clean = services.metrics_clean(metrics)
    except ValidationError as exc:
        raise ToolError("; ".join(exc.messages), kind="invalid_metrics") from exc
    report = services.rules_check(metrics=clean)
    return {
        "summary": _check_summary(report),
        "rules": report,
        "holding": [r["rule"] for r in report if r["holds"]],
        "metrics": clean,
    }


@tool(
    name="execute_business_action",
    description=(
        "Run one business action now. action_name is one of: "
        + ", ".join(ACTION_NAMES)
        + ". context carries what the action needs: generate_purchase_order and "
        "notify_supplier need product_id (a SKU such as SKU-1001; optional quantity, "
        "supplier_id); create_ticket, send_alert and notify_manager take a message and a "
        "severity (info, warning, critical); scale_resources, optimize_queries and "
        "monitor_metrics post to the operations webhook. Acts outside OWM: use it only "
        "when the user asks for the action."
    ),
    parameters={
        "type": "object",
        "properties": {
            "action_name": {"type": "string", "enum": ACTION_NAMES},
            "context": {
                "type": "object",
                "description": 'What the action needs, e.g. {"product_id": "SKU-1001"}.',
            },
        },
        "required": ["action_name", "context"],
        "additionalProperties": False,
    },
    risk=Risk.HIGH,
    side_effects=True,
    category="rules",
    atomic=False,
)
def execute_business_action(
    ctx: ToolContext, *, action_name: str, context: dict[str, Any]
) -> dict[str, Any]:
    context = dict(context)
    if ctx.idempotency_key and not context.get("idempotency_key"):
        context["idempotency_key"] = ctx.idempotency_key
    result = ACTIONS[action_name](context=context, actor=ctx.actor)
    return {"action": action_name, **result}
