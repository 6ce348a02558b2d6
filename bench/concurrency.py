"""Concurrency: R runs started at once, executed by real Celery worker
processes (Redis broker, PostgreSQL), the model answering each request after
100 ms (a tool-call turn, then the final answer: 2 model turns a run). Two
baselines: the ideal bound, concurrency / (2 x latency) runs per second, and
the same runs measured first through a bare Celery worker with the openai
SDK and nothing of OWM (bench/bare_worker.py): what this machine, the model
server and Celery allow when OWM's own work costs nothing. Skipped with a
message when Redis or PostgreSQL cannot be reached."""

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


def responder(server: Any, latency_s: float = LATENCY_S) -> Any:
    """A `check_stock_levels` call, then the answer; each after `latency_s`."""
    from tests.fakes.llm_server import DelayedReply, Turn

    def reply(request: dict[str, Any]) -> Any:
        if any(m.get("role") == "tool" for m in request.get("messages", [])):
            return DelayedReply(latency_s, Turn("Stock checked."))
        call = server.tool_calls_reply([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        return DelayedReply(latency_s, call)

    return reply


def _serve(conn: Any) -> None:
    """The scripted model in a process of its own, so that the bench's own
    work (creating runs, polling) never delays its replies through the GIL."""
    from tests.fakes.llm_server import ScriptedLLMServer

    server = ScriptedLLMServer()
    server.responder = responder(server)
    with server:
        conn.send(server.base_url)
        conn.recv()  # until the bench is done


@contextmanager
def model_server() -> Iterator[tuple[str, int]]:
    """(base URL, pid) of the scripted model, served from a child process."""
    context = multiprocessing.get_context("fork")  # before Django is set up here
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child,), daemon=True)
    process.start()
    try:
        yield parent.recv(), process.pid  # type: ignore[misc]
    finally:
        parent.send("stop")
        process.join(5)
        if process.is_alive():
            process.kill()


def _proc_stats() -> dict[int, tuple[int, str, float, float]]:
    """pid -> (ppid, name, own CPU s, reaped children's CPU s), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        own = (int(fields[11]) + int(fields[12])) / tick
        reaped = (int(fields[13]) + int(fields[14])) / tick
        stats[int(entry.name)] = (int(fields[1]), name, own, reaped)
    return stats


def cpu_by_part(worker_pid: int, server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the worker (main + pool processes), the
    scripted model server and PostgreSQL (every backend, live or exited)."""
    stats = _proc_stats()

    def tree(root: int) -> float:
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            if pid in stats:
                total += stats[pid][2] + stats[pid][3]
                todo.extend(p for p, s in stats.items() if s[0] == pid)
        return total

    postgres = sum(own + reaped for _, name, own, reaped in stats.values() if name == "postgres")
    return {"worker": tree(worker_pid), "model server": tree(server_pid), "postgres": postgres}


def worker_start(
    concurrency: int, app: str = "owm", extra: tuple[str, ...] = ()
) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/celery"), "-A", app, "worker", "-l", "warning",
        "--concurrency", str(concurrency), "--without-gossip", "--without-mingle", *extra,
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=dict(os.environ))  # noqa: S603


def bare_measure(*, runs: int, concurrency: int, base_url: str, redis_url: str) -> float:
    """Runs per second of the bare worker (bench/bare_worker.py), started and
    warmed up as OWM's, from the first send to the last finish."""
    os.environ.update(BENCH_REDIS_URL=redis_url, BENCH_MODEL_URL=base_url)
    import redis

    from bench.bare_worker import DONE_KEY, QUEUE, bare_run

    store = redis.Redis.from_url(redis_url)
    store.delete(DONE_KEY, QUEUE)

    def finished(count: int, timeout_s: float) -> list[float]:
        deadline = time.monotonic() + timeout_s
        while store.llen(DONE_KEY) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return [float(t) for t in store.lrange(DONE_KEY, 0, -1)]

    worker = worker_start(concurrency, "bench.bare_worker", ("-Q", QUEUE))
    try:
        bare_run.delay("warm up")
        if len(finished(1, 60)) != 1:
            raise RuntimeError("the bare worker did not finish a warm-up run in 60 s")
        store.delete(DONE_KEY)
        t0 = time.time()
        for n in range(runs):
            bare_run.delay(f"check stock {n}")
        done = finished(runs, 300)
    finally:
        worker.terminate()
        worker.wait(30)
        store.delete(DONE_KEY, QUEUE)
    if len(done) != runs:
        raise RuntimeError(f"the bare worker finished {len(done)} of {runs} runs")
    return runs / (max(done) - t0)


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
    with model_server() as (base_url, server_pid):
        bare = bare_measure(
            runs=runs, concurrency=concurrency, base_url=base_url, redis_url=redis_url
        )
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
        return _measure(label, runs, concurrency, server_pid, bare)


