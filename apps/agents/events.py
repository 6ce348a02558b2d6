"""Live run events: persisted first (with a per-run sequence number), then
broadcast on commit, so a client that reconnects re-syncs from the database
and a rolled-back change never reaches a browser."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.agents.models import Run, RunEvent

logger = logging.getLogger(__name__)

# The event loop of this process's ASGI server, recorded by the first websocket
# consumer. The in-memory channel layer's queues belong to that loop, so an
# embedded worker thread must hand broadcasts to it rather than run them on a
# loop of its own.
_server_loop: asyncio.AbstractEventLoop | None = None


def register_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


def run_group(run_id: object) -> str:
    return f"run-{run_id}"


def run_event_publish(*, run: Run, event_type: str, data: dict[str, Any]) -> RunEvent:
    # No savepoint: inside a caller's transaction the event is part of its work.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            event = _event_insert_numbered(run.pk, event_type, data)
        else:
            event = RunEvent.objects.create(
                run_id=run.pk, seq=_seq_next(run.pk), type=event_type, data=data
            )
    payload = event.as_payload()
    transaction.on_commit(lambda: broadcast(run_group(run.pk), payload))
    return event


def _event_insert_numbered(run_id: object, event_type: str, data: dict[str, Any]) -> RunEvent:
    """PostgreSQL: bump the run's counter and insert the event in one statement
    (a data-modifying CTE), one round trip instead of two; a run publishes
    several events a step. SQLite has no UPDATE in a CTE: see _seq_next."""
    event = RunEvent(run_id=run_id, type=event_type, data=data, created_at=timezone.now())
    meta = RunEvent._meta

    def prep(name: str) -> Any:
        return meta.get_field(name).get_db_prep_save(getattr(event, name), connection)

    def column(name: str) -> str:
        return connection.ops.quote_name(meta.get_field(name).column)

    runs = connection.ops.quote_name(Run._meta.db_table)
    events = connection.ops.quote_name(meta.db_table)
    pk = Run._meta.pk.get_db_prep_value(run_id, connection)  # type: ignore[union-attr]
    sql = (  # identifiers come from model metadata, quoted; values are parameters
        f"WITH bumped AS (UPDATE {runs} SET last_seq = last_seq + 1 WHERE id = %s "  # noqa: S608
        f"RETURNING last_seq) INSERT INTO {events} ({column('run')}, {column('seq')}, "
        f"{column('type')}, {column('data')}, {column('created_at')}) "
        f"SELECT %s, last_seq, %s, %s, %s FROM bumped RETURNING {column('id')}, {column('seq')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, pk, event_type, prep("data"), prep("created_at")])
        row = cursor.fetchone()
    if row is None:
        raise Run.DoesNotExist(f"run {run_id} does not exist")
    event.pk, event.seq = row
    event._state.adding, event._state.db = False, connection.alias
    return event


def _seq_next(run_id: object) -> int:
    """Bump the run's event counter and read it back in one statement; the row
    lock it takes orders concurrent publishers until their transactions end."""
    pk = Run._meta.pk.get_db_prep_value(run_id, connection)  # type: ignore[union-attr]
    table = connection.ops.quote_name(Run._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # identifiers come from model metadata, quoted; values are parameters
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",  # noqa: S608
            [pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Run.DoesNotExist(f"run {run_id} does not exist")
    return int(row[0])


BROADCAST_TIMEOUT_S = 5.0  # one send; the sender then moves on to the next
BROADCAST_BACKLOG = 10_000  # past this (Redis down for long) events are dropped


class _Sender:
    """This process's broadcasts from synchronous code (a Celery worker): one
    event loop in a thread of its own, started after any fork, sending queued
    messages one at a time, in the order they were queued. The caller does not
    wait for Redis, so a slow or unreachable Redis never holds a run up (it
    used to wait up to BROADCAST_TIMEOUT_S per event; on a healthy Redis the
    wait was well under a millisecond). One loop keeps one Redis connection
    pool; `async_to_sync` made a thread, a loop and a Redis connection for
    every event."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue[tuple[Any, str, dict[str, Any]]] = asyncio.Queue()
        self.backlog = 0  # queued and not yet sent
        self.changed = threading.Condition()
        threading.Thread(target=self.loop.run_forever, name="owm-broadcast", daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._send_forever(), self.loop)

    def submit(self, layer: Any, group: str, message: dict[str, Any]) -> bool:
        with self.changed:
            if self.backlog >= BROADCAST_BACKLOG:
                return False
            self.backlog += 1
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (layer, group, message))
        return True

    def drain(self, timeout: float) -> bool:
        """Wait until everything queued so far has been sent (or given up)."""
        with self.changed:
            return self.changed.wait_for(lambda: self.backlog == 0, timeout)

    async def _send_forever(self) -> None:
        while True:
            layer, group, message = await self.queue.get()
            try:
                await asyncio.wait_for(
                    _group_send_reconnecting(layer, group, message), BROADCAST_TIMEOUT_S
                )
            except Exception:  # a broadcast failure must not fail the run: clients re-sync
                event = message.get("event") or {}
                logger.warning(
                    "could not broadcast %s to %s", event.get("type"), group, exc_info=True
                )
            finally:
                with self.changed:
                    self.backlog -= 1
                    self.changed.notify_all()


