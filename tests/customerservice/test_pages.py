"""The support pages: the queue, a human working a ticket, inquiries, the knowledge base."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.customerservice import services
from apps.customerservice.models import Article, KnowledgeCategory, Ticket, TicketNote

pytestmark = pytest.mark.django_db


def login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _ticket() -> Ticket:
    return Ticket.objects.select_related("inquiry").order_by("id").first()


def test_pages_need_a_login(support):
    response = Client().get(reverse("customerservice:tickets"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "name", ["customerservice:tickets", "customerservice:inquiries", "customerservice:articles"]
)
def test_list_pages_render_for_a_viewer(support, name):
    response = login(support.viewer).get(reverse(name))
    assert response.status_code == 200


def test_the_queue_shows_sla_and_highlights_overdue_tickets(support):
    ticket = _ticket()
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=timezone.now() - dt.timedelta(hours=1))
    html = login(support.operator).get(reverse("customerservice:tickets")).content.decode()
    assert ticket.code in html
    assert "cs-overdue" in html and "overdue</span>" in html
    assert 'id="ticket-rows"' in html and "js/customerservice.js" in html


def test_queue_filters_narrow_the_rows(support):
    client = login(support.operator)
    urgent = client.get(reverse("customerservice:tickets"), {"priority": "urgent"})
    assert all(t.priority == "urgent" for t in urgent.context["page"].object_list)
    billing = client.get(reverse("customerservice:tickets"), {"queue": "billing"})
    assert {t.queue for t in billing.context["page"].object_list} == {"billing"}
    mine = client.get(reverse("customerservice:tickets"), {"assignee": "me"})
    assert list(mine.context["page"].object_list) == []
    empty = client.get(reverse("customerservice:tickets"), {"status": "resolved"})
    assert "No tickets match" in empty.content.decode()


def test_queue_query_count_does_not_grow_with_rows(support, django_assert_max_num_queries):
    client = login(support.operator)
    inquiry = _ticket().inquiry
    for _ in range(20):
        Ticket.objects.create(
            code=f"TCK-X{Ticket.objects.count()}",
            inquiry=inquiry,
            subject="s",
            reason="r",
            priority="low",
            queue="general",
            assignee=support.other_operator,
            sla_due_at=timezone.now(),
        )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("customerservice:tickets"))
    assert len(response.context["page"].object_list) == 23


def test_inquiries_query_count_does_not_grow_with_rows(support, django_assert_max_num_queries):
    for n in range(15):
        services.inquiry_record(text=f"refund please {n}", customer_tier="gold")
    client = login(support.operator)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("customerservice:inquiries"))
    assert len(response.context["page"].object_list) == 20


def test_inquiry_filters(support):
    client = login(support.operator)
    response = client.get(reverse("customerservice:inquiries"), {"category": "billing"})
    assert {i.category for i in response.context["page"].object_list} == {"billing"}


def test_a_human_closes_a_ticket_with_htmx(support):
    ticket = _ticket()
    url = reverse("customerservice:ticket-status", args=[ticket.code])
    response = login(support.operator).post(url, {"status": "closed"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="work"') and "<html" not in html
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at is not None
    assert TicketNote.objects.filter(ticket=ticket, body__contains="to closed").exists()


def test_reopening_clears_closed_at(support):
    ticket = _ticket()
    services.ticket_close(ticket=ticket, actor=support.operator)
    url = reverse("customerservice:ticket-status", args=[ticket.code])
    login(support.operator).post(url, {"status": "open"})
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.closed_at is None


def test_assign_to_me_and_to_someone(support):
    ticket = _ticket()
    client = login(support.other_operator)
    url = reverse("customerservice:ticket-assign", args=[ticket.code])
    assert client.post(url, {"assignee": "me"}, HTTP_HX_REQUEST="true").status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee == support.other_operator
    client.post(url, {"assignee": str(support.operator.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee == support.operator


def test_assigning_to_a_non_member_is_refused(support):
    ticket = _ticket()
    url = reverse("customerservice:ticket-assign", args=[ticket.code])
    response = login(support.operator).post(url, {"assignee": str(support.viewer.pk)})
    assert response.status_code == 400


def test_a_reply_is_recorded_and_sets_the_ticket_pending(support):
    ticket = _ticket()
    url = reverse("customerservice:ticket-note", args=[ticket.code])
    response = login(support.operator).post(
        url, {"body": "A replacement ships today.", "is_reply": "on"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    note = ticket.notes.get(body="A replacement ships today.")
    assert note.is_reply and note.author == support.operator
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert "A replacement ships today." in response.content.decode()


def test_an_empty_note_shows_the_error(support):
    ticket = _ticket()
    url = reverse("customerservice:ticket-note", args=[ticket.code])
    response = login(support.operator).post(url, {"body": "  "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_a_viewer_may_look_but_not_work_a_ticket(support):
    ticket = _ticket()
    client = login(support.viewer)
    page = client.get(reverse("customerservice:ticket", args=[ticket.code]))
    assert page.status_code == 200 and "Close ticket" not in page.content.decode()
    url = reverse("customerservice:ticket-status", args=[ticket.code])
    assert client.post(url, {"status": "closed"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_the_ticket_page_needs_csrf(support):
    ticket = _ticket()
    client = Client(enforce_csrf_checks=True)
    client.force_login(support.operator)
    url = reverse("customerservice:ticket-status", args=[ticket.code])
    assert client.post(url, {"status": "closed"}).status_code == 403


def test_unknown_ticket_is_404(support):
    response = login(support.operator).get(reverse("customerservice:ticket", args=["TCK-0"]))
    assert response.status_code == 404


def test_ticket_page_shows_the_work_panel(support):
    ticket = _ticket()
    html = (
        login(support.operator)
        .get(reverse("customerservice:ticket", args=[ticket.code]))
        .content.decode()
    )
    assert "Assign to me" in html and "Close ticket" in html and ticket.reason in html


def test_knowledge_base_editor_shows_validation_errors(support):
    response = login(support.operator).post(
        reverse("customerservice:article-new"), {"title": "Hi", "body": "short"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html  # category
    assert "at least 5 characters" in html and "at least 20 characters" in html


def test_knowledge_base_editor_creates_and_edits_an_article(support):
    client = login(support.operator)
    category = KnowledgeCategory.objects.get(slug="shipping")
    response = client.post(
        reverse("customerservice:article-new"),
        {
            "category": category.pk,
            "title": "Weekend deliveries",
            "body": "We deliver on Saturdays in Seoul and Busan.",
            "tags": "Weekend, saturday, weekend",
            "published": "on",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get(title="Weekend deliveries")
    assert article.tags == "weekend, saturday" and article.published
    edit = reverse("customerservice:article-edit", args=[article.pk])
    assert client.get(edit).status_code == 200
    client.post(
        edit,
        {"category": category.pk, "title": "Weekend deliveries", "body": article.body + " Draft."},
    )
    article.refresh_from_db()
    assert not article.published and article.body.endswith("Draft.")


def test_a_viewer_cannot_edit_the_knowledge_base(support):
    assert login(support.viewer).get(reverse("customerservice:article-new")).status_code == 403


def test_knowledge_base_list_filters_by_category(support):
    response = login(support.operator).get(
        reverse("customerservice:articles"), {"category": "account"}
    )
    assert {a.category.slug for a in response.context["page"].object_list} == {"account"}
