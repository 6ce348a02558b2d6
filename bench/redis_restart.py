"""Redis restart: the deployment mode (PostgreSQL, a PRIVATE redis-server on its
own port as channel layer and Celery broker, `manage.py runserver --noreload`
(daphne), one real `celery -A owm worker --concurrency C` and one `celery -A owm
beat`) with R runs of the inventory agent and K websocket clients watching them.
While runs are in flight (C running on the worker, the rest queued in Redis) the
bench stops Redis (SIGTERM; started with `--save "" --appendonly no`, so
everything in it is lost), creates one more run through the API while it is
down, and starts it again on the same port after `--redis-down` seconds.

Each run asks the scripted model for `create_purchase_order` (a fixed call id
per conversation; the run's user is a superuser, so no approval), then for
`check_stock_levels` a few times, then answers; every model turn takes
TURN_S. Each client behaves like the run page (static/js/run.js): on a closed
socket it reconnects with `?after=<last seq>`, every HEARTBEAT_S it sends
{"type": "resync", "after": <last seq>}, and a frame past a gap triggers a
resync instead of being accepted.

Checked afterwards: every run succeeded; every client holds its run's RunEvent
rows exactly once, in seq order, with no gap (frames compared to the database);
one PurchaseOrder per run and no ToolCall executed twice; `audit_verify` ok.
Needs the `websockets` package (not a project dependency)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench._django import django_boot
from bench._ports import free_port, port_wait

ROOT = Path(__file__).resolve().parent.parent
TURN_S = 0.8  # every model turn
STOCK_TURNS = 3  # check_stock_levels turns after the purchase order
HEARTBEAT_S = 15.0  # as static/js/run.js (RESYNC_MS)
STALE_S = 8  # OWM_RUN_STALE_SECONDS for this bench (the product default is longer)
OUTAGE_RUN = 999  # the run created through the API while Redis is down


def responder(server: Any) -> Any:
    from tests.fakes.llm_server import DelayedReply, Turn

    def reply(request: dict[str, Any]) -> Any:
        messages = request.get("messages", [])
        done = sum(1 for m in messages if m.get("role") == "tool")
        text = " ".join(str(m.get("content")) for m in messages if m.get("role") == "user")
        n = int((re.findall(r"#(\d+)", text) or ["0"])[-1])
        if done == 0:
            items = [{"product_id": "SKU-1001", "quantity": 10 + n}]
            args = {"supplier_id": "SUP-001", "items": items}
            call = ("create_purchase_order", args, "functions.create_purchase_order:0")
        elif done <= STOCK_TURNS:
            stock = {"product_ids": ["SKU-1001"]}
            call = ("check_stock_levels", stock, f"functions.check_stock_levels:{done}")
        else:
            return DelayedReply(TURN_S, Turn(f"Ordered and checked (#{n})."))
        return DelayedReply(TURN_S, server.tool_calls_reply([call]))

    return reply


# --- processes ------------------------------------------------------------------------------


@dataclass
class Procs:
    logs: Path
    redis_port: int
    redis: subprocess.Popen | None = None
    others: list[subprocess.Popen] = field(default_factory=list)

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.others.append(process)
        return process

    def redis_start(self) -> None:
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.redis_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]  # fmt: skip
        log = (self.logs / "redis.log").open("ab")
        self.redis = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        _wait_port(self.redis_port, 10)

    def redis_stop(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.send_signal(signal.SIGTERM)  # no save: --save "" --appendonly no
            self.redis.wait(10)

    def stop_all(self) -> None:
        for process in reversed(self.others):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.others):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        self.redis_stop()


def _wait_port(port: int, timeout_s: float) -> None:
    if not port_wait(port, timeout_s):
        raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def _services_start(procs: Procs, concurrency: int) -> int:
    env = dict(os.environ)
    celery = str(ROOT / ".venv/bin/celery")
    procs.spawn(
        "worker",
        [celery, "-A", "owm", "worker", "-l", "info", "--concurrency", str(concurrency),
         "--without-gossip", "--without-mingle"],
        env,
    )  # fmt: skip
    schedule = str(procs.logs / "celerybeat-schedule")
    procs.spawn("beat", [celery, "-A", "owm", "beat", "-l", "info", "-s", schedule], env)
    port = free_port()
    runserver = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    procs.spawn("web", runserver, env)
    _wait_port(port, 30)
    return port


# --- clients --------------------------------------------------------------------------------


@dataclass
class Watch:
    """What one websocket client saw of one run."""

    run_id: str
    accepted: list[dict[str, Any]] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)  # every seq as received
    duplicates: int = 0  # frames at or below the last accepted seq
    gaps: int = 0  # frames past last + 1 (not accepted; a resync is asked)
    connects: int = 0
    refused: int = 0  # connection attempts that failed before the socket opened
    late_ms: list[tuple[float, float]] = field(default_factory=list)  # (event ts, receipt - ts)
    done: bool = False

    @property
    def last(self) -> int:
        return self.accepted[-1]["seq"] if self.accepted else 0

    def take(self, event: dict[str, Any]) -> str:
        seq = event["seq"]
        self.frames.append(seq)
        if seq <= self.last:
            self.duplicates += 1
            return "old"
        if seq > self.last + 1:
            self.gaps += 1
            return "gap"
        self.accepted.append(event)
        ts = datetime.fromisoformat(event["ts"]).timestamp()
        self.late_ms.append((ts, (time.time() - ts) * 1000))
        self.done = event["type"] == "run.finished"
        return "ok"


async def _session(ws: Any, watch: Watch) -> None:
    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            await ws.send(json.dumps({"type": "resync", "after": watch.last}))

    beat = asyncio.create_task(heartbeat())
    try:
        async for raw in ws:
            event = json.loads(raw)
            if not isinstance(event.get("seq"), int) or event.get("type") == "pong":
                continue
            if watch.take(event) == "gap":
                await ws.send(json.dumps({"type": "resync", "after": watch.last}))
            if watch.done:
                return
    finally:
        beat.cancel()


async def _watch(port: int, token: str, watch: Watch, deadline: float) -> None:
    import websockets

    attempts = 0
    while not watch.done and time.monotonic() < deadline:
        url = f"ws://127.0.0.1:{port}/ws/runs/{watch.run_id}/?after={watch.last}&token={token}"
        try:
            async with websockets.connect(
                url, origin=f"http://127.0.0.1:{port}", open_timeout=5
            ) as ws:
                watch.connects += 1
                attempts = 0
                await _session(ws, watch)
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
            pass
        if watch.done:
            return
        if watch.connects == 0 or attempts:
            watch.refused += 1
        attempts += 1
        await asyncio.sleep(min(4.0, 0.2 * 2**attempts))  # run.js: min(8 s, 0.4 s x 2^n)


# --- the fault ------------------------------------------------------------------------------


def _in_flight(run_ids: list[str]) -> tuple[int, int, int]:
    """(running, queued, purchase orders created) for the runs."""
    from django.db import connection

    from apps.agents.models import Run
    from apps.tools.models import ToolCall

    runs = Run.objects.filter(pk__in=run_ids)
    result = (
        runs.filter(status=Run.Status.RUNNING).count(),
        runs.filter(status=Run.Status.QUEUED).count(),
        ToolCall.objects.filter(
            run_id__in=run_ids, tool_name="create_purchase_order", status="succeeded"
        ).count(),
    )
    connection.close()
    return result


@dataclass
class Outage:
    running: int = 0
    queued: int = 0
    stopped_at: float = 0.0
    back_at: float = 0.0
    back_wall: float = 0.0  # time.time() when Redis accepted connections again
    created_status: int = 0  # POST /api/runs/ while Redis was down


def _post(port: int, path: str, body: dict[str, Any], token: str = "") -> tuple[int, Any]:
    """(HTTP status, JSON body or None) of a POST to the server."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request("POST", path, json.dumps(body), headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if response.status < 300 else None
    finally:
        connection.close()