def _measure(
    label: str, runs: int, concurrency: int, server_pid: int, bare: float
) -> list[list[str]]:
    from django.db import connection
    from django.db.models import Max

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
        cpu_before = cpu_by_part(worker.pid, server_pid)
        own_before = time.process_time()
        t0 = time.time()
        ids = [run_create(agent=agent, user=user, text=f"check stock {n}").pk for n in range(runs)]
        done = _wait_finished(ids, 300)
        last = Run.objects.filter(pk__in=ids).aggregate(last=Max("finished_at"))["last"]
        elapsed = (last.timestamp() if last else time.time()) - t0
        cpu = {k: v - cpu_before[k] for k, v in cpu_by_part(worker.pid, server_pid).items()}
        cpu["bench (run_create, polling)"] = time.process_time() - own_before
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
    phases = _phases(ids)
    ideal = concurrency / (TURNS * LATENCY_S)
    rate = done / elapsed
    cores = os.cpu_count() or 1
    per_run = {part: seconds * 1000 / max(done, 1) for part, seconds in cpu.items()}
    total_ms = sum(per_run.values())
    breakdown = ", ".join(f"{part} {ms:.0f}" for part, ms in per_run.items())
    return [
        [
            f"runs/s, bare Celery worker + openai SDK, no OWM ({runs} runs, {concurrency} "
            "worker processes)",
            f"{ideal:.1f}/s ideal bound",
            f"{bare:.1f}/s",
            f"{bare / ideal:.2f} of ideal",
            "-",
        ],
        [
            label,
            f"{ideal:.1f}/s ideal bound (run = {TURNS * LATENCY_S * 1000:.0f} ms); "
            f"{bare:.1f}/s bare worker",
            f"{rate:.1f}/s; {ok}/{runs} succeeded; run median {median_s * 1000:.0f} ms "
            f"(model turn median {model_median:.0f} ms)",
            f"{rate / ideal:.2f} of ideal; {rate / bare:.2f} of bare",
            ">= 0.90 of ideal",
        ],
        [
            "CPU per run (ms), all processes",
            f"{cores} cores: at most {cores * 1000 / total_ms:.1f} runs/s at this cost",
            f"{total_ms:.0f} ms: {breakdown}",
            "-",
            "-",
        ],
        [
            "where a run's time goes (median ms between its events)",
            f"model turns {model_median:.0f} ms each",
            phases,
            "-",
            "-",
        ],
    ]


def _phases(run_ids: list[Any]) -> str:
    """Median time between consecutive events of a run, by event pair: the
    model turns show up as llm.completed minus what precedes it."""
    from apps.agents.models import RunEvent

    gaps: dict[str, list[float]] = {}
    previous: dict[Any, tuple[str, Any]] = {}
    events = RunEvent.objects.filter(run_id__in=run_ids).order_by("run_id", "seq")
    for run_id, kind, at in events.values_list("run_id", "type", "created_at"):
        if run_id in previous and previous[run_id][0] != "run.queued":
            before, then = previous[run_id]
            gaps.setdefault(f"{before} -> {kind}", []).append((at - then).total_seconds() * 1000)
        previous[run_id] = (kind, at)
    return "; ".join(f"{pair} {statistics.median(ms):.1f}" for pair, ms in gaps.items())
