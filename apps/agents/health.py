"""Endpoint health: reachable, model listed, a tool-call round trip, latency."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from django.utils import timezone

from apps.agents.endpoints import ENV_ENDPOINT, Target, target_for_endpoint, target_from_settings
from apps.agents.llm import LLMError
from apps.agents.models import ModelEndpoint

PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": "echo",
        "description": "Echo the given text back. Always call this tool when asked to.",
        "parameters": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
        },
    },
}


@dataclass
class HealthReport:
    endpoint: str
    ok: bool = False
    steps: list[tuple[str, bool, str]] = field(default_factory=list)
    latency_ms: float | None = None

    def add(self, step: str, ok: bool, detail: str) -> bool:
        self.steps.append((step, ok, detail))
        return ok

    @property
    def message(self) -> str:
        return "; ".join(
            f"{step}: {'ok' if ok else 'FAILED'} ({detail})" for step, ok, detail in self.steps
        )


def endpoint_check(target: Target) -> HealthReport:
    report = HealthReport(endpoint=target.name)
    client = target.client
    started = time.perf_counter()
    try:
        models = client.list_models()  # type: ignore[attr-defined]
    except LLMError as exc:
        report.add("reachable", False, str(exc))
        return report
    report.add("reachable", True, f"{(time.perf_counter() - started) * 1000:.0f} ms")
    listed = client.model in models
    report.add(
        "model listed", listed, client.model if listed else f"{client.model} not in {models[:10]}"
    )
    if not listed:
        return report
    report.ok = _round_trip(client, report)
    return report


def _round_trip(client, report: HealthReport) -> bool:  # type: ignore[no-untyped-def]
    messages: list[dict] = [{"role": "user", "content": "Call the echo tool with the text 'ping'."}]
    started = time.perf_counter()
    try:
        first = client.complete(messages=messages, tools=[PROBE_TOOL])
        if not first.tool_calls:
            return report.add("tool call", False, "the model answered without calling the tool")
        call = first.tool_calls[0]
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError:
            return report.add("tool call", False, f"malformed arguments {call.arguments!r}")
        report.add("tool call", True, f"{call.name}({arguments}) id={call.id}")
        messages += [
            first.as_message(),
            {
                "role": "tool",
                "tool_call_id": call.id,
                "name": call.name,
                "content": json.dumps(arguments),
            },
        ]
        final = client.complete(messages=messages, tools=[PROBE_TOOL])
    except LLMError as exc:
        return report.add("round trip", False, str(exc))
    report.latency_ms = (time.perf_counter() - started) * 1000
    return report.add(
        "round trip",
        True,
        f"answered in {report.latency_ms:.0f} ms: {(final.content or '')[:60]!r}",
    )


def endpoints_for_check(name: str | None) -> list[tuple[ModelEndpoint | None, Target]]:
    if name in (None, ENV_ENDPOINT):
        env = target_from_settings()
        if name == ENV_ENDPOINT or (name is None and env is not None):
            if env is None:
                raise LLMError("OWM_LLM_BASE_URL is not set")
            found: list[tuple[ModelEndpoint | None, Target]] = [(None, env)]
        else:
            found = []
        if name is None:
            found += [
                (e, target_for_endpoint(e)) for e in ModelEndpoint.objects.filter(enabled=True)
            ]
        return found
    endpoint = ModelEndpoint.objects.filter(name=name).first()
    if endpoint is None:
        raise LLMError(f"no endpoint named {name!r}")
    return [(endpoint, target_for_endpoint(endpoint))]


def endpoint_health_save(endpoint: ModelEndpoint, report: HealthReport) -> None:
    endpoint.last_check_at = timezone.now()
    endpoint.last_check_ok = report.ok
    endpoint.last_check_latency_ms = report.latency_ms
    endpoint.last_check_message = report.message[:2000]
    endpoint.save(
        update_fields=[
            "last_check_at",
            "last_check_ok",
            "last_check_latency_ms",
            "last_check_message",
        ]
    )