def _post_ok(port: int, path: str, body: dict[str, Any], token: str = "") -> Any:
    status, data = _post(port, path, body, token)
    if data is None:
        raise RuntimeError(f"POST {path}: {status}")
    return data


def _create_status(port: int, token: str) -> int:
    """POST a run while Redis is down; the HTTP status (the run may exist anyway)."""
    body = {"agent": "inventory", "input": f"order #{OUTAGE_RUN}"}
    return _post(port, "/api/runs/", body, token)[0]


async def _restart_redis(
    procs: Procs, run_ids: list[str], options: dict[str, Any], port: int, token: str
) -> Outage:
    """Stop Redis once the worker is busy and a purchase order exists; create one
    run while it is down; start it again."""
    concurrency, down_s = options["concurrency"], options["down_s"]
    outage = Outage()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running, _queued, orders = await asyncio.to_thread(_in_flight, run_ids)
        if running >= concurrency and orders >= 1:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(TURN_S / 2)  # inside a model turn
    outage.running, outage.queued, _ = await asyncio.to_thread(_in_flight, run_ids)
    await asyncio.to_thread(procs.redis_stop)
    outage.stopped_at = time.monotonic()
    outage.created_status = await asyncio.to_thread(_create_status, port, token)
    await asyncio.sleep(max(0.0, down_s - (time.monotonic() - outage.stopped_at)))
    await asyncio.to_thread(procs.redis_start)
    outage.back_at = time.monotonic()
    outage.back_wall = time.time()
    return outage


