"""Faults: SIGKILL a real Celery worker (the whole process group: the main
process and its pool child) in the middle of a tool call, N times, restarting
it each time. Every run asks the scripted model for `slow_purchase_order`
(bench/faulttools: the real create_purchase_order between two 0.5 s pauses,
committing its order mid-call; the run's user is a superuser, so the default
RBAC policy allows it without approval). While such a call is running, the
bench waits a random 0.05-0.95 s and kills the worker: before the order
exists or after it exists but before the call is recorded. Afterwards every
run must have succeeded, there must be exactly one PurchaseOrder per run, and
`manage.py audit_verify` must pass. Redis + PostgreSQL; skipped with a message
when either cannot be reached."""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bench._django import django_boot

ROOT = Path(__file__).resolve().parent.parent
TOOL = "slow_purchase_order"


def responder(server: Any) -> Any:
    from tests.fakes.llm_server import DelayedReply, Turn

    def reply(request: dict[str, Any]) -> Any:
        messages = request.get("messages", [])
        if any(m.get("role") == "tool" for m in messages):
            return DelayedReply(0.1, Turn("Purchase order created."))
        text = " ".join(str(m.get("content")) for m in messages if m.get("role") == "user")
        n = int((re.findall(r"#(\d+)", text) or ["0"])[-1])
        args = {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 10 + n}]}
        # a fixed call id per conversation, as Kimi numbers them: a re-asked
        # first turn (killed before its answer was stored) names the same call
        return DelayedReply(
            0.2,
            server.tool_calls_reply([(TOOL, args, f"functions.{TOOL}:0")]),
        )

    return reply


def worker_start() -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/celery"),
        "-A",
        "owm",
        "worker",
        "-l",
        "warning",
        "--concurrency",
        "1",
        "--without-gossip",
        "--without-mingle",
    ]
    return subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=dict(os.environ), start_new_session=True
    )


def worker_kill(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(30)


def bench_faults(*, kills: int, database_url: str, redis_url: str) -> list[list[str]]:
    from bench.concurrency import reachable

    label = f"worker SIGKILLed mid tool call x{kills} (Redis + PostgreSQL, 1 worker)"
    missing = [u for u in (database_url, redis_url) if not reachable(u)]
    if missing:
        return [[label, "SKIPPED", f"unreachable: {', '.join(missing)}", "-", "-"]]
    from tests.fakes.llm_server import ScriptedLLMServer

    server = ScriptedLLMServer()
    server.responder = responder(server)
    with server:
        django_boot(
            database_url=database_url,
            extra_env={
                "DJANGO_SETTINGS_MODULE": "bench.faults_settings",
                "REDIS_URL": redis_url,
                "OWM_LLM_BASE_URL": server.base_url,
                "OWM_LLM_API_KEY": "bench-key",
                "OWM_LLM_MAX_RETRIES": "0",
                "OWM_LLM_STREAM": "false",
            },
        )
        _flush_redis(redis_url)
        return _measure(label, kills)


def _flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def _killable(run_ids: list[Any], since: Any, killed: set[str]) -> Any:
    """A running call of the slow tool that this worker started, in a run not
    killed before (each kill hits a fresh run, so each resume is tested)."""
    from apps.tools.models import ToolCall

    return (
        ToolCall.objects.filter(
            run_id__in=[run_id for run_id in run_ids if str(run_id) not in killed],
            tool_name=TOOL,
            status=ToolCall.Status.RUNNING,
            started_at__gte=since,
        )
        .values_list("run_id", "tool_call_id")
        .first()
    )


def _measure(label: str, kills: int) -> list[list[str]]:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from apps.agents.models import Agent, Run
    from apps.agents.services import run_create
    from apps.inventory.demo import seed_inventory
    from apps.inventory.models import PurchaseOrder

    seed_inventory()
    agent = Agent.objects.create(
        slug="bench-faults", name="Bench faults", system_prompt="Order stock.", tool_names=[TOOL]
    )
    user = User.objects.create_superuser("bench-admin", "admin@example.com", "bench-admin-pass")
    runs = kills + 2
    seeded = PurchaseOrder.objects.count()  # the demo's own orders
    ids = [run_create(agent=agent, user=user, text=f"order stock #{n}").pk for n in range(runs)]
    connection.close()
    done_kills = 0
    killed_runs: set[str] = set()
    after_write = 0  # kills that landed after the order was committed
    chance = random.Random(8)  # noqa: S311  # reproducible kill points, not crypto
    from django.utils import timezone

    t0 = time.perf_counter()
    since = timezone.now()
    worker = worker_start()
    try:
        deadline = time.monotonic() + 60 * (kills + 1)
        while done_kills < kills and time.monotonic() < deadline:
            victim = _killable(ids, since, killed_runs)
            if victim is None:
                time.sleep(0.02)
                continue
            time.sleep(chance.uniform(0.05, 0.95))  # inside the 1 s call
            worker_kill(worker)
            done_kills += 1
            run_id, call_id = victim
            killed_runs.add(str(run_id))
            key = f"{run_id}:{call_id}"
            after_write += PurchaseOrder.objects.filter(idempotency_key=key).exists()
            since = timezone.now()
            worker = worker_start()
        finished = list(Run.FINISHED)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if Run.objects.filter(pk__in=ids, status__in=finished).count() == runs:
                break
            time.sleep(0.2)
    finally:
        worker_kill(worker)
    elapsed = time.perf_counter() - t0
    ok = Run.objects.filter(pk__in=ids, status=Run.Status.SUCCEEDED).count()
    statuses = sorted(set(Run.objects.filter(pk__in=ids).values_list("status", flat=True)))
    orders = PurchaseOrder.objects.count() - seeded
    try:
        call_command("audit_verify", verbosity=0)
        audit = "ok"
    except BaseException as exc:
        audit = f"FAILED: {exc}"
    return [
        [
            label,
            f"{kills} kills requested",
            f"{done_kills} done, in {len(killed_runs)} distinct runs; {after_write} after "
            "the order was written, the rest before",
            "-",
            "= requested",
        ],
        [
            "runs completed",
            f"{runs} runs",
            f"{ok}/{runs} succeeded (statuses: {', '.join(statuses)}) in {elapsed:.1f} s",
            "-",
            "all succeeded",
        ],
        [
            "PurchaseOrders",
            f"{runs} expected",
            f"{orders} created by the runs",
            f"{orders - runs:+d}",
            "= expected",
        ],
        ["audit chain (audit_verify)", "-", audit, "-", "ok"],
    ]
