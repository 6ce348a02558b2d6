"""Concurrency: R runs started at once, executed by real Celery worker
processes (Redis broker, PostgreSQL), the model answering each request after
100 ms (a tool-call turn, then the final answer: 2 model turns a run). The
baseline is the ideal bound: concurrency / (2 x latency) runs per second,
as if OWM itself cost nothing. Skipped with a message when Redis or
PostgreSQL cannot be reached."""

from __future__ import annotations

import multiprocessing
import os
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench._django import django_boot, operator_create

ROOT = Path(__file__).resolve().parent.parent
LATENCY_S = 0.1
TURNS = 2


def reachable(url: str) -> bool:
    parts = urlparse(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except OSError:
        return False
    return True


def responder(server: Any) -> Any:
    from tests.fakes.llm_server import DelayedReply, Turn

    def reply(request: dict[str, Any]) -> Any:
        if any(m.get("role") == "tool" for m in request.get("messages", [])):
            return DelayedReply(LATENCY_S, Turn("Stock checked."))
        call = server.tool_calls_reply([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        return DelayedReply(LATENCY_S, call)

    return reply


def _serve(conn: Any) -> None:
    """The scripted model in a process of its own, so that the bench's own
    work (creating runs, polling) never delays its replies through the GIL."""
    from tests.fakes.llm_server import ScriptedLLMServer

    server = ScriptedLLMServer()
    server.responder = responder(server)
    server._httpd.RequestHandlerClass.disable_nagle_algorithm = True
    with server:
        conn.send(server.base_url)
        conn.recv()  # until the bench is done


@contextmanager
def model_server() -> Iterator[str]:
    context = multiprocessing.get_context("fork")  # before Django is set up here
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child,), daemon=True)
    process.start()
    try:
        yield parent.recv()
    finally:
        parent.send("stop")
        process.join(5)
        if process.is_alive():
            process.kill()


def worker_start(concurrency: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/celery"), "-A", "owm", "worker", "-l", "warning",
        "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=dict(os.environ))  # noqa: S603


def _wait_finished(run_ids: list[Any], timeout_s: float) -> int:
    from apps.agents.models import Run

    finished = list(Run.FINISHED)
    deadline = time.monotonic() + timeout_s
    done = 0
    while time.monotonic() < deadline:
        done = Run.objects.filter(pk__in=run_ids, status__in=finished).count()
        if done == len(run_ids):
            break
        time.sleep(0.05)
    return done


def bench_concurrency(
    *, runs: int, concurrency: int, database_url: str, redis_url: str
) -> list[list[str]]:
    label = f"runs/s ({runs} runs, {concurrency} worker processes, 100 ms model)"
    missing = [u for u in (database_url, redis_url) if not reachable(u)]
    if missing:
        return [[label, "SKIPPED", f"unreachable: {', '.join(missing)}", "-", "-"]]
    with model_server() as base_url:
        django_boot(
            database_url=database_url,
            extra_env={
                "REDIS_URL": redis_url,
                "OWM_LLM_BASE_URL": base_url,
                "OWM_LLM_API_KEY": "bench-key",
                "OWM_LLM_MAX_RETRIES": "0",
                "OWM_LLM_STREAM": "false",
                "OWM_LLM_CONCURRENCY": "64",
            },
        )
        return _measure(label, runs, concurrency)


def _measure(label: str, runs: int, concurrency: int) -> list[list[str]]:
    from django.db import connection

    from apps.agents.models import Agent, Run, RunEvent
    from apps.agents.services import run_create
    from apps.inventory.demo import seed_inventory

    seed_inventory()
    agent = Agent.objects.get(slug="inventory")
    user = operator_create()
    connection.close()
    worker = worker_start(concurrency)
    try:
        warm = run_create(agent=agent, user=user, text="warm up")
        if _wait_finished([warm.pk], 60) != 1:
            raise RuntimeError("the worker did not finish a warm-up run in 60 s")
        t0 = time.perf_counter()
        ids = [run_create(agent=agent, user=user, text=f"check stock {n}").pk for n in range(runs)]
        done = _wait_finished(ids, 300)
        elapsed = time.perf_counter() - t0
    finally:
        worker.terminate()
        worker.wait(30)
    ok = Run.objects.filter(pk__in=ids, status=Run.Status.SUCCEEDED).count()
    spans = sorted(
        (r.finished_at - r.started_at).total_seconds()
        for r in Run.objects.filter(pk__in=ids).exclude(finished_at=None).exclude(started_at=None)
    )
    median_s = spans[len(spans) // 2] if spans else float("nan")
    # What the workers saw of the model: if this is well above LATENCY_S, the
    # model server (not OWM) is what limits the runs.
    model_ms = [
        data["duration_ms"]
        for data in RunEvent.objects.filter(run_id__in=ids, type="llm.completed").values_list(
            "data", flat=True
        )
    ]
    model_median = statistics.median(model_ms) if model_ms else float("nan")
    ideal = concurrency / (TURNS * LATENCY_S)
    rate = done / elapsed
    return [
        [
            label,
            f"{ideal:.1f}/s ideal bound (run = {TURNS * LATENCY_S * 1000:.0f} ms)",
            f"{rate:.1f}/s; {ok}/{runs} succeeded; run median {median_s * 1000:.0f} ms "
            f"(model turn median {model_median:.0f} ms)",
            f"{rate / ideal:.2f} of ideal",
            ">= 0.90 of ideal",
        ]
    ]
