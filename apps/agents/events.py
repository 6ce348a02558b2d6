"""Live run events: persisted first (with a per-run sequence number), then
broadcast on commit, so a client that reconnects re-syncs from the database
and a rolled-back change never reaches a browser."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import F

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
    with transaction.atomic():
        Run.objects.filter(pk=run.pk).update(last_seq=F("last_seq") + 1)
        seq = Run.objects.values_list("last_seq", flat=True).get(pk=run.pk)
        event = RunEvent.objects.create(run_id=run.pk, seq=seq, type=event_type, data=data)
    payload = event.as_payload()
    transaction.on_commit(lambda: broadcast(run_group(run.pk), payload))
    return event


def broadcast(group: str, payload: dict[str, Any], *, kind: str = "run.event") -> None:
    """Send to a channel-layer group; `kind` names the consumer handler."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": kind, "event": payload}
    try:
        loop = _server_loop
        if settings.EMBEDDED and loop is not None and loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.create_task(layer.group_send(group, message))
            else:
                asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        elif settings.EMBEDDED and loop is None:
            return  # no websocket client has ever connected to this process
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # a broadcast failure must not fail the run: clients re-sync
        logger.warning("could not broadcast %s to %s", payload.get("type"), group, exc_info=True)


def run_events_after(*, run_id: object, after: int, limit: int = 500) -> list[dict[str, Any]]:
    events = RunEvent.objects.filter(run_id=run_id, seq__gt=after).order_by("seq")[:limit]
    return [event.as_payload() for event in events]
