"""The OWM processes a bench starts: the web server in either mode, a Celery
worker, and how to stop each one with whatever it started."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._ports import free_port, port_wait

ROOT = Path(__file__).resolve().parent.parent


def spawn(command: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    """In a session of its own: `stop` ends its children too (the embedded
    worker's beat is a forked process that outlives a terminated server).
    Output to `log`, or nowhere (a server's access log: a line per request)."""
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    return subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
        start_new_session=True,
    )


def worker_start(concurrency: int, log: Path | None = None) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/celery"), "-A", "owm", "worker", "-l", "warning",
        "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    return spawn(command, dict(os.environ), log)


def server_start(*, redis: bool, log: Path | None = None) -> tuple[subprocess.Popen, int]:
    """daphne as deployed (Redis mode), or `runserver` as ./scripts/run does."""
    port = free_port()
    if redis:
        command = [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port)]
        command.append("owm.asgi:application")
        env = dict(os.environ)
    else:
        command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        env = {**os.environ, "OWM_EMBEDDED_WORKER": "true"}
    process = spawn(command, env, log)
    if port_wait(port, 30):
        return process, port
    stop(process)
    raise RuntimeError(f"the server did not start on port {port}")


def stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(30)
    time.sleep(0.5)  # then whatever it left behind in its session
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def api(port: int, method: str, path: str, body: dict[str, Any], token: str = "") -> Any:
    """A JSON request to the server on `port`; its JSON answer (a 3xx-5xx raises)."""
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
