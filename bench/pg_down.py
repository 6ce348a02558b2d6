"""PostgreSQL down: the embedded mode (`manage.py runserver --noreload`, its
worker and beat threads), or with `--redis-url` the deployment mode (daphne,
a `celery worker` with 2 pool processes and `celery beat`, Redis on its own
db, flushed), on a PRIVATE PostgreSQL cluster (initdb in a temp
dir, its own port; the machine's server is never touched), runs executing
against the scripted model. Client threads create runs (POST /api/runs/),
list them (GET /api/runs/) and load the dashboard's runs page (a logged-in
session) without pause; the bench crashes PostgreSQL (`pg_ctl stop -m
immediate`: no shutdown checkpoint, every connection and open transaction
cut) and starts it again after `--pg-down` seconds.

Checked: while it is down every answer is a 503 (JSON `database_unavailable`
under /api/, the plain page on the dashboard), never a 500 or a hang; after it
is back the server answers again without a restart; every run answered 201
exists and succeeds (nothing acknowledged is lost, runs go on); every stored
run has its messages in order and its events numbered without a gap, no tool
call is left running or succeeded twice (nothing half-written remains); the
audit chain verifies."""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._django import django_boot
from bench._ports import free_port, port_wait
from bench._servers import api, server_start, spawn, stop, worker_start