def _outage_run_id() -> str:
    from django.db import connection

    from apps.agents.models import Run

    run_id = str(Run.objects.get(input=f"order #{OUTAGE_RUN}").pk)
    connection.close()
    return run_id


def _runs_finished(run_ids: list[str]) -> int:
    from django.db import connection

    from apps.agents.models import Run

    done = Run.objects.filter(pk__in=run_ids, status__in=list(Run.FINISHED)).count()
    connection.close()
    return done


async def _drive(
    port: int, token: str, procs: Procs, options: dict[str, Any]
) -> tuple[list[str], list[Watch], Outage, float]:
    run_ids = [
        _post_ok(port, "/api/runs/", {"agent": "inventory", "input": f"order #{n}"}, token)["id"]
        for n in range(options["runs"])
    ]
    deadline = time.monotonic() + options["timeout_s"]
    watches = [Watch(run_ids[i % len(run_ids)]) for i in range(options["clients"])]
    clients = [asyncio.create_task(_watch(port, token, w, deadline)) for w in watches]
    outage = await _restart_redis(procs, run_ids, options, port, token)
    run_ids.append(await asyncio.to_thread(_outage_run_id))
    while time.monotonic() < deadline:
        if await asyncio.to_thread(_runs_finished, run_ids) == len(run_ids):
            break
        await asyncio.sleep(0.2)
    all_done_s = time.monotonic() - outage.back_at
    await asyncio.wait(clients, timeout=max(1.0, deadline - time.monotonic()))
    for task in clients:
        task.cancel()
    return run_ids, watches, outage, all_done_s


# --- checks ---------------------------------------------------------------------------------


def _client_check(watch: Watch, db_events: list[tuple[int, str]]) -> str | None:
    """None when the client holds exactly the run's events, in order; else why not."""
    got = [(e["seq"], e["type"]) for e in watch.accepted]
    if got == db_events and watch.done and watch.gaps == 0 and watch.duplicates == 0:
        return None
    if got != db_events:
        missing = sorted({s for s, _ in db_events} - {s for s, _ in got})
        return f"accepted {len(got)}/{len(db_events)} events (missing seqs {missing[:8]})"
    if not watch.done:
        return "never saw run.finished"
    return f"{watch.gaps} gap frame(s), {watch.duplicates} duplicate frame(s)"


