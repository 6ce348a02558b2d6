"""The customer-service tools, run through the executor as the product runs them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.customerservice import services
from apps.customerservice.models import Article, Inquiry, KnowledgeCategory, Ticket
from apps.tools.models import ToolCall
from apps.tools.registry import Risk, registry

pytestmark = pytest.mark.django_db

TOOLS = ["analyze_customer_inquiry", "search_knowledge_base", "escalate_to_human"]


def test_tools_are_registered_with_the_source_parameters():
    analyze, search, escalate = (registry.get(name) for name in TOOLS)
    assert set(analyze.parameters["properties"]) == {"inquiry_text", "customer_tier"}
    assert analyze.parameters["required"] == ["inquiry_text"]
    assert analyze.parameters["properties"]["customer_tier"]["enum"] == [
        "bronze",
        "silver",
        "gold",
        "platinum",
    ]
    assert set(search.parameters["required"]) == {"query", "category"}
    assert set(escalate.parameters["required"]) == {"inquiry_id", "reason"}
    assert escalate.parameters["properties"]["priority"]["enum"] == [
        "low",
        "medium",
        "high",
        "urgent",
    ]
    assert search.risk == Risk.LOW and escalate.side_effects


def test_customer_service_agent_is_created_by_migration():
    from apps.agents.models import Agent

    agent = Agent.objects.get(slug="customer-service")
    assert agent.name == "Customer-service agent"
    assert agent.tool_names == TOOLS
    assert agent.max_iterations == 10
    assert len(agent.example_prompts) >= 3


# analyze_customer_inquiry


def test_analysis_records_the_inquiry_and_returns_its_id(call):
    outcome = call(
        "analyze_customer_inquiry",
        {
            "inquiry_text": "my order #5521 never arrived and I need it urgently",
            "customer_tier": "platinum",
        },
    )
    assert outcome.ok, outcome.result
    result = outcome.result
    assert result["category"] == "shipping" and result["priority"] == "urgent"
    inquiry = Inquiry.objects.get(code=result["inquiry_id"])
    assert inquiry.code == f"INQ-{inquiry.pk}"
    assert inquiry.customer_tier == "platinum" and inquiry.reasons == result["reasons"]
    assert result["inquiry_id"] in result["summary"] and "urgent" in result["summary"]
    assert result["suggested_queue"] == "logistics"


def test_analysis_rejects_an_unknown_tier(call):
    outcome = call("analyze_customer_inquiry", {"inquiry_text": "hi", "customer_tier": "diamond"})
    assert outcome.call.status == ToolCall.Status.INVALID
    assert outcome.result["error"]["details"][0]["path"] == "customer_tier"


def test_analysis_needs_the_text(call):
    outcome = call("analyze_customer_inquiry", {"customer_tier": "gold"})
    assert outcome.call.status == ToolCall.Status.INVALID
    assert "inquiry_text" in outcome.result["error"]["details"][0]["message"]


def test_blank_text_is_a_tool_error_and_records_nothing(call):
    before = Inquiry.objects.count()
    outcome = call("analyze_customer_inquiry", {"inquiry_text": "   "})
    assert outcome.call.status == ToolCall.Status.FAILED
    assert Inquiry.objects.count() == before


def test_a_viewer_may_not_analyze(call, support):
    outcome = call("analyze_customer_inquiry", {"inquiry_text": "hi"}, actor=support.viewer)
    assert outcome.call.status == ToolCall.Status.DENIED
    assert "analyze_customer_inquiry" in outcome.result["error"]["message"]


# search_knowledge_base


def test_the_most_relevant_article_ranks_first(call):
    outcome = call("search_knowledge_base", {"query": "refund policy", "category": "billing"})
    assert outcome.ok
    results = outcome.result["results"]
    assert results[0]["title"] == "Refund policy"
    assert results[0]["score"] > results[1]["score"]
    assert all(r["category"] == "billing" for r in results)
    assert "Refund policy" in outcome.result["summary"]


def test_category_filter_excludes_other_categories(call):
    everywhere = call("search_knowledge_base", {"query": "refund", "category": "all"})
    shipping = call("search_knowledge_base", {"query": "refund", "category": "shipping"})
    assert {r["category"] for r in everywhere.result["results"]} >= {"billing", "shipping"}
    assert {r["category"] for r in shipping.result["results"]} == {"shipping"}
    assert shipping.result["category"] == "shipping" and everywhere.result["category"] == "all"


def test_any_is_an_alias_of_all(call):
    outcome = call("search_knowledge_base", {"query": "password", "category": "any"})
    assert outcome.result["results"][0]["title"] == "Resetting your password"


def test_snippets_mark_the_matching_words(call):
    outcome = call("search_knowledge_base", {"query": "trace", "category": "all"})
    assert outcome.result["count"] >= 1
    for hit in outcome.result["results"]:
        assert "**trace**" in hit["snippet"].lower()


def test_unpublished_articles_are_not_found(call):
    Article.objects.filter(title="Refund policy").update(published=False)
    outcome = call("search_knowledge_base", {"query": "refund policy", "category": "billing"})
    assert "Refund policy" not in [r["title"] for r in outcome.result["results"]]


def test_search_sees_a_new_article_and_an_edit_at_once(call):
    category = KnowledgeCategory.objects.get(slug="product")
    article = services.article_create(
        category=category, title="Gift wrapping", body="We wrap gifts in recycled paper."
    )
    found = call("search_knowledge_base", {"query": "gift wrapping", "category": "product"})
    assert found.result["results"][0]["article_id"] == article.pk
    services.article_update(
        article=article, category=category, title="Gift boxes", body="Boxes only now."
    )
    gone = call("search_knowledge_base", {"query": "wrapping", "category": "product"})
    assert gone.result["count"] == 0
    assert "consider escalating" in gone.result["summary"]


def test_unknown_category_lists_the_known_ones(call):
    outcome = call("search_knowledge_base", {"query": "refund", "category": "sales"})
    assert outcome.call.status == ToolCall.Status.FAILED
    assert outcome.call.error_kind == "not_found"
    assert "billing" in outcome.call.error and "'all'" in outcome.call.error


def test_search_needs_a_category(call):
    outcome = call("search_knowledge_base", {"query": "refund"})
    assert outcome.call.status == ToolCall.Status.INVALID


def test_punctuation_in_the_query_is_harmless(call):
    outcome = call("search_knowledge_base", {"query": 'refund" OR * (policy', "category": "all"})
    assert outcome.ok
    assert outcome.result["results"][0]["title"] == "Refund policy"


# escalate_to_human


def _inquiry(call, text="I was charged twice, please refund", tier="silver"):  # type: ignore[no-untyped-def]
    outcome = call("analyze_customer_inquiry", {"inquiry_text": text, "customer_tier": tier})
    return outcome.result["inquiry_id"]


def test_escalation_opens_a_routed_assigned_ticket_with_its_sla(call):
    inquiry_id = _inquiry(call)
    before = timezone.now()
    outcome = call(
        "escalate_to_human",
        {"inquiry_id": inquiry_id, "reason": "refund above the agent's limit", "priority": "high"},
    )
    assert outcome.ok, outcome.result
    ticket = Ticket.objects.get(code=outcome.result["ticket_id"])
    assert ticket.inquiry.code == inquiry_id
    assert ticket.queue == "billing" and ticket.priority == "high" and ticket.status == "open"
    assert ticket.reason == "refund above the agent's limit"
    assert ticket.assignee is not None
    assert (
        before + dt.timedelta(hours=4)
        <= ticket.sla_due_at
        <= timezone.now() + dt.timedelta(hours=4)
    )
    assert ticket.code in outcome.result["summary"] and "billing queue" in outcome.result["summary"]


def test_escalation_defaults_to_the_inquiry_priority(call):
    inquiry_id = _inquiry(call, "the whole app is down, outage!!!", "platinum")
    outcome = call("escalate_to_human", {"inquiry_id": inquiry_id, "reason": "outage"})
    assert outcome.result["priority"] == "urgent"
    assert outcome.result["queue"] == "technical"


@pytest.mark.parametrize(
    ("priority", "hours"), [("urgent", 1), ("high", 4), ("medium", 24), ("low", 72)]
)
def test_sla_follows_the_priority(priority, hours):
    start = timezone.now()
    assert services.sla_due(priority=priority, start=start) == start + dt.timedelta(hours=hours)


def test_assignment_picks_the_least_loaded_active_support_member(call, support):
    Ticket.objects.update(assignee=support.operator)  # alice carries every demo ticket
    outcome = call("escalate_to_human", {"inquiry_id": _inquiry(call), "reason": "check"})
    assert outcome.result["assignee"] == "bob"
    # closed tickets do not count as load
    Ticket.objects.filter(assignee=support.operator).update(status=Ticket.Status.CLOSED)
    second = call("escalate_to_human", {"inquiry_id": _inquiry(call), "reason": "check"})
    assert second.result["assignee"] == "alice"


def test_inactive_members_are_never_assigned(call, support):
    support.other_operator.is_active = False
    support.other_operator.save()
    Ticket.objects.update(assignee=support.operator)
    outcome = call("escalate_to_human", {"inquiry_id": _inquiry(call), "reason": "check"})
    assert outcome.result["assignee"] == "alice"


def test_without_support_members_the_ticket_waits_unassigned(call):
    Group.objects.get(name="support").user_set.clear()
    outcome = call("escalate_to_human", {"inquiry_id": _inquiry(call), "reason": "check"})
    assert outcome.ok
    assert outcome.result["assignee"] is None
    assert "unassigned" in outcome.result["summary"]


def test_escalating_twice_returns_the_open_ticket(call):
    inquiry_id = _inquiry(call)
    first = call("escalate_to_human", {"inquiry_id": inquiry_id, "reason": "one"})
    again = call("escalate_to_human", {"inquiry_id": inquiry_id.lower(), "reason": "two"})
    assert again.result["ticket_id"] == first.result["ticket_id"]
    assert again.result["created"] is False
    assert Ticket.objects.filter(inquiry__code=inquiry_id).count() == 1


def test_unknown_inquiry_is_a_clear_error(call):
    outcome = call("escalate_to_human", {"inquiry_id": "INQ-99999", "reason": "legal threat"})
    assert outcome.call.status == ToolCall.Status.FAILED
    assert outcome.call.error_kind == "not_found"
    assert "INQ-99999" in outcome.call.error and "analyze_customer_inquiry" in outcome.call.error


def test_escalation_rejects_an_invalid_priority(call):
    outcome = call(
        "escalate_to_human", {"inquiry_id": "INQ-1", "reason": "x", "priority": "critical"}
    )
    assert outcome.call.status == ToolCall.Status.INVALID


def test_escalation_needs_a_reason(call):
    outcome = call("escalate_to_human", {"inquiry_id": "INQ-1"})
    assert outcome.call.status == ToolCall.Status.INVALID
    assert Ticket.objects.filter(reason="").count() == 0
