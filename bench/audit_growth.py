"""Growth: the audit browser page and audit_verify at a small and a big chain.
Entries are bulk-created through the chain helper (apps.audit.chain), so the
chain is valid exactly as audit_record would have written it. The baseline of
each figure is the same figure at the small size, measured in the same run."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from bench._django import django_boot

BATCH = 5000
TOOLS = ["check_stock_levels", "predict_demand", "create_purchase_order", "send_email"]


def _entry_fields(seq: int, prev_hash: str, at: dt.datetime) -> dict[str, Any]:
    from apps.audit import chain

    tool = TOOLS[seq % len(TOOLS)]
    return {
        "seq": seq,
        "at": at,
        "event": "tool.call",
        "actor": "bench-auditor",
        "actor_id": None,
        "on_behalf_of": "agent:inventory",
        "run_id": "",
        "agent": "inventory",
        "tool": tool,
        "tool_call_id": f"functions.{tool}:{seq}",
        "arguments": chain.json_normalize({"product_ids": [f"SKU-{1000 + seq % 50}"]}),
        "result_digest": chain.digest({"seq": seq}),
        "decision": "allowed",
        "approved_by": "",
        "status": "succeeded",
        "duration_ms": 1.5,
        "ip": "",
        "detail": {"call_id": seq},
        "prev_hash": prev_hash,
    }


def entries_grow_to(total: int) -> None:
    """Append entries (valid chain) until the log holds `total`."""
    from apps.audit import chain
    from apps.audit.models import AuditEntry

    last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
    seq, prev_hash = (last["seq"], last["hash"]) if last else (0, chain.GENESIS_HASH)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    while seq < total:
        batch = []
        for _ in range(min(BATCH, total - seq)):
            seq += 1
            fields = _entry_fields(seq, prev_hash, start + dt.timedelta(seconds=seq))
            fields["hash"] = prev_hash = chain.entry_hash(fields)
            batch.append(AuditEntry(**fields))
        AuditEntry.objects.bulk_create(batch)
    _settle()


def _settle() -> None:
    """Measure the steady state, not the moment after a bulk load: fold SQLite's
    write-ahead log back into the database file, refresh planner statistics."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE audit_auditentry")


def _p95_ms(fn: Any, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def _measure(client: Any, size: int, renders: int) -> dict[str, float]:
    from apps.audit.selectors import audit_chain_verify

    last_page = -(-size // 50)

    def page(number: int) -> None:
        response = client.get(f"/audit/?page={number}")
        assert response.status_code == 200, response.status_code

    def filtered() -> None:
        response = client.get("/audit/?tool=predict_demand")
        assert response.status_code == 200, response.status_code

    t0 = time.perf_counter()
    result = audit_chain_verify()
    verify_s = time.perf_counter() - t0
    assert result.ok and result.checked == size, result.summary
    return {
        "first": _p95_ms(lambda: page(1), renders),
        "last": _p95_ms(lambda: page(last_page), max(5, renders // 3)),
        "filtered": _p95_ms(filtered, max(5, renders // 3)),
        "verify_us": verify_s * 1e6 / size,
    }


def bench_audit(
    *, sizes: list[int], renders: int = 30, database_url: str | None = None
) -> list[list[str]]:
    django_boot(database_url=database_url)
    from django.contrib.auth.models import User
    from django.test import Client

    admin = User.objects.create_superuser("bench-auditor", password="bench-auditor-pass")  # noqa: S106
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    small, big = sorted(sizes)[0], sorted(sizes)[-1]
    measured = {}
    for size in (small, big):
        entries_grow_to(size)
        for _ in range(3):  # warm templates, caches and the connection
            client.get("/audit/")
        measured[size] = _measure(client, size, renders)
    s, b = measured[small], measured[big]
    db = "postgresql" if database_url else "sqlite"

    def row(label: str, key: str, unit: str, target: str) -> list[str]:
        return [
            f"{label} ({db}, {big:,} entries)",
            f"{s[key]:.2f} {unit} at {small:,}",
            f"{b[key]:.2f} {unit}",
            f"{b[key] / s[key]:.2f}x",
            target,
        ]

    return [
        row("audit page 1, p95", "first", "ms", "<= 1.50x"),
        row("audit last page, p95", "last", "ms", "-"),
        row("audit page filtered by tool, p95", "filtered", "ms", "-"),
        row("audit_verify per entry", "verify_us", "us", "-"),
    ]
