"""Per-step cost: one conversation (3 tool turns + a final answer, a trivial
tool, zero model latency) through a bare openai-SDK loop (the baseline) and
through OWM's full path (run_create + run_execute: RBAC, schema validation,
audit entry with its hash chain, live event, metrics). A step is one model
turn with its tool call, if any: 4 steps per conversation."""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench._bare import bare_loop
from bench._django import django_boot, operator_create

TOOL_TURNS = 3
STEPS = TOOL_TURNS + 1
TOOL = "bench_echo"
TOOL_PARAMETERS = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
    "additionalProperties": False,
}


@dataclass
class StepResult:
    baseline_ms: float  # median ms per step, bare loop
    owm_ms: float  # median ms per step, OWM's full path
    conversations: int
    database: str
    queries_per_step: float = 0.0
    profile: str = ""

    @property
    def ratio(self) -> float:
        return self.owm_ms / self.baseline_ms


def responder(server: Any) -> Any:
    """Tool calls until the conversation holds TOOL_TURNS tool results, then text."""

    def reply(request: dict[str, Any]) -> Any:
        done = sum(1 for m in request.get("messages", []) if m.get("role") == "tool")
        if done < TOOL_TURNS:
            return server.tool_calls_reply([(TOOL, {"text": f"ping {done}"})])
        return "All three pings answered."

    return reply


def echo(ctx: Any, *, text: str) -> dict[str, Any]:
    return {"summary": f"echoed {text!r}", "text": text}


def bare_conversation(client: Any) -> None:
    """The baseline: the loop anyone would write with the openai SDK."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a bench agent."},
        {"role": "user", "content": "ping three times"},
    ]
    tools = [{"type": "function", "function": {"name": TOOL, "parameters": TOOL_PARAMETERS}}]
    bare_loop(client, messages, tools, lambda _name, arguments: echo(None, **arguments))


def _owm_setup() -> tuple[Any, Any]:
    from django.contrib.auth.models import Group

    from apps.agents.models import Agent
    from apps.rbac.models import Grant
    from apps.tools.registry import ToolSpec, registry

    registry.register(
        ToolSpec(name=TOOL, description="Echo a text.", parameters=TOOL_PARAMETERS, func=echo)
    )
    user = operator_create()
    Grant.objects.create(
        role=Group.objects.get(name="operator"), tool_name=TOOL, decision=Grant.Decision.ALLOW
    )
    agent = Agent.objects.create(
        slug="bench", name="Bench", system_prompt="You are a bench agent.", tool_names=[TOOL]
    )
    return agent, user


def owm_conversation(agent: Any, user: Any) -> None:
    from apps.agents.services import run_create, run_execute

    run = run_create(agent=agent, user=user, text="ping three times")
    run = run_execute(run_id=str(run.pk))
    if run is None or run.status != "succeeded" or run.iterations != STEPS:
        raise RuntimeError(f"the OWM run did not succeed: {run and (run.status, run.error)}")


def _per_step_ms(fn: Any, conversations: int) -> float:
    samples = []
    for _ in range(conversations):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000 / STEPS)
    return statistics.median(samples)


def _queries(fn: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def _profile(fn: Any, conversations: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(conversations):
        fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"apps/|openai/_client|ssl|sqlite3|psycopg", 30)
    stats.sort_stats("tottime").print_stats(15)
    return out.getvalue()


def bench_step(
    *, conversations: int = 20, database_url: str | None = None, profile: bool = True
) -> StepResult:
    from tests.fakes.llm_server import ScriptedLLMServer

    server = ScriptedLLMServer()
    server.responder = responder(server)
    with server:
        django_boot(
            database_url=database_url,
            extra_env={
                "OWM_LLM_BASE_URL": server.base_url,
                "OWM_LLM_API_KEY": "bench-key",
                "OWM_LLM_MAX_RETRIES": "0",
                "OWM_LLM_STREAM": "false",  # the baseline does not stream either
            },
        )
        import logging

        import openai

        logging.disable(logging.INFO)  # per-request log lines are not what we measure

        client = openai.OpenAI(base_url=server.base_url, api_key="bench-key", max_retries=0)
        agent, user = _owm_setup()
        for _ in range(3):  # warm both paths (imports, connections, caches)
            bare_conversation(client)
            owm_conversation(agent, user)
        # interleave the two so drift on a shared 2-core machine hits both alike
        bare, owm = [], []
        for _ in range(conversations):
            bare.append(_per_step_ms(lambda: bare_conversation(client), 1))
            owm.append(_per_step_ms(lambda: owm_conversation(agent, user), 1))
        result = StepResult(
            baseline_ms=statistics.median(bare),
            owm_ms=statistics.median(owm),
            conversations=conversations,
            database="postgresql" if database_url else "sqlite",
        )
        result.queries_per_step = _queries(lambda: owm_conversation(agent, user)) / STEPS
        if profile and result.ratio > 1.2:
            result.profile = _profile(
                lambda: owm_conversation(agent, user), max(5, conversations // 2)
            )
    return result
