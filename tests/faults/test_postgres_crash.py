"""PostgreSQL crashes under a running server, for real: `python -m bench pgdown`
in a child process (a private cluster it creates and crashes with `pg_ctl stop
-m immediate`; the machine's server is never touched), with runs executing and
clients calling the API and the dashboard: the embedded mode, or with REDIS_URL
set the deployment mode (daphne, a celery worker, beat). The same checks as
the bench, as assertions. test_database_unavailable.py covers the answers
in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300
BENCH_REDIS_DB = 9


def _bench_redis_url() -> str | None:
    """With REDIS_URL (CI's second pass) the deployment mode, on a db of its own
    on the same server: the bench flushes it."""
    url = os.environ.get("REDIS_URL")
    return urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_REDIS_DB}")) if url else None


@pytest.fixture(scope="module")
def crash() -> dict:
    command = [sys.executable, "-m", "bench", "pgdown", "--child", "--pg-down", "2"]
    if redis_url := _bench_redis_url():
        command += ["--redis-url", redis_url]
    bench = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = bench.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        bench.terminate()  # the bench stops its server and its cluster on SIGTERM
        stdout, stderr = bench.communicate(timeout=60)
        pytest.fail(f"the bench took over {TIMEOUT_S} s: {stderr[-3000:]}")
    assert bench.returncode == 0, stderr[-3000:]
    checks = json.loads(stdout.strip().splitlines()[-1])["checks"]
    if "skipped" in checks:
        pytest.skip(f"no PostgreSQL server binaries: {checks['skipped']}")
    return checks


def test_while_it_is_down_every_answer_is_a_503_with_the_message_and_never_a_500(crash):
    assert crash["down_503"] > 0  # the outage was seen
    assert crash["bad"] == 0  # no 500, no 503 without the message, no hang


def test_the_server_answers_again_once_it_is_back_without_a_restart(crash):
    assert crash["recovered_s"] is not None
    assert crash["recovered_s"] < 5
    # No tool call fails on a connection the crash killed (health checks).
    assert crash["crashed_after_back"] == 0


def test_every_acknowledged_run_succeeds_and_nothing_is_half_written(crash):
    assert crash["created"] > 0
    assert crash["succeeded"] == crash["created"]
    assert crash["half_written"] == 0
    assert crash["running_calls"] == 0
    assert crash["doubled"] == 0
    assert crash["audit"] == "ok"
