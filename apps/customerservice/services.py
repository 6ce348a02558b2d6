"""Writes for customer service: record inquiries, escalate them to tickets,
and the work humans do on a ticket. Views, the API and the tools all call these."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apps.customerservice import events, selectors
from apps.customerservice.classifier import Classification, classify
from apps.customerservice.models import (
    Article,
    Customer,
    Inquiry,
    KnowledgeCategory,
    Ticket,
    TicketNote,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# How long a ticket may wait for a human, by priority.
SLA_BY_PRIORITY: dict[str, dt.timedelta] = {
    "urgent": dt.timedelta(hours=1),
    "high": dt.timedelta(hours=4),
    "medium": dt.timedelta(hours=24),
    "low": dt.timedelta(hours=72),
}

# The routing rule: an inquiry's category decides the queue its ticket joins.
QUEUE_BY_CATEGORY: dict[str, str] = {
    "billing": "billing",
    "returns": "billing",
    "shipping": "logistics",
    "technical": "technical",
    "account": "technical",
    "complaint": "customer-relations",
    "product": "general",
    "general": "general",
}
DEFAULT_QUEUE = "general"


class TicketStateError(ValueError):
    """A change the ticket's current status does not allow."""


def sla_due(*, priority: str, start: dt.datetime) -> dt.datetime:
    return start + SLA_BY_PRIORITY[priority]


def queue_for(category: str) -> str:
    return QUEUE_BY_CATEGORY.get(category, DEFAULT_QUEUE)


def _temporary_code() -> str:
    return f"tmp-{uuid.uuid4().hex[:16]}"


def inquiry_record(
    *,
    text: str,
    customer_tier: str | None = None,
    customer: Customer | None = None,
    channel: str = Inquiry.Channel.CHAT,
    actor: AbstractBaseUser | None = None,
) -> tuple[Inquiry, Classification]:
    """Classify `text` and store it as INQ-<id>.

    A known customer's own tier wins over `customer_tier`."""
    tier = customer.tier if customer is not None else customer_tier
    result = classify(text, tier)
    inquiry = Inquiry.objects.create(
        code=_temporary_code(),
        customer=customer,
        customer_tier=tier or "",
        channel=channel,
        text=text,
        category=result.category,
        priority=result.priority,
        confidence=result.confidence,
        reasons=result.reasons,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    inquiry.code = f"INQ-{inquiry.pk}"
    inquiry.save(update_fields=["code"])
    return inquiry, result


def _subject(inquiry: Inquiry) -> str:
    text = " ".join(inquiry.text.split())
    return f"[{inquiry.category}] {text[:120]}" + ("…" if len(text) > 120 else "")


@transaction.atomic
def ticket_escalate(
    *,
    inquiry: Inquiry,
    reason: str,
    priority: str | None = None,
    actor: AbstractBaseUser | None = None,
) -> tuple[Ticket, bool]:
    """Open a ticket for `inquiry` (or return its open one). Returns (ticket, created).

    Queue from the inquiry's category, assignee by `selectors.support_assignee_pick`,
    SLA from the priority (the inquiry's own when none is given). The support
    queue is notified live once the transaction commits."""
    existing = selectors.ticket_open_for_inquiry(inquiry=inquiry)
    if existing is not None:
        return existing, False
    priority = priority or inquiry.priority
    now = timezone.now()
    ticket = Ticket.objects.create(
        code=_temporary_code(),
        inquiry=inquiry,
        subject=_subject(inquiry),
        reason=reason,
        priority=priority,
        queue=queue_for(inquiry.category),
        assignee=selectors.support_assignee_pick(),
        sla_due_at=sla_due(priority=priority, start=now),
    )
    ticket.code = f"TCK-{ticket.pk}"
    ticket.save(update_fields=["code"])
    author = actor if actor is not None and actor.is_authenticated else None
    TicketNote.objects.create(ticket=ticket, author=author, body=f"Escalated: {reason}")
    events.ticket_created_publish(ticket)
    return ticket, True


def ticket_assign(
    *, ticket: Ticket, assignee: AbstractBaseUser | None, actor: AbstractBaseUser
) -> Ticket:
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    who = assignee.get_username() if assignee is not None else "nobody"
    TicketNote.objects.create(ticket=ticket, author=actor, body=f"Assigned to {who}.")
    return ticket


def ticket_note_add(
    *, ticket: Ticket, author: AbstractBaseUser, body: str, is_reply: bool = False
) -> TicketNote:
    """A reply to the customer (is_reply) or an internal note. A reply on an
    open ticket moves it to pending: the customer is expected to answer."""
    body = body.strip()
    if not body:
        raise ValueError("a note needs some text")
    with transaction.atomic():
        note = TicketNote.objects.create(ticket=ticket, author=author, body=body, is_reply=is_reply)
        if is_reply and ticket.status == Ticket.Status.OPEN:
            ticket.status = Ticket.Status.PENDING
            ticket.save(update_fields=["status", "updated_at"])
    return note


def ticket_status_set(*, ticket: Ticket, status: str, actor: AbstractBaseUser) -> Ticket:
    """Move a ticket to `status`; closing stamps closed_at, reopening clears it."""
    if status not in Ticket.Status.values:
        raise TicketStateError(f"unknown status {status!r}")
    if status == ticket.status:
        return ticket
    with transaction.atomic():
        previous = ticket.status
        ticket.status = status
        ticket.closed_at = timezone.now() if status == Ticket.Status.CLOSED else None
        ticket.save(update_fields=["status", "closed_at", "updated_at"])
        TicketNote.objects.create(
            ticket=ticket, author=actor, body=f"Status changed from {previous} to {status}."
        )
    return ticket


def ticket_close(*, ticket: Ticket, actor: AbstractBaseUser) -> Ticket:
    return ticket_status_set(ticket=ticket, status=Ticket.Status.CLOSED, actor=actor)


def article_create(
    *, category: KnowledgeCategory, title: str, body: str, tags: str = "", published: bool = True
) -> Article:
    return Article.objects.create(
        category=category, title=title, body=body, tags=_clean_tags(tags), published=published
    )


def article_update(
    *,
    article: Article,
    category: KnowledgeCategory,
    title: str,
    body: str,
    tags: str = "",
    published: bool = True,
) -> Article:
    article.category = category
    article.title = title
    article.body = body
    article.tags = _clean_tags(tags)
    article.published = published
    article.save()
    return article


def _clean_tags(tags: str) -> str:
    return ", ".join(dict.fromkeys(t.strip().lower() for t in tags.split(",") if t.strip()))