def _checks(run_ids: list[str], watches: list[Watch]) -> dict[str, Any]:
    from django.db.models import Count

    from apps.agents.models import Run, RunEvent
    from apps.tools.models import ToolCall

    runs = Run.objects.filter(pk__in=run_ids)
    events = {
        rid: list(RunEvent.objects.filter(run_id=rid).order_by("seq").values_list("seq", "type"))
        for rid in run_ids
    }
    problems = [p for w in watches if (p := _client_check(w, events[w.run_id]))]
    calls = ToolCall.objects.filter(run_id__in=run_ids)
    doubled = calls.values("run_id", "tool_call_id").annotate(n=Count("id")).filter(n__gt=1).count()
    types = RunEvent.objects.filter(run_id__in=run_ids).values_list("type", flat=True)
    return {
        "outage_run": runs.get(pk=run_ids[-1]).status,
        "succeeded": runs.filter(status=Run.Status.SUCCEEDED).count(),
        "statuses": sorted(set(runs.values_list("status", flat=True))),
        "errors": sorted({e for e in runs.values_list("error", flat=True) if e})[:3],
        "problems": problems,
        "calls": calls.filter(status=ToolCall.Status.SUCCEEDED).count(),
        "call_errors": sorted(
            {
                e[:120]
                for e in calls.exclude(status=ToolCall.Status.SUCCEEDED).values_list(
                    "error", flat=True
                )
            }
        ),
        "doubled": doubled,
        "resumed": sum(1 for t in types if t == "run.resumed"),
        "requeued": sum(1 for t in types if t == "run.requeued"),
        "events": sum(len(v) for v in events.values()),
    }


def _audit() -> str:
    from django.core.management import call_command

    try:
        call_command("audit_verify", verbosity=0)
    except BaseException as exc:
        return f"FAILED: {exc}"
    return "ok"


def _log_count(procs: Procs, name: str, needle: str) -> int:
    path = procs.logs / f"{name}.log"
    return path.read_text(errors="replace").count(needle) if path.exists() else 0


# --- entry ----------------------------------------------------------------------------------


def bench_redis(
    *, runs: int, clients: int, down_s: float, concurrency: int, database_url: str, redis_port: int
) -> list[list[str]]:
    from bench.concurrency import reachable

    label = f"Redis restarted mid-run ({runs} runs, {clients} clients, {down_s:g} s down)"
    skip = _skip_reason(database_url, redis_port, reachable)
    if skip:
        return [[label, "SKIPPED", skip, "-", "-"]]
    from tests.fakes.llm_server import ScriptedLLMServer

    procs = Procs(logs=Path(tempfile.mkdtemp(prefix="owm-bench-redis-")), redis_port=redis_port)
    server = ScriptedLLMServer()
    server.responder = responder(server)
    options = {
        "runs": runs, "clients": clients, "down_s": down_s, "concurrency": concurrency,
        "timeout_s": 120 + runs * (STOCK_TURNS + 2) * TURN_S,
    }  # fmt: skip
    with server:
        procs.redis_start()
        try:
            return _measure(label, procs, server.base_url, database_url, options)
        finally:
            procs.stop_all()
            print(f"redis bench logs: {procs.logs}", file=sys.stderr)


def _skip_reason(database_url: str, redis_port: int, reachable: Any) -> str | None:
    try:
        import websockets  # noqa: F401
    except ImportError:
        return "websockets not installed (.venv/bin/pip install websockets)"
    if not reachable(database_url):
        return f"unreachable: {database_url}"
    if shutil.which("redis-server") is None:
        return "no redis-server on PATH"
    if reachable(f"redis://127.0.0.1:{redis_port}"):
        return f"port {redis_port} is taken: the bench starts (and stops) its own Redis there"
    return None


