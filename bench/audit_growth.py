"""Growth: the audit browser, the dashboard pages and audit_verify at a small and
a big audit log.

Two stores live side by side (SQLite: two database files; PostgreSQL: two schemas
of the one database), each migrated, given the demo data (seed_demo, so the
dashboard pages have something to show) and then its audit entries. The pages
are rendered in rounds that alternate between the stores, so a noisy moment on
a shared machine falls on baseline and subject alike; the baseline of each
figure is the same figure at the small size.

Entries are written straight to the table (COPY on PostgreSQL, executemany on
SQLite) with their hashes computed by the chain helper (apps.audit.chain), so
the chain is valid exactly as audit_record would have written it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench._django import django_boot

BATCH = 50_000
TOOLS = ["check_stock_levels", "predict_demand", "create_purchase_order", "send_email"]
COLUMNS = (
    "seq", "at", "event", "actor", "actor_id", "on_behalf_of", "run_id", "agent", "tool",
    "tool_call_id", "arguments", "result_digest", "decision", "approved_by", "status",
    "duration_ms", "ip", "detail", "prev_hash", "hash",
)  # fmt: skip
JSON_COLUMNS = ("arguments", "detail")
TARGET = "<= 1.50x"


@dataclasses.dataclass
class Store:
    """One database (or schema) with `size` audit entries, and a logged-in client."""

    size: int
    database: dict[str, Any]  # what changes in settings DATABASES["default"]
    start: dt.datetime = dt.datetime.min  # entry n is at start + n seconds
    client: Any = None
    load_rate: float = 0.0


def _entry_fields(seq: int, prev_hash: str, start: dt.datetime) -> dict[str, Any]:
    """Entry `seq`: mostly tool calls (4 tools in turn, every 50th denied), every
    100th a log-in (a rare event, for a selective filter that still fills a page
    at the small size)."""
    from apps.audit import chain

    at = start + dt.timedelta(seconds=seq)
    if seq % 100 == 0:
        return {
            "seq": seq, "at": at, "event": "auth.login", "actor": "alice", "actor_id": None,
            "on_behalf_of": "", "run_id": "", "agent": "", "tool": "", "tool_call_id": "",
            "arguments": {}, "result_digest": "", "decision": "", "approved_by": "",
            "status": "succeeded", "duration_ms": None, "ip": "10.0.0.1", "detail": {},
            "prev_hash": prev_hash,
        }  # fmt: skip
    tool = TOOLS[seq % len(TOOLS)]
    return {
        "seq": seq, "at": at, "event": "tool.call", "actor": "bench-auditor", "actor_id": None,
        "on_behalf_of": "agent:inventory", "run_id": "", "agent": "inventory", "tool": tool,
        "tool_call_id": f"functions.{tool}:{seq}",
        "arguments": chain.json_normalize({"product_ids": [f"SKU-{1000 + seq % 50}"]}),
        "result_digest": chain.digest({"seq": seq}),
        "decision": "denied" if seq % 50 == 0 else "allowed", "approved_by": "",
        "status": "denied" if seq % 50 == 0 else "succeeded", "duration_ms": 1.5, "ip": "",
        "detail": {"call_id": seq}, "prev_hash": prev_hash,
    }  # fmt: skip


def _chain_rows(
    first_seq: int, count: int, prev_hash: str, start: dt.datetime
) -> tuple[list[dict[str, Any]], str]:
    from apps.audit import chain

    rows = []
    for seq in range(first_seq, first_seq + count):
        fields = _entry_fields(seq, prev_hash, start)
        fields["hash"] = prev_hash = chain.entry_hash(fields)
        rows.append(fields)
    return rows, prev_hash


def _write_postgresql(rows: list[dict[str, Any]]) -> None:
    """COPY, in text format; psycopg adapts datetimes and None."""
    from django.db import connection

    statement = f"COPY audit_auditentry ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            for name in JSON_COLUMNS:
                row[name] = json.dumps(row[name])
            copy.write_row([row[name] for name in COLUMNS])


def _write_sqlite(rows: list[dict[str, Any]]) -> None:
    from django.db import connection

    adapt = connection.ops.adapt_datetimefield_value
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    statement = f"INSERT INTO audit_auditentry ({', '.join(COLUMNS)}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(
            statement,
            (
                [
                    adapt(row[n]) if n == "at"
                    else json.dumps(row[n]) if n in JSON_COLUMNS
                    else row[n]
                    for n in COLUMNS
                ]
                for row in rows
            ),
        )  # fmt: skip


def entries_grow_to(total: int, start: dt.datetime) -> float:
    """Append entries (a valid chain) until the log holds `total`; entries per second."""
    from django.db import connection, transaction

    from apps.audit import chain
    from apps.audit.models import AuditEntry

    t0 = time.perf_counter()
    last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
    seq, prev_hash = (last["seq"], last["hash"]) if last else (0, chain.GENESIS_HASH)
    added = total - seq
    write = _write_postgresql if connection.vendor == "postgresql" else _write_sqlite
    while seq < total:
        count = min(BATCH, total - seq)
        rows, prev_hash = _chain_rows(seq + 1, count, prev_hash, start)
        with transaction.atomic():
            write(rows)
        seq += count
    _settle()
    return added / (time.perf_counter() - t0)


def _settle() -> None:
    """Measure the steady state, not the moment after a bulk load: fold SQLite's
    write-ahead log back into the database file, refresh planner statistics (and,
    on PostgreSQL, the visibility map, as autovacuum would after big inserts)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE audit_auditentry")