ROOT = Path(__file__).resolve().parent.parent
TURN_S = 0.3  # every model turn
HEALTHY_S = 3.0  # traffic before the crash, and after PostgreSQL is back
FINISH_S = 120.0  # for every run to finish once PostgreSQL is back
PAUSES = {"create": 0.25, "list": 0.1, "page": 0.1}  # seconds between a client's requests


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class Cluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1:`port`, trust auth."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="owm-bench-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/owm"

    def _pg(self, program: str, *args: str) -> None:
        """Run one of PostgreSQL's programs (as the postgres user when root:
        PostgreSQL refuses to run as root)."""
        command: tuple[str, ...] = (str(_pg_bin(program)), *args)
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self.start()
        self._pg("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "owm")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        if not port_wait(self.port, 30):
            raise RuntimeError(f"PostgreSQL did not start on {self.port}: see {self.log}")

    def crash(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop the server and delete its data; the logs stay."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.data, ignore_errors=True)


@dataclass
class Answer:
    client: str
    started: float  # time.monotonic()
    seconds: float
    status: int  # 0: no HTTP answer (connection error, timeout)
    kind: str = ""  # error.kind of a JSON error, "page" for the dashboard's 503 page
    run_id: str = ""


@dataclass
class Traffic:
    port: int
    token: str
    session: str
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def request(self, client: str, method: str, path: str, body: Any = None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if client == "page":
            headers["Cookie"] = f"sessionid={self.session}"
        else:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(method, path, json.dumps(body) if body else None, headers)
            response = connection.getresponse()
            raw = response.read()
            status = response.status
        except OSError:
            return Answer(client, started, time.monotonic() - started, 0)
        finally:
            connection.close()
        answer = Answer(client, started, time.monotonic() - started, status)
        if status == 503 and client == "page":
            answer.kind = "page" if b"Temporarily unavailable" in raw else ""
        elif status >= 400:
            with contextlib.suppress(ValueError, AttributeError, KeyError, TypeError):
                answer.kind = json.loads(raw)["error"]["kind"]
        elif status == 201:
            answer.run_id = json.loads(raw)["id"]
        return answer

    def drive(self, client: str) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            if client == "create":
                body = {"agent": "inventory", "input": f"check stock #{n}"}
                answer = self.request(client, "POST", "/api/runs/", body)
            elif client == "list":
                answer = self.request(client, "GET", "/api/runs/")
            else:
                answer = self.request(client, "GET", "/runs/")
            self.answers.append(answer)
            self.stop.wait(PAUSES[client])


def bench_pg_down(*, down_s: float, redis_url: str | None = None) -> dict[str, Any]:
    """{"rows": the table, "checks": the figures the fault test asserts on}."""
    mode = "Redis mode: daphne, 2 worker processes, beat" if redis_url else "embedded mode"
    label = f"PostgreSQL crashed for {down_s:g} s during runs ({mode})"
    missing = [name for name in ("initdb", "pg_ctl", "createdb") if _pg_bin(name) is None]
    if missing:
        reason = f"no {', '.join(missing)} here"
        return {"rows": [[label, "SKIPPED", reason, "-", "-"]], "checks": {"skipped": reason}}
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()  # the bench's own db
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)  # the embedded mode, whatever the caller runs in
    # A caller that gives up (a test's timeout) sends SIGTERM: leave through the
    # `finally` below, which stops the server and the cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"stopped by SIGTERM: {label}"))
    from bench.concurrency import responder
    from tests.fakes.llm_server import ScriptedLLMServer

    cluster = Cluster(free_port())
    server = ScriptedLLMServer()
    server.responder = responder(server, TURN_S)
    processes: list[subprocess.Popen] = []
    try:
        cluster.init()
        with server:
            django_boot(
                database_url=cluster.url,
                extra_env={
                    "OWM_LLM_BASE_URL": server.base_url,
                    "OWM_LLM_API_KEY": "bench-key",
                    "OWM_LLM_MAX_RETRIES": "0",
                    "OWM_LLM_STREAM": "false",
                },
            )
            traffic = _start(cluster, processes, redis=bool(redis_url))
            return _measure(label, cluster, traffic, down_s)
    finally:
        try:
            for process in processes:
                stop(process)
        finally:
            cluster.remove()


def _start(cluster: Cluster, processes: list[subprocess.Popen], *, redis: bool) -> Traffic:
    """The demo data, a logged-in session, the server (and in the Redis mode a
    worker and beat) started into `processes`; the clients' credentials."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from apps.inventory.demo import seed_inventory

    seed_inventory()
    admin = User.objects.create_superuser("bench-admin", "admin@example.com", "bench-admin-pass")
    browser = Client()
    browser.force_login(admin)
    session = browser.cookies["sessionid"].value
    connection.close()
    if redis:
        processes.append(worker_start(2, cluster.root / "worker.log"))
        beat = [str(ROOT / ".venv/bin/celery"), "-A", "owm", "beat", "-l", "info",
                "-s", str(cluster.root / "beat")]  # fmt: skip
        processes.append(spawn(beat, dict(os.environ), cluster.root / "beat.log"))
    web, port = server_start(redis=redis, log=cluster.root / "web.log")
    processes.append(web)
    credentials = {"username": "bench-admin", "password": "bench-admin-pass"}
    token = api(port, "POST", "/api/auth/token", credentials)["access"]
    return Traffic(port=port, token=token, session=session)


def _measure(label: str, cluster: Cluster, traffic: Traffic, down_s: float) -> dict[str, Any]:
    threads = [
        threading.Thread(target=traffic.drive, args=(client,), daemon=True) for client in PAUSES
    ]
    for thread in threads:
        thread.start()
    time.sleep(HEALTHY_S)
    crashed = time.monotonic()
    cluster.crash()
    time.sleep(down_s)
    cluster.start()
    back, back_wall = time.monotonic(), time.time()
    time.sleep(HEALTHY_S)
    traffic.stop.set()
    for thread in threads:
        thread.join(30)
    created = [a.run_id for a in traffic.answers if a.run_id]
    finished_s = _wait_finished(created, FINISH_S)
    result = _checks(created, back_wall)
    result["log_errors"] = sum(
        log.read_text(errors="replace").count(" ERROR ") for log in cluster.root.glob("*.log")
    )
    print(f"pgdown logs: {cluster.root}", file=sys.stderr)
    return _report(label, down_s, traffic.answers, crashed, back, finished_s, result)


def _wait_finished(run_ids: list[str], timeout_s: float) -> float:
    from django.db import connection

    from apps.agents.models import Run

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        try:
            done = Run.objects.filter(pk__in=run_ids, status__in=list(Run.FINISHED)).count()
        except Exception:  # the bench's own connection died with the server
            connection.close()
            done = -1
        if done == len(run_ids):
            break
        time.sleep(0.5)
    return time.monotonic() - t0


def _checks(created: list[str], back_wall: float) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from apps.agents.models import Message, Run, RunEvent
    from apps.tools.models import ToolCall

    connection.close()
    statuses: dict[str, int] = {}
    for status in Run.objects.filter(pk__in=created).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    errors = list(
        Run.objects.filter(pk__in=created)
        .exclude(status="succeeded")
        .values_list("error", flat=True)
    )
    half: list[str] = []
    for run in Run.objects.all():
        indices = list(
            Message.objects.filter(run=run).order_by("index").values_list("index", flat=True)
        )
        if len(indices) < 2 or indices != list(range(len(indices))):
            half.append(f"run {run.pk}: messages {indices}")
        seqs = list(RunEvent.objects.filter(run=run).order_by("seq").values_list("seq", flat=True))
        if seqs != list(range(1, run.last_seq + 1)):
            half.append(f"run {run.pk}: event seqs {seqs[:5]}... last_seq {run.last_seq}")
        finishes = RunEvent.objects.filter(run=run, type="run.finished").count()
        if finishes != (1 if run.is_finished else 0):
            half.append(f"run {run.pk} ({run.status}): {finishes} run.finished events")
    recovered = dict.fromkeys(("run.requeued", "run.resumed"), 0)
    for kind in RunEvent.objects.filter(type__in=list(recovered)).values_list("type", flat=True):
        recovered[kind] += 1
    failed_calls = dict(
        ToolCall.objects.filter(status=ToolCall.Status.FAILED)
        .values_list("error_kind")
        .annotate(n=Count("id"))
    )
    running = ToolCall.objects.filter(status=ToolCall.Status.RUNNING).count()
    succeeded = list(
        ToolCall.objects.filter(status=ToolCall.Status.SUCCEEDED).values_list(
            "run_id", "tool_call_id"
        )
    )
    try:
        call_command("audit_verify", verbosity=0)
        audit = "ok"
    except BaseException as exc:
        audit = f"FAILED: {exc}"
    # Runs stored though their POST got no 201: the COMMIT reached PostgreSQL
    # just before the crash cut the connection (the client cannot know).
    known = {str(pk) for pk in Run.objects.values_list("pk", flat=True)}
    stored_anyway = len(known - set(created))
    return {
        "statuses": statuses,
        "errors": errors[:3],
        "half": half,
        "running_calls": running,
        "doubled": len(succeeded) - len(set(succeeded)),
        "audit": audit,
        "stored_anyway": stored_anyway,
        "runs": Run.objects.count(),
        "recovered": recovered,
        "failed_calls": failed_calls,
        # A call opened a moment after PostgreSQL was back that crashed: a
        # connection the crash killed was used again (health checks prevent it).
        "crashed_after_back": ToolCall.objects.filter(
            error_kind="crashed",
            started_at__gt=datetime.fromtimestamp(back_wall + 0.5, tz=UTC),
        ).count(),
    }


def _report(
    label: str,
    down_s: float,
    answers: list[Answer],
    crashed: float,
    back: float,
    finished_s: float,
    result: dict[str, Any],
) -> dict[str, Any]:
    def phase(a: Answer) -> str:
        if a.started + a.seconds < crashed:
            return "before"
        return "down" if a.started < back else "after"

    def summary(selected: list[Answer]) -> str:
        counts: dict[str, int] = {}
        for a in selected:
            key = f"{a.status or 'no answer'}" + (f" {a.kind}" if a.kind else "")
            counts[key] = counts.get(key, 0) + 1
        return ", ".join(f"{n} x {key}" for key, n in sorted(counts.items())) or "-"

    down = [a for a in answers if phase(a) == "down"]
    after = [a for a in answers if phase(a) == "after"]
    # No answer, a 5xx other than 503, or a 503 without the database message.
    bad = [a for a in answers if a.status == 0 or (a.status >= 500 and not a.kind)]
    first_ok = min((a.started + a.seconds for a in after if a.status < 400), default=None)
    recovered = f"{first_ok - back:.2f} s" if first_ok is not None else "never"
    slowest = max((a.seconds for a in down), default=0.0)
    created = sum(1 for a in answers if a.run_id)
    succeeded = result["statuses"].get("succeeded", 0)
    half = "; ".join(result["half"][:3])
    checks = {
        "down_503": sum(1 for a in down if a.status == 503 and a.kind),
        "bad": len(bad),
        "recovered_s": None if first_ok is None else first_ok - back,
        "created": created,
        "succeeded": succeeded,
        "half_written": len(result["half"]),
        "running_calls": result["running_calls"],
        "doubled": result["doubled"],
        "audit": result["audit"],
        "crashed_after_back": result["crashed_after_back"],
    }
    rows = [
        [
            label,
            f"{sum(1 for a in answers if phase(a) == 'before')} requests before",
            "-",
            "-",
            "-",
        ],
        [
            "answers while PostgreSQL was down",
            f"{len(down)} requests (create, list, dashboard page)",
            f"{summary(down)}; slowest {slowest * 1000:.0f} ms",
            "-",
            "503 with a clear message",
        ],
        [
            "500s, unexplained 503s or no answer, whole bench",
            f"{len(answers)} requests",
            f"{len(bad)}" + (f" ({summary(bad)})" if bad else ""),
            "-",
            "0",
        ],
        [
            "server answers again after PostgreSQL is back",
            f"{len(after)} requests after: {summary(after)}",
            f"first 2xx {recovered} after PostgreSQL accepted connections",
            "-",
            "without a restart",
        ],
        [
            "runs answered 201 that succeeded",
            f"{created} runs created",
            f"{succeeded}/{created} (statuses: {result['statuses']}); all finished "
            f"{finished_s:.1f} s after the traffic stopped"
            + (f"; errors: {result['errors']}" if result["errors"] else ""),
            "-",
            "all",
        ],
        [
            "half-written runs, open or doubled tool calls",
            f"{result['runs']} runs in the database ({result['stored_anyway']} stored though "
            "answered 503: the commit landed as the server died)",
            f"{len(result['half'])} half-written"
            + (f" ({half})" if half else "")
            + f"; {result['running_calls']} calls left running; {result['doubled']} doubled",
            "-",
            "0, 0, 0",
        ],
        [
            "how the runs hit by the crash went on",
            "-",
            f"{result['recovered']['run.requeued']} re-queued, "
            f"{result['recovered']['run.resumed']} resumed; failed tool calls by kind: "
            f"{result['failed_calls'] or 'none'}; {result['log_errors']} errors logged",
            "-",
            "-",
        ],
        ["audit chain (audit_verify)", "-", result["audit"], "-", "ok"],
        ["time down", f"{down_s:g} s", f"crash at +{HEALTHY_S:g} s", "-", "-"],
    ]
    return {"rows": rows, "checks": checks}