def _measure(
    label: str, procs: Procs, llm_url: str, database_url: str, options: dict[str, Any]
) -> list[list[str]]:
    django_boot(
        database_url=database_url,
        extra_env={
            "REDIS_URL": f"redis://127.0.0.1:{procs.redis_port}/0",
            "OWM_LLM_BASE_URL": llm_url,
            "OWM_LLM_API_KEY": "bench-key",
            "OWM_LLM_MAX_RETRIES": "0",
            "OWM_LLM_STREAM": "false",
            "OWM_RUN_STALE_SECONDS": str(STALE_S),
            "OWM_RUN_REQUEUE_INTERVAL": "2",
        },
    )
    from django.contrib.auth.models import User
    from django.db import connection

    from apps.inventory.demo import seed_inventory
    from apps.inventory.models import PurchaseOrder

    seed_inventory()
    User.objects.create_superuser("bench-admin", "admin@example.com", "bench-admin-pass")
    seeded = PurchaseOrder.objects.count()
    connection.close()
    port = _services_start(procs, options["concurrency"])
    credentials = {"username": "bench-admin", "password": "bench-admin-pass"}
    token = _post_ok(port, "/api/auth/token", credentials)["access"]
    t0 = time.monotonic()
    run_ids, watches, outage, all_done_s = asyncio.run(_drive(port, token, procs, options))
    elapsed = time.monotonic() - t0
    result = _checks(run_ids, watches)
    result["orders"] = PurchaseOrder.objects.count() - seeded
    result["audit"] = _audit()
    result["broadcast_failures"] = _log_count(procs, "worker", "could not broadcast")
    return _rows(label, options, outage, watches, result, elapsed, all_done_s)


def _percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    p50 = values[len(values) // 2]
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return f"{p50:.0f} / {p99:.0f} / {values[-1]:.0f} ms"


def _rows(
    label: str,
    options: dict[str, Any],
    outage: Outage,
    watches: list[Watch],
    result: dict[str, Any],
    elapsed: float,
    all_done_s: float,
) -> list[list[str]]:
    runs, clients = options["runs"] + 1, options["clients"]
    ok_clients = clients - len(result["problems"])
    late = sorted(ms for w in watches for _ts, ms in w.late_ms)
    after = sorted(ms for w in watches for ts, ms in w.late_ms if ts >= outage.back_wall)
    reconnects = sum(max(0, w.connects - 1) for w in watches)
    problems = "; ".join(result["problems"][:3])
    expected_calls = runs * (1 + STOCK_TURNS)
    return [
        [label, f"{outage.running} running, {outage.queued} queued at the stop", "-", "-", "-"],
        [
            "run created while Redis was down",
            "-",
            f"POST /api/runs/ answered {outage.created_status}; the run {result['outage_run']}",
            "-",
            "201, succeeded",
        ],
        [
            "runs completed",
            f"{runs} runs ({runs - 1} before the stop, 1 during it)",
            f"{result['succeeded']}/{runs} succeeded (statuses: {', '.join(result['statuses'])}); "
            f"last {all_done_s:.1f} s after Redis was back; {elapsed:.1f} s in all"
            + (f"; errors: {result['errors']}" if result["errors"] else ""),
            "-",
            "all succeeded",
        ],
        [
            "clients with every event once, in order, no gap",
            f"{clients} clients, {result['events']} events in the database",
            f"{ok_clients}/{clients}; {reconnects} reconnects, "
            f"{sum(w.refused for w in watches)} refused attempts"
            + (f"; {problems}" if problems else ""),
            "-",
            "all clients",
        ],
        [
            "event lateness (receipt - ts), p50 / p99 / max",
            "all events",
            _percentiles(late),
            "-",
            "-",
        ],
        [
            "event lateness, events after Redis was back",
            f"{len(after)} receipts",
            _percentiles(after),
            "-",
            "-",
        ],
        [
            "tool side effects",
            f"{runs} orders, {expected_calls} tool calls expected",
            f"{result['orders']} orders, {result['calls']} calls, "
            f"{result['doubled']} call ids executed twice"
            + (f"; failed calls: {result['call_errors']}" if result["call_errors"] else ""),
            f"{result['orders'] - runs:+d}",
            "= expected, none twice",
        ],
        [
            "recovery",
            "-",
            f"{result['requeued']} run.requeued, {result['resumed']} run.resumed events; "
            f"{result['broadcast_failures']} broadcasts failed (logged)",
            "-",
            "-",
        ],
        ["audit chain (audit_verify)", "-", result["audit"], "-", "ok"],
    ]