# --- the two stores -----------------------------------------------------------------


def _use(store: Store) -> None:
    """Point the default connection at `store` (the next query reconnects)."""
    from django.db import connection

    connection.close()
    for key, value in store.database.items():
        if isinstance(value, dict):
            connection.settings_dict.setdefault(key, {}).update(value)
        else:
            connection.settings_dict[key] = value


def _store_database(size: int, var_dir: Path) -> dict[str, Any]:
    from django.db import connection

    if connection.vendor == "sqlite":
        return {"NAME": str(var_dir / f"audit-{size}.sqlite3")}
    schema = f"audit_growth_{size}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    return {"OPTIONS": {"options": f"-c search_path={schema}"}}


def _store_drop(store: Store) -> None:
    """Give the disk back (a million entries take ~0.7 GB on SQLite)."""
    from django.db import connection

    _use(store)
    if connection.vendor == "sqlite":
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{store.database['NAME']}{suffix}").unlink(missing_ok=True)
        return
    schema = store.database["OPTIONS"]["options"].split("=")[-1]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {schema} CASCADE")
    connection.close()


def _first_day_after_last_entry() -> dt.datetime:
    """The midnight after the demo data's entries, so that time never runs
    backwards along the chain (audit_record keeps it so)."""
    from apps.audit.models import AuditEntry

    last = AuditEntry.objects.order_by("-seq").values_list("at", flat=True).first()
    day = (last or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _store_create(size: int, var_dir: Path) -> Store:
    """A migrated store with the demo data, `size` entries and a superuser's client."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from apps.audit.models import AuditEntry

    store = Store(size=size, database=_store_database(size, var_dir))
    _use(store)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=io.StringIO())
    if AuditEntry.objects.count() > size:
        raise SystemExit(f"the demo data alone holds more than {size} audit entries")
    admin = User.objects.create_superuser("bench-auditor", password="bench-auditor-pass")  # noqa: S106
    store.client = Client(HTTP_HOST="localhost")
    store.client.force_login(admin)  # an entry too, so before the bench's entries
    store.start = _first_day_after_last_entry()
    store.load_rate = entries_grow_to(size, store.start)
    return store


# --- measuring ------------------------------------------------------------------------


def _pages(store: Store) -> dict[str, tuple[str, str]]:
    """figure key -> (label, URL) of every page measured in each store."""
    day = store.start.date().isoformat()
    return {
        "newest": ("audit page 1 (newest), p95", "/audit/"),
        "middle": ("audit page in the middle (?before=), p95", f"/audit/?before={store.size // 2}"),
        "oldest": ("audit oldest page (?after=0), p95", "/audit/?after=0"),
        "tool": ("audit filtered by tool (1 in 4), p95", "/audit/?tool=predict_demand"),
        "event": ("audit filtered by a rare event (1 in 100), p95", "/audit/?event=auth.login"),
        "denied": ("audit filtered by decision denied, p95", "/audit/?decision=denied"),
        "day": ("audit filtered by the first day, p95", f"/audit/?since={day}&until={day}"),
        "overview": ("dashboard overview /overview/, p95", "/overview/"),
        "agents": ("dashboard agents /, p95", "/"),
        "insights": ("dashboard insights /insights/, p95", "/insights/"),
    }


def _page_sanity(store: Store) -> None:
    """The pages show what they claim to (so a fast page is not an empty one)."""
    from apps.audit.selectors import audit_entry_page

    size, client = store.size, store.client
    body = client.get("/audit/").content.decode()
    assert f"Seq {size - 49}\u2013{size}" in body and f"{size:,} entries" in body, size
    assert "Seq 1\u201350" in client.get("/audit/?after=0").content.decode()
    tool = audit_entry_page(filters={"tool": "predict_demand"})
    assert {e.tool for e in tool.entries} == {"predict_demand"} and len(tool.entries) == 50
    day = store.start.date()
    page = audit_entry_page(filters={"since": day.isoformat(), "until": day.isoformat()})
    assert page.entries and all(e.at.date() == day for e in page.entries)


def _p95_ms(samples: list[float]) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def _render_rounds(stores: list[Store], renders: int) -> dict[int, dict[str, float]]:
    """Each round renders every page once in one store, then in the other; after
    `renders` rounds, each page's p95 in ms per store."""
    samples: dict[int, dict[str, list[float]]] = {s.size: {} for s in stores}
    for _ in range(renders):
        for store in stores:
            _use(store)
            store.client.get("/audit/")  # reconnect outside the timings
            for key, (_label, url) in _pages(store).items():
                t0 = time.perf_counter()
                response = store.client.get(url)
                samples[store.size].setdefault(key, []).append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (url, response.status_code)
    for key in samples[stores[0].size]:  # medians, for reading the p95s against noise
        medians = [f"{statistics.median(samples[s.size][key]):.2f}" for s in stores]
        print(f"median ms, {key}: {' vs '.join(medians)}", file=sys.stderr)
    return {
        size: {key: _p95_ms(values) for key, values in pages.items()}
        for size, pages in samples.items()
    }


def _verify_us(store: Store) -> float:
    """audit_chain_verify over the whole chain, microseconds per entry."""
    from apps.audit.selectors import audit_chain_verify

    _use(store)
    t0 = time.perf_counter()
    result = audit_chain_verify()
    elapsed = time.perf_counter() - t0
    assert result.ok and result.checked == store.size, result.summary
    return elapsed * 1e6 / result.checked


def bench_audit(
    *, sizes: list[int], renders: int = 30, database_url: str | None = None
) -> list[list[str]]:
    var_dir = django_boot(database_url=database_url)
    stores = [_store_create(size, var_dir) for size in (min(sizes), max(sizes))]
    for store in stores:
        _use(store)
        for _ in range(3):  # warm templates, caches and the connection
            for _label, url in _pages(store).values():
                store.client.get(url)
        _page_sanity(store)
    measured = _render_rounds(stores, renders)
    for store in stores:
        measured[store.size]["verify_us"] = _verify_us(store)
        _store_drop(store)
    db = "postgresql" if database_url else "sqlite"
    small, big = stores
    rows = _rows(measured, small, big, db)
    rates = [f"{store.load_rate:,.0f} entries/s" for store in stores]
    rows.append([f"bench load ({db})", *rates, "-", "-"])
    return rows


def _rows(
    measured: dict[int, dict[str, float]], small: Store, big: Store, db: str
) -> list[list[str]]:
    s, b = measured[small.size], measured[big.size]

    def row(label: str, key: str, unit: str, target: str) -> list[str]:
        return [
            f"{label} ({db}, {big.size:,} entries)",
            f"{s[key]:.2f} {unit} at {small.size:,}",
            f"{b[key]:.2f} {unit}",
            f"{b[key] / s[key]:.2f}x",
            target,
        ]

    rows = [row(label, key, "ms", TARGET) for key, (label, _url) in _pages(big).items()]
    rows.append(row("audit_verify per entry", "verify_us", "us", "-"))
    return rows
