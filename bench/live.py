"""Live events: a real server and K websocket clients on /ws/runs/<id>/
(authenticated with `?token=<access JWT>` from POST /api/auth/token as
operator), spread over R runs started through the API.

Two modes:
* embedded (default): `manage.py runserver --noreload` (daphne) with the
  in-process worker and the in-memory channel layer, SQLite in a temp
  OWM_VAR_DIR;
* Redis (`--redis-url`, its own db, FLUSHED): `daphne owm.asgi:application`,
  channels-redis, a real `celery worker` (prefork, one process per run) and
  PostgreSQL (`--database-url`, its schema DROPPED).

The scripted model holds every run's first turn until all clients are
connected and have had their replay, so each measured event is a live one;
then all runs go at once, every model turn answered at once: a stress far
above a real model's pace. With `--turn-ms T` each later turn takes T ms
and run n starts n x T/R ms after the first, as independent runs would.
Latency: a tool.finished event's "ts" (RunEvent.created_at, taken in the
worker when the event is recorded) to its receipt by a client; same machine,
same clock. All clients share one asyncio loop; its worst lag while the runs
go (a timer that should fire every 5 ms) is reported, as it is part of every
figure. Needs the `websockets` package (not a project dependency:
`.venv/bin/pip install websockets`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench._django import django_boot
from bench._servers import api, server_start, stop, worker_start

ROOT = Path(__file__).resolve().parent.parent
TOOL_TURNS = 3
GATE_TIMEOUT_S = 120.0  # the longest the first model turn waits for the clients
CONNECTS_AT_ONCE = 25  # handshakes in flight: a page load storm, not a SYN flood
SETTLE_S = 0.5  # quiet time after the replays before the runs go
RUN_DEADLINE_S = 90.0
LAG_TICK_S = 0.005


def responder(server: Any, gate: threading.Event, turn_s: float, runs: int) -> Any:
    from tests.fakes.llm_server import DelayedReply, Turn

    def reply(request: dict[str, Any]) -> Any:
        done = sum(1 for m in request.get("messages", []) if m.get("role") == "tool")
        if done == 0:
            gate.wait(GATE_TIMEOUT_S)
            if turn_s:  # independent runs: run n starts n/R of a turn after the first
                text = " ".join(str(m.get("content")) for m in request["messages"])
                n = int((re.findall(r"check stock (\d+)", text) or ["0"])[-1])
                time.sleep(turn_s * n / runs)
        answer = (
            Turn("Stock checked.")
            if done >= TOOL_TURNS
            else server.tool_calls_reply([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        )
        return DelayedReply(turn_s, answer) if done and turn_s else answer

    return reply


@dataclass
class Tally:
    clients: int
    latencies: list[float] = field(default_factory=list)
    connect_s: list[float] = field(default_factory=list)
    connect_errors: list[str] = field(default_factory=list)
    replayed: int = 0  # clients that had their replay (the run's first event)
    finished: int = 0  # clients that saw their run finish
    live: bool = False  # set when the runs are released
    released_at: float = 0.0
    messages: int = 0  # messages received after the release
    last_at: float = 0.0
    lag_ms: float = 0.0
    all_replayed: asyncio.Event = field(default_factory=asyncio.Event)

    def check_replayed(self) -> None:
        if self.replayed == self.clients - len(self.connect_errors):
            self.all_replayed.set()


def _is_end(event: dict[str, Any]) -> bool:
    return event.get("type") == "run.finished" or (
        str(event.get("type", "")).startswith("run.")
        and event.get("data", {}).get("status") in {"succeeded", "failed"}
    )


async def _client(port: int, token: str, run_id: str, tally: Tally, slots: Any) -> None:
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/runs/{run_id}/?token={token}"
    async with slots:
        t0 = time.monotonic()
        try:
            ws = await websockets.connect(
                url, origin=f"http://127.0.0.1:{port}", open_timeout=30, max_queue=None
            )
        except Exception as error:  # counted and reported, never retried
            tally.connect_errors.append(type(error).__name__)
            tally.check_replayed()
            return
        tally.connect_s.append(time.monotonic() - t0)
    async with ws:
        first = True
        async for raw in ws:
            received = time.time()
            event = json.loads(raw)
            if tally.live:
                tally.messages += 1
                tally.last_at = received
            if first:
                first = False
                tally.replayed += 1
                tally.check_replayed()
            if event.get("type") == "tool.finished":
                ts = datetime.fromisoformat(event["ts"]).timestamp()
                tally.latencies.append((received - ts) * 1000)
            if _is_end(event):
                tally.finished += 1
                return


async def _lag_monitor(tally: Tally) -> None:
    while True:
        t0 = time.monotonic()
        await asyncio.sleep(LAG_TICK_S)
        if tally.live:
            tally.lag_ms = max(tally.lag_ms, (time.monotonic() - t0 - LAG_TICK_S) * 1000)


async def _drive(port: int, token: str, clients: int, runs: int, gate: threading.Event) -> Tally:
    run_ids = [
        api(port, "POST", "/api/runs/", {"agent": "inventory", "input": f"check stock {n}"}, token)[
            "id"
        ]
        for n in range(runs)
    ]
    tally = Tally(clients)
    slots = asyncio.Semaphore(CONNECTS_AT_ONCE)
    monitor = asyncio.create_task(_lag_monitor(tally))
    tasks = [
        asyncio.create_task(_client(port, token, run_ids[i % runs], tally, slots))
        for i in range(clients)
    ]
    with contextlib.suppress(TimeoutError):  # then go with whoever is connected
        await asyncio.wait_for(tally.all_replayed.wait(), GATE_TIMEOUT_S - 10)
    await asyncio.sleep(SETTLE_S)
    tally.live = True
    tally.released_at = time.time()
    gate.set()
    _done, pending = await asyncio.wait(tasks, timeout=RUN_DEADLINE_S)
    for task in pending:
        task.cancel()
    monitor.cancel()
    return tally


def bench_live(
    *,
    clients: int,
    turn_ms: int = 0,
    runs: int = 5,
    redis_url: str | None = None,
    database_url: str | None = None,
) -> list[list[str]]:
    mode = "Redis + PostgreSQL" if redis_url else "embedded, SQLite"
    label = f"live event latency ({clients} clients, {mode}, {turn_ms} ms model turns)"
    try:
        import websockets  # noqa: F401
    except ImportError:
        reason = "websockets not installed (.venv/bin/pip install websockets)"
        return [[label, "SKIPPED", reason, "-", "-"]]
    if redis_url:
        from bench.concurrency import reachable

        database_url = database_url or "postgres://postgres@127.0.0.1:5432/owm_bench_live"
        missing = [u for u in (database_url, redis_url) if not reachable(u)]
        if missing:
            return [[label, "SKIPPED", f"unreachable: {', '.join(missing)}", "-", "-"]]
    runs = max(1, min(runs, clients))
    tally = _measure(clients, runs, turn_ms / 1000, redis_url, database_url)
    return _rows(label, tally, runs)


def _measure(
    clients: int, runs: int, turn_s: float, redis_url: str | None, database_url: str | None
) -> Tally:
    from django.core.management import call_command

    from tests.fakes.llm_server import ScriptedLLMServer

    gate = threading.Event()
    server = ScriptedLLMServer()
    server.responder = responder(server, gate, turn_s, runs)
    with server:
        extra_env = {
            "OWM_LLM_BASE_URL": server.base_url,
            "OWM_LLM_API_KEY": "bench-key",
            "OWM_LLM_MAX_RETRIES": "0",
            "OWM_LLM_STREAM": "false",
            "OWM_LLM_TIMEOUT": str(int(GATE_TIMEOUT_S + 30)),
            "OWM_EMBEDDED_WORKER_CONCURRENCY": str(runs),
        }
        if redis_url:
            extra_env["REDIS_URL"] = redis_url
        django_boot(database_url=database_url if redis_url else None, extra_env=extra_env)
        call_command("seed_demo", verbosity=0)
        from django.db import connection

        connection.close()
        processes: list[subprocess.Popen] = []
        try:
            if redis_url:
                import redis

                redis.Redis.from_url(redis_url).flushdb()
                processes.append(worker_start(runs))
            process, port = server_start(redis=bool(redis_url))
            processes.append(process)
            token = api(
                port,
                "POST",
                "/api/auth/token",
                {"username": "operator", "password": "owm-operator-demo"},
            )["access"]
            return asyncio.run(_drive(port, token, clients, runs, gate))
        finally:
            gate.set()
            for process in processes:
                stop(process)


def _rows(label: str, tally: Tally, runs: int) -> list[list[str]]:
    latencies = sorted(tally.latencies)
    expected = tally.clients * TOOL_TURNS
    connects = sorted(tally.connect_s)
    connected = f"{len(connects)}/{tally.clients} connected"
    if tally.connect_errors:
        connected += f" ({len(tally.connect_errors)} failed: {tally.connect_errors[0]})"
    if not latencies:
        reason = f"no tool.finished event received ({connected})"
        return [[label, "FAILED", reason, "-", "p99 < 100 ms"]]
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    met = "met" if p99 < 100 and len(latencies) == expected else "missed"
    span = max(tally.last_at - tally.released_at, 1e-9)
    connect_p99 = connects[min(len(connects) - 1, int(len(connects) * 0.99))] if connects else 0
    return [
        [
            f"{label}, p50",
            f"{runs} runs, {connected}",
            f"{p50:.1f} ms",
            "-",
            "-",
        ],
        [
            f"{label}, p99",
            f"{len(latencies)}/{expected} tool.finished received",
            f"{p99:.1f} ms (max {latencies[-1]:.1f})",
            "-",
            f"p99 < 100 ms, all received ({met})",
        ],
        [
            f"{label}: messages after release",
            f"{tally.finished}/{tally.clients} saw run.finished",
            f"{tally.messages} in {span:.2f} s ({tally.messages / span:.0f}/s)",
            "-",
            "-",
        ],
        [
            f"{label}: clients' loop lag, connect time",
            f"{CONNECTS_AT_ONCE} handshakes at once",
            f"lag max {tally.lag_ms:.1f} ms; connect p99 {connect_p99 * 1000:.0f} ms",
            "-",
            "-",
        ],
    ]
