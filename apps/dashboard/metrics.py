"""The Prometheus text exposition (format 0.0.4), written by hand."""

from __future__ import annotations

from typing import Any


def _escape(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: object) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


def _family(lines: list[str], name: str, kind: str, help_text: str) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")


def exposition(snapshot: dict[str, Any]) -> str:
    lines: list[str] = []
    _family(lines, "owm_tool_calls_total", "counter", "Tool calls by tool and final status.")
    for tool, status, n in snapshot["tool_calls"]:
        lines.append(f"owm_tool_calls_total{_labels(tool=tool, status=status)} {n}")
    _family(lines, "owm_tool_call_duration_ms", "summary", "Tool call duration in milliseconds.")
    for tool, total, n in snapshot["tool_durations"]:
        lines.append(f"owm_tool_call_duration_ms_sum{_labels(tool=tool)} {float(total or 0)}")
        lines.append(f"owm_tool_call_duration_ms_count{_labels(tool=tool)} {n}")
    _family(lines, "owm_runs_total", "counter", "Agent runs by agent and status.")
    for agent, status, n in snapshot["runs"]:
        lines.append(f"owm_runs_total{_labels(agent=agent, status=status)} {n}")
    _family(lines, "owm_tokens_total", "counter", "Model tokens by agent and kind.")
    for agent, prompt, completion in snapshot["tokens"]:
        lines.append(f"owm_tokens_total{_labels(agent=agent, kind='prompt')} {prompt or 0}")
        lines.append(f"owm_tokens_total{_labels(agent=agent, kind='completion')} {completion or 0}")
    _family(lines, "owm_cost_usd_total", "counter", "Model cost in US dollars.")
    lines.append(f"owm_cost_usd_total {float(snapshot['cost'])}")
    _family(lines, "owm_approvals_pending", "gauge", "Gated tool calls waiting for a human.")
    lines.append(f"owm_approvals_pending {snapshot['approvals_pending']}")
    _family(lines, "owm_tickets_open", "gauge", "Support tickets open or pending.")
    lines.append(f"owm_tickets_open {snapshot['tickets_open']}")
    return "\n".join(lines) + "\n"
