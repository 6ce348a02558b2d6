"""The concurrency bench's measured baseline: a Celery app with nothing of OWM
in it. Each task is the run the bench gives OWM (a tool-call turn, the tool
result, the final answer) as anyone would write it with the openai SDK, in a
worker with OWM's worker settings (Redis broker, late acks, prefetch 1,
prefork, the SDK imported before the fork): no database, no RBAC, no schema
check, no audit, no events. What this machine, this model server and Celery
allow when OWM's own work costs nothing.

    BENCH_REDIS_URL=redis://... celery -A bench.bare_worker worker -Q bench-bare
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import Any

import openai
import openai.resources.chat.completions  # before the fork, as OWM's worker
import redis
from celery import Celery

from bench._bare import bare_loop

QUEUE = "bench-bare"
DONE_KEY = "bench:bare:done"  # a Redis list: one finish time per run

app = Celery("bench_bare", broker=os.environ.get("BENCH_REDIS_URL", "memory://"))
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    task_default_queue=QUEUE,
    broker_connection_retry_on_startup=True,
)

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "check_stock_levels",
            "parameters": {
                "type": "object",
                "properties": {"product_ids": {"type": "array", "items": {"type": "string"}}},
            },
        },
    }
]


@cache
def _client() -> openai.OpenAI:  # one per pool process, after the fork
    return openai.OpenAI(base_url=os.environ["BENCH_MODEL_URL"], api_key="bench-key", max_retries=0)


@cache
def _done() -> redis.Redis:
    return redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])


@app.task(name="bench.bare_run")
def bare_run(text: str) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are the inventory agent."},
        {"role": "user", "content": text},
    ]
    bare_loop(_client(), messages, TOOLS, lambda _name, arguments: dict(arguments))
    _done().rpush(DONE_KEY, time.time())
