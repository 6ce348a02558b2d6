"""Live notifications to the "support-queue" channel group.

Sent on commit, so a rolled-back escalation never reaches a browser, and never
allowed to fail the caller: without a channel layer, or in the embedded mode
before any websocket client connected to this process, nothing is sent and the
tickets page still shows the ticket on its next load."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from apps.agents.events import broadcast

if TYPE_CHECKING:
    from apps.customerservice.models import Ticket

QUEUE_GROUP = "support-queue"


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
    # The shared broadcaster handles the embedded mode's server loop and
    # never raises (a notification must never fail the escalation).
    broadcast(QUEUE_GROUP, message["ticket"], kind="ticket.created")
