"""/api/tickets/, /api/inquiries/, /api/kb/articles/."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.customerservice.models import Ticket

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_needs_authentication(support):
    assert APIClient().get("/api/tickets/").status_code in (401, 403)


def test_tickets_are_listed_with_filters(support):
    client = client_for(support.operator)
    body = client.get("/api/tickets/").json()
    assert body["count"] == Ticket.objects.count() == 3
    urgent = client.get("/api/tickets/", {"priority": "urgent"}).json()
    assert urgent["count"] >= 1 and all(t["priority"] == "urgent" for t in urgent["results"])
    billing = client.get("/api/tickets/", {"queue": "billing"}).json()
    assert {t["queue"] for t in billing["results"]} == {"billing"}
    assert client.get("/api/tickets/", {"assignee": "me"}).json()["count"] == 0


def test_a_ticket_has_its_notes(support):
    ticket = Ticket.objects.order_by("id").first()
    body = client_for(support.operator).get(f"/api/tickets/{ticket.code}/").json()
    assert body["code"] == ticket.code and body["inquiry_id"] == ticket.inquiry.code
    assert body["notes"][0]["body"].startswith("Escalated:")
    assert "sla_due_at" in body and body["is_overdue"] is False


def test_unknown_ticket_is_404(support):
    assert client_for(support.operator).get("/api/tickets/TCK-0/").status_code == 404


def test_a_note_is_added_through_the_api(support):
    ticket = Ticket.objects.order_by("id").first()
    response = client_for(support.operator).post(
        f"/api/tickets/{ticket.code}/notes/", {"body": "Called the customer.", "is_reply": False}
    )
    assert response.status_code == 201
    assert response.json()["author"] == "alice"
    assert ticket.notes.filter(body="Called the customer.").exists()


def test_a_blank_note_is_a_400(support):
    ticket = Ticket.objects.order_by("id").first()
    response = client_for(support.operator).post(
        f"/api/tickets/{ticket.code}/notes/", {"body": "   "}
    )
    assert response.status_code == 400


def test_a_viewer_may_not_add_notes(support):
    ticket = Ticket.objects.order_by("id").first()
    response = client_for(support.viewer).post(f"/api/tickets/{ticket.code}/notes/", {"body": "hi"})
    assert response.status_code == 403


def test_inquiries_are_listed_and_filtered(support):
    client = client_for(support.operator)
    body = client.get("/api/inquiries/").json()
    assert body["count"] == 5 and body["results"][0]["code"].startswith("INQ-")
    billing = client.get("/api/inquiries/", {"category": "billing"}).json()
    assert {i["category"] for i in billing["results"]} == {"billing"}


def test_kb_search_ranks_and_filters(support):
    client = client_for(support.operator)
    body = client.get("/api/kb/articles/", {"q": "refund policy", "category": "billing"}).json()
    assert body["results"][0]["title"] == "Refund policy"
    assert all(r["category"] == "billing" for r in body["results"])
    everything = client.get("/api/kb/articles/", {"category": "all"}).json()
    assert everything["count"] == 26


def test_the_schema_still_builds(support):
    response = client_for(support.admin).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/tickets/{code}/notes/" in response.content
