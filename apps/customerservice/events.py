"""Live notifications to the "support-queue" channel group.

Sent on commit, so a rolled-back escalation never reaches a browser, and never
allowed to fail the caller: without a channel layer, or in the embedded mode
before any websocket client connected to this process, nothing is sent and the
tickets page still shows the ticket on its next load."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

if TYPE_CHECKING:
    from apps.customerservice.models import Ticket

logger = logging.getLogger(__name__)

QUEUE_GROUP = "support-queue"
_server_loop: asyncio.AbstractEventLoop | None = None


def register_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The consumer records the ASGI server's loop: the in-memory layer only
    delivers to consumers on that loop."""
    global _server_loop  # one loop per process
    _server_loop = loop


def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    assignee = ticket.assignee
    return {
        "code": ticket.code,
        "subject": ticket.subject,
        "priority": ticket.priority,
        "status": ticket.status,
        "queue": ticket.queue,
        "assignee": assignee.get_username() if assignee is not None else None,
        "inquiry_id": ticket.inquiry.code if ticket.inquiry_id else None,
        "sla_due_at": ticket.sla_due_at.isoformat(),
        "created_at": ticket.created_at.isoformat(),
        "url": f"/support/tickets/{ticket.code}/",
    }


def ticket_created_publish(ticket: Ticket) -> None:
    """Tell the on-call queue about a new ticket once the transaction commits."""
    message = {"type": "ticket.created", "ticket": ticket_payload(ticket)}
    transaction.on_commit(lambda: queue_broadcast(message))


def queue_broadcast(message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = _server_loop
        if settings.EMBEDDED and (loop is None or not loop.is_running()):
            return  # no websocket client ever connected to this process
        if settings.EMBEDDED and loop is not None:
            _send_on_loop(layer, message, loop)
        else:
            async_to_sync(layer.group_send)(QUEUE_GROUP, message)
    except Exception:  # a notification must never fail the escalation
        logger.warning("could not notify %s", QUEUE_GROUP, exc_info=True)


def _send_on_loop(layer: Any, message: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        loop.create_task(layer.group_send(QUEUE_GROUP, message))
    else:
        asyncio.run_coroutine_threadsafe(layer.group_send(QUEUE_GROUP, message), loop)