_sender: tuple[int, _Sender] | None = None
_sender_lock = threading.Lock()


def _sender_now() -> _Sender:
    global _sender
    with _sender_lock:
        if _sender is None or _sender[0] != os.getpid():
            _sender = (os.getpid(), _Sender())
        return _sender[1]


def broadcasts_drain(timeout: float = BROADCAST_TIMEOUT_S) -> bool:
    """Wait for this process's queued broadcasts (a worker shutting down, tests)."""
    if _sender is None or _sender[0] != os.getpid():
        return True
    return _sender[1].drain(timeout)


def broadcast(group: str, payload: dict[str, Any], *, kind: str = "run.event") -> None:
    """Send to a channel-layer group; `kind` is the message's type (the
    consumers hear their group through apps.core.fanout and do not dispatch
    on it). The message carries the payload encoded once (`text`), which a
    consumer forwards as is instead of encoding it again for each client.
    Never raises and never waits for Redis: events are rows already, and a
    client that misses one re-syncs from the database."""
    layer = get_channel_layer()
    loop = _server_loop
    if layer is None or (settings.EMBEDDED and loop is None):
        return  # no layer, or no websocket client has ever connected to this process
    try:
        message = {"type": kind, "event": payload, "text": json.dumps(payload)}
        if settings.EMBEDDED and loop is not None and loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.create_task(layer.group_send(group, message))
            else:
                asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        elif not _sender_now().submit(layer, group, message):
            logger.warning(
                "could not broadcast %s to %s: %d broadcasts are waiting for the channel layer",
                payload.get("type"),
                group,
                BROADCAST_BACKLOG,
            )
    except Exception:  # a broadcast failure must not fail the run: clients re-sync
        logger.warning("could not broadcast %s to %s", payload.get("type"), group, exc_info=True)


async def _group_send_reconnecting(layer: Any, group: str, message: dict[str, Any]) -> None:
    """group_send, once more after a dropped connection: a pooled connection that
    a restarted Redis closed fails its first command, and the retry reconnects.
    Were the message sent twice, consumers drop a seq they have already sent."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    try:
        await layer.group_send(group, message)
    except RedisConnectionError:
        await layer.group_send(group, message)


EVENTS_PAGE = 500  # events a replay reads at a time


def run_events_after(
    *, run_id: object, after: int, limit: int = EVENTS_PAGE
) -> list[dict[str, Any]]:
    events = RunEvent.objects.filter(run_id=run_id, seq__gt=after).order_by("seq")[:limit]
    return [event.as_payload() for event in events]
