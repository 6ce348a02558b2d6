"""The customer-service tools: classify and record an inquiry, search the
knowledge base, escalate an inquiry to a human. Thin: they call the services
and selectors the dashboard and the API use."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.customerservice import selectors, services
from apps.customerservice.classifier import PRIORITIES, TIERS
from apps.customerservice.models import Inquiry, Ticket
from apps.tools.registry import Risk, ToolContext, ToolError, tool

MAX_RESULTS = 5


@tool(
    name="analyze_customer_inquiry",
    description=(
        "Classify a customer's message into a category (billing, shipping, returns, technical, "
        "account, product, complaint, general) and a priority (low, medium, high, urgent) with a "
        "confidence and the rules that matched, and record it as an inquiry. Returns inquiry_id "
        "(e.g. INQ-12) to pass to escalate_to_human. Gold and platinum customers get a higher "
        "priority."
    ),
    parameters={
        "type": "object",
        "properties": {
            "inquiry_text": {
                "type": "string",
                "minLength": 1,
                "maxLength": 5000,
                "description": "The customer's message, verbatim.",
            },
            "customer_tier": {
                "type": "string",
                "enum": list(TIERS),
                "description": "The customer's loyalty tier, when known.",
            },
        },
        "required": ["inquiry_text"],
        "additionalProperties": False,
    },
    risk=Risk.MEDIUM,
    side_effects=True,
    category="customer_service",
)
def analyze_customer_inquiry(
    ctx: ToolContext, *, inquiry_text: str, customer_tier: str | None = None
) -> dict[str, Any]:
    if not inquiry_text.strip():
        raise ToolError("inquiry_text is empty; pass the customer's message", kind="invalid")
    channel = Inquiry.Channel.AGENT if ctx.source == "agent" else Inquiry.Channel.CHAT
    inquiry, result = services.inquiry_record(
        text=inquiry_text, customer_tier=customer_tier, channel=channel, actor=ctx.actor
    )
    why = "; ".join(result.reason_lines()) or "no rule matched"
    return {
        "summary": (
            f"Recorded {inquiry.code}: {result.category} inquiry, {result.priority} priority "
            f"(confidence {result.confidence:.0%}). Why: {why}."
        ),
        "inquiry_id": inquiry.code,
        "category": result.category,
        "priority": result.priority,
        "confidence": result.confidence,
        "customer_tier": customer_tier,
        "scores": result.scores,
        "reasons": result.reasons,
        "suggested_queue": services.queue_for(result.category),
    }


def _category_slug(category: str) -> str | None:
    if category.strip().lower() in selectors.ALL_CATEGORIES:
        return None
    found = selectors.category_get(slug=category)
    if found is None:
        known = selectors.category_slugs()
        raise ToolError(
            f"unknown knowledge-base category {category!r}; use one of {', '.join(known)} or 'all'",
            kind="not_found",
            details={"unknown_category": category, "known_categories": [*known, "all"]},
        )
    return found.slug


@tool(
    name="search_knowledge_base",
    description=(
        "Full-text search of the published knowledge-base articles, best match first, with a "
        "snippet around the matching words (marked **like this**). category is a category "
        "slug (billing, shipping, returns, technical, account, product) or 'all'."
    ),
    parameters={
        "type": "object",
        "properties": {
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": 500,
                "description": "What to look for, in the customer's words or keywords.",
            },
            "category": {
                "type": "string",
                "minLength": 1,
                "maxLength": 40,
                "description": "Knowledge-base category slug, or 'all' for every category.",
            },
        },
        "required": ["query", "category"],
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="customer_service",
)
def search_knowledge_base(ctx: ToolContext, *, query: str, category: str) -> dict[str, Any]:
    slug = _category_slug(category)
    hits = selectors.article_search(query=query, category=slug, limit=MAX_RESULTS)
    scope = f"in {slug}" if slug else "in all categories"
    if hits:
        titles = "; ".join(f"{h.title} (#{h.id})" for h in hits)
        summary = f"{len(hits)} article(s) for {query!r} {scope}: {titles}."
    else:
        summary = f"No published article matches {query!r} {scope}; consider escalating."
    return {
        "summary": summary,
        "query": query,
        "category": slug or "all",
        "count": len(hits),
        "results": [
            {
                "article_id": h.id,
                "title": h.title,
                "category": h.category,
                "snippet": h.snippet,
                "score": h.score,
            }
            for h in hits
        ],
    }


def _get_inquiry(inquiry_id: str) -> Inquiry:
    inquiry = selectors.inquiry_get(code=inquiry_id)
    if inquiry is None:
        recent = selectors.inquiry_recent_codes()
        hint = f"recent ones: {', '.join(recent)}" if recent else "none is recorded yet"
        raise ToolError(
            f"unknown inquiry {inquiry_id!r}; run analyze_customer_inquiry first to record "
            f"one ({hint})",
            kind="not_found",
            details={"unknown_inquiry": inquiry_id, "recent_inquiries": recent},
        )
    return inquiry


def _ticket_result(ticket: Ticket, *, created: bool) -> dict[str, Any]:
    assignee = ticket.assignee.get_username() if ticket.assignee else None
    due = timezone.localtime(ticket.sla_due_at)
    who = f"assigned to {assignee}" if assignee else "unassigned (no active support member)"
    if created:
        head = f"Escalated {ticket.inquiry.code} as {ticket.code}"
    else:
        head = f"{ticket.inquiry.code} already has open ticket {ticket.code}; nothing new created"
    return {
        "summary": (
            f"{head}: {ticket.priority} priority, {ticket.queue} queue, {who}, "
            f"SLA due {due:%Y-%m-%d %H:%M %Z}."
        ),
        "ticket_id": ticket.code,
        "inquiry_id": ticket.inquiry.code,
        "status": ticket.status,
        "priority": ticket.priority,
        "queue": ticket.queue,
        "assignee": assignee,
        "sla_due_at": ticket.sla_due_at.isoformat(),
        "reason": ticket.reason,
        "created": created,
    }


@tool(
    name="escalate_to_human",
    description=(
        "Hand a recorded inquiry (inquiry_id from analyze_customer_inquiry, e.g. INQ-12) to a "
        "human: opens a ticket in the queue for its category, assigns the least-loaded support "
        "agent, sets the SLA from the priority (urgent 1h, high 4h, medium 24h, low 72h; "
        "default: the inquiry's priority) and notifies the support queue live."
    ),
    parameters={
        "type": "object",
        "properties": {
            "inquiry_id": {
                "type": "string",
                "minLength": 1,
                "maxLength": 20,
                "description": "The inquiry id, e.g. INQ-12.",
            },
            "reason": {
                "type": "string",
                "minLength": 1,
                "maxLength": 2000,
                "description": "Why a human is needed, in one or two sentences.",
            },
            "priority": {
                "type": "string",
                "enum": list(PRIORITIES),
                "description": "Ticket priority; defaults to the inquiry's classified priority.",
            },
        },
        "required": ["inquiry_id", "reason"],
        "additionalProperties": False,
    },
    risk=Risk.MEDIUM,
    side_effects=True,
    category="customer_service",
)
def escalate_to_human(
    ctx: ToolContext, *, inquiry_id: str, reason: str, priority: str | None = None
) -> dict[str, Any]:
    inquiry = _get_inquiry(inquiry_id)
    if not reason.strip():
        raise ToolError("reason is empty; say why a human is needed", kind="invalid")
    ticket, created = services.ticket_escalate(
        inquiry=inquiry, reason=reason.strip(), priority=priority, actor=ctx.actor
    )
    return _ticket_result(ticket, created=created)
