"""Webhooks: N signed deliveries (plus retries of some of them) from a few
client threads to a real server process (`manage.py runserver --noreload`,
embedded mode, a temp OWM_VAR_DIR and SQLite file). Afterwards the database
must hold exactly one delivery per id: none lost, none doubled. Baseline: a
bare Django view (bench.bare_settings) in the same kind of server."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench._django import django_boot
from bench._ports import free_port, port_wait

ROOT = Path(__file__).resolve().parent.parent


def server_start(settings_module: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    process = subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if port_wait(port, 30):
        return process, port
    process.kill()
    raise RuntimeError(f"{settings_module} server did not start on port {port}")


def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json", **headers})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def blast(
    port: int, path: str, requests: list[tuple[bytes, dict[str, str]]], threads: int
) -> tuple[float, list[int]]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        codes = list(pool.map(lambda r: _post(port, path, r[0], r[1]), requests))
    return time.perf_counter() - t0, codes


def _signed_requests(secret: str, deliveries: int) -> list[tuple[bytes, dict[str, str]]]:
    from apps.notifications.signing import headers

    requests = []
    for n in range(deliveries):
        body = json.dumps({"order_id": f"ORD-{n}", "sku": "SKU-1001"}).encode()
        requests.append((body, headers(secret, f"msg_bench_{n}", body)))
    retries = requests[::10]  # a sender retrying every tenth delivery
    return requests + retries


def _endpoint_create() -> tuple[Any, str]:
    from apps.accounts.roles import roles_ensure
    from apps.webhooks.services import endpoint_create
    from apps.workflows.triggers import automation_create, service_account_ensure

    roles_ensure()
    automation = automation_create(
        slug="bench-orders",
        name="Bench orders",
        trigger_kind="webhook",
        target_kind="agent_run",
        agent_slug="inventory",
        run_as=service_account_ensure("svc-bench"),
        prompt_template="Order {order_id} arrived; check stock for {sku}.",
    )
    return endpoint_create(
        slug="bench-orders", name="Bench orders", automation=automation,
        rate_limit_per_minute=10_000_000,
    )  # fmt: skip


def _measure(
    settings_module: str, path: str, requests: list, threads: int
) -> tuple[float, list[int]]:
    process, port = server_start(settings_module, dict(os.environ))
    try:
        blast(port, path, requests[:20], threads)  # warm-up, not counted
        return blast(port, path, requests, threads)
    finally:
        process.terminate()
        process.wait(10)


def bench_webhooks(*, deliveries: int = 300, threads: int = 4) -> list[list[str]]:
    django_boot()  # OWM_EMBEDDED_WORKER=false: we measure receiving, not processing
    from django.db import connection

    from apps.webhooks.models import WebhookDelivery

    endpoint, secret = _endpoint_create()
    requests = _signed_requests(secret, deliveries)
    connection.close()
    bare_s, bare_codes = _measure("bench.bare_settings", "/bare/", requests, threads)
    process, port = server_start("owm.settings", dict(os.environ))
    try:
        for _ in range(5):  # warm-up: load the URLconf, apps and templates (no delivery rows)
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            warm.request("GET", "/login/")
            warm.getresponse().read()
            warm.close()
        owm_s, owm_codes = blast(port, f"/hooks/{endpoint.slug}/", requests, threads)
    finally:
        process.terminate()
        process.wait(10)
    rows = WebhookDelivery.objects.filter(endpoint=endpoint)
    stored, distinct = rows.count(), rows.values("webhook_id").distinct().count()
    accepted = sum(1 for c in owm_codes if c == 202)
    assert set(bare_codes) == {202}, f"bare server answered {sorted(set(bare_codes))}"
    assert stored == distinct == deliveries, f"{stored} rows, {distinct} ids, {deliveries} sent"
    assert accepted == len(requests), f"codes {sorted(set(owm_codes))}"
    bare_rate, owm_rate = len(requests) / bare_s, len(requests) / owm_s
    return [
        [
            f"signed webhook deliveries/s ({deliveries} + {len(requests) - deliveries} "
            f"retries, {threads} threads, sqlite)",
            f"{bare_rate:.0f}/s bare Django view",
            f"{owm_rate:.0f}/s; {stored} stored once each, 0 lost",
            f"{bare_rate / owm_rate:.2f}x slower",
            "none lost/doubled",
        ]
    ]
