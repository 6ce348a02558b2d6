"""Live events: a real server (`manage.py runserver --noreload`, embedded mode:
in-process worker and in-memory channel layer, a temp OWM_VAR_DIR, SQLite,
migrate + seed_demo) and K websocket clients on /ws/runs/<id>/ (authenticated
with `?token=<access JWT>` from POST /api/auth/token as operator). Runs are
started through the API; the scripted model waits before its first turn so
every client is subscribed before the run's events. Latency: each
tool.finished event's "ts" (RunEvent.created_at) to its receipt by a client.
Needs the `websockets` package (not a project dependency: `.venv/bin/pip
install websockets`)."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import time
from datetime import datetime
from typing import Any

from bench._django import django_boot
from bench.webhooks import server_start

FIRST_TURN_DELAY_S = 3.0
TOOL_TURNS = 3


def responder(server: Any) -> Any:
    from tests.fakes.llm_server import DelayedReply, Turn

    def reply(request: dict[str, Any]) -> Any:
        done = sum(1 for m in request.get("messages", []) if m.get("role") == "tool")
        if done >= TOOL_TURNS:
            return Turn("Stock checked.")
        call = server.tool_calls_reply([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        return DelayedReply(FIRST_TURN_DELAY_S, call) if done == 0 else call

    return reply


def _api(port: int, method: str, path: str, body: dict[str, Any], token: str = "") -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, json.dumps(body), headers)
        response = connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data)
    finally:
        connection.close()


async def _client(port: int, token: str, run_id: str, latencies: list[float], ready: Any) -> None:
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/runs/{run_id}/?token={token}"
    async with websockets.connect(url, origin=f"http://127.0.0.1:{port}") as ws:
        ready()
        async for raw in ws:
            received = time.time()
            event = json.loads(raw)
            if event.get("type") == "tool.finished" and event.get("ts"):
                latencies.append(
                    (received - datetime.fromisoformat(event["ts"]).timestamp()) * 1000
                )
            if event.get("type") in {"run.finished", "run.succeeded", "run.failed"} or (
                event.get("type", "").startswith("run.")
                and event.get("data", {}).get("status") in {"succeeded", "failed"}
            ):
                return


async def _drive(port: int, token: str, clients: int, runs: int) -> tuple[list[float], int, float]:
    run_ids = [
        _api(
            port, "POST", "/api/runs/", {"agent": "inventory", "input": f"check stock {n}"}, token
        )["id"]
        for n in range(runs)
    ]
    t0 = time.monotonic()
    latencies: list[float] = []
    connected = 0

    def ready() -> None:
        nonlocal connected
        connected += 1

    tasks = [
        asyncio.create_task(_client(port, token, run_ids[i % runs], latencies, ready))
        for i in range(clients)
    ]
    _done, pending = await asyncio.wait(tasks, timeout=60)
    for task in pending:
        task.cancel()
    return latencies, connected, time.monotonic() - t0


def bench_live(*, clients: int) -> list[list[str]]:
    label = f"live event latency ({clients} websocket clients)"
    try:
        import websockets  # noqa: F401
    except ImportError:
        return [
            [
                label,
                "SKIPPED",
                "websockets not installed (.venv/bin/pip install websockets)",
                "-",
                "-",
            ]
        ]
    from django.core.management import call_command

    from tests.fakes.llm_server import ScriptedLLMServer

    server = ScriptedLLMServer()
    server.responder = responder(server)
    server._httpd.RequestHandlerClass.disable_nagle_algorithm = True
    with server:
        django_boot(
            extra_env={
                "OWM_LLM_BASE_URL": server.base_url,
                "OWM_LLM_API_KEY": "bench-key",
                "OWM_LLM_MAX_RETRIES": "0",
                "OWM_LLM_STREAM": "false",
            }
        )
        call_command("seed_demo", verbosity=0)
        from django.db import connection

        connection.close()
        env = {**os.environ, "OWM_EMBEDDED_WORKER": "true"}
        process, port = server_start("owm.settings", env)
        try:
            token = _api(
                port,
                "POST",
                "/api/auth/token",
                {"username": "operator", "password": "owm-operator-demo"},
            )["access"]
            runs = max(1, min(5, clients))
            latencies, connected, _elapsed = asyncio.run(_drive(port, token, clients, runs))
        finally:
            process.terminate()
            process.wait(30)
    latencies.sort()
    expected = clients * TOOL_TURNS
    if not latencies:
        return [
            [
                label,
                "FAILED",
                f"no tool.finished event received ({connected} connected)",
                "-",
                "p99 < 100 ms",
            ]
        ]
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    met = "met" if p99 < 100 else "missed"
    return [
        [
            f"{label}, p50",
            f"{runs} runs, {connected}/{clients} connected",
            f"{p50:.1f} ms",
            "-",
            "-",
        ],
        [
            f"{label}, p99",
            f"{len(latencies)}/{expected} tool.finished received",
            f"{p99:.1f} ms (max {latencies[-1]:.1f})",
            "-",
            f"p99 < 100 ms ({met})",
        ],
    ]
