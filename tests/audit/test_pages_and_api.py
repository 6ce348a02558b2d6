"""The dashboard at /audit/ and the API under /api/audit/: auditors only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.audit.models import AuditEntry
from apps.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(scenario) -> None:  # type: ignore[no-untyped-def]
    audit_record(event="auth.login", actor=scenario.operator, ip="10.0.0.1")
    audit_record(
        event="tool.call", actor=scenario.operator, agent="inventory", tool="check_stock_levels",
        decision="allowed", status="succeeded", arguments={"product_ids": ["SKU-1001"]},
        result={"summary": "ok"}, duration_ms=12.0,
    )  # fmt: skip
    audit_record(
        event="tool.call", actor=scenario.viewer, agent="inventory", tool="create_purchase_order",
        decision="denied", status="denied", arguments={"supplier_id": "SUP-001", "token": "t0p"},
    )  # fmt: skip


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def streamed(response) -> str:  # type: ignore[no-untyped-def]
    assert response.streaming
    return b"".join(response.streaming_content).decode()


@pytest.mark.parametrize(
    "path", ["/audit/", "/audit/export.csv", "/audit/export.json"]
)  # fmt: skip
def test_an_operator_is_refused_the_audit_pages(scenario, path):
    assert logged_in(scenario.operator).get(path).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(db):
    response = Client().get("/audit/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_auditor_sees_the_entries(entries, auditor):
    response = logged_in(auditor).get("/audit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "check_stock_levels" in body and "create_purchase_order" in body
    assert "t0p" not in body


def test_staff_see_the_entries(entries, scenario):
    assert logged_in(scenario.admin).get("/audit/").status_code == 200


def test_the_page_filters_by_decision_and_tool(entries, auditor):
    page = logged_in(auditor).get("/audit/", {"decision": "denied"})
    assert [entry.tool for entry in page.context["page"].entries] == ["create_purchase_order"]
    page = logged_in(auditor).get("/audit/", {"tool": "check_stock_levels", "user": "alice"})
    assert page.context["page"].total == 1


def test_an_empty_filter_result_says_so(entries, auditor):
    response = logged_in(auditor).get("/audit/", {"user": "nobody"})
    assert "No entries match these filters." in response.content.decode()


def test_a_bad_date_is_reported_not_a_crash(entries, auditor):
    response = logged_in(auditor).get("/audit/", {"since": "yesterday-ish"})
    assert response.status_code == 200
    assert "since: expected a date" in response.content.decode()


def test_the_page_costs_the_same_queries_for_many_entries(
    entries, auditor, django_assert_max_num_queries
):
    client = logged_in(auditor)
    client.get("/audit/")  # warm the session
    for i in range(60):
        audit_record(event="tool.call", tool="predict_demand", arguments={"i": i})
    older = client.get("/audit/").context["page"].older_before
    with django_assert_max_num_queries(10):
        response = client.get("/audit/", {"before": older})
    # 3 entries, the log-in, 60 calls: page 1 holds 64..15, the older page the rest
    assert [entry.seq for entry in response.context["page"].entries] == list(range(14, 0, -1))


def test_re_verifying_over_htmx_returns_the_status_fragment(entries, auditor):
    client = logged_in(auditor)  # its log-in is an entry too: 4
    response = client.post("/audit/verify/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "4 entries, chain intact" in body and "<html" not in body


def test_re_verifying_is_refused_to_an_operator(entries, scenario):
    assert logged_in(scenario.operator).post("/audit/verify/").status_code == 403


def test_the_csv_export_streams_the_filtered_entries(entries, auditor):
    response = logged_in(auditor).get("/audit/export.csv", {"event": "tool.call"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(streamed(response))))
    assert [row["tool"] for row in rows] == ["create_purchase_order", "check_stock_levels"]
    assert json.loads(rows[0]["arguments"]) == {"supplier_id": "SUP-001", "token": "[REDACTED]"}
    assert len(rows[0]["hash"]) == 64


def test_the_json_export_streams_the_filtered_entries(entries, auditor):
    response = logged_in(auditor).get("/audit/export.json", {"user": "alice"})
    data = json.loads(streamed(response))
    assert [entry["event"] for entry in data] == ["tool.call", "auth.login"]
    assert data[0]["at"].endswith("+00:00")


def test_an_export_honours_the_time_range(entries, auditor):
    client = logged_in(auditor)
    tomorrow = (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    assert json.loads(streamed(client.get("/audit/export.json", {"since": tomorrow}))) == []
    today = timezone.now().date().isoformat()
    response = client.get("/audit/export.json", {"since": today, "until": today})
    assert len(json.loads(streamed(response))) == AuditEntry.objects.count()
    yesterday = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    assert json.loads(streamed(client.get("/audit/export.json", {"until": yesterday}))) == []


def test_the_api_lists_entries_to_an_auditor_with_filters(entries, auditor):
    response = api(auditor).get("/api/audit/entries/", {"decision": "denied"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["results"][0]["tool"] == "create_purchase_order"


@pytest.mark.parametrize(
    "path",
    ["/api/audit/entries/", "/api/audit/export.csv", "/api/audit/export.json", "/api/audit/verify"],
)
def test_the_api_refuses_an_operator(entries, scenario, path):
    assert api(scenario.operator).get(path).status_code == 403


def test_the_api_exports_are_streamed(entries, auditor):
    response = api(auditor).get("/api/audit/export.csv", {"tool": "check_stock_levels"})
    assert response.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(streamed(response))))) == 1
    response = api(auditor).get("/api/audit/export.json", HTTP_ACCEPT="application/json")
    assert len(json.loads(streamed(response))) == 3


def test_the_api_rejects_a_bad_filter(entries, auditor):
    response = api(auditor).get("/api/audit/entries/", {"until": "never"})
    assert response.status_code == 400


def test_the_api_verifies_the_chain(entries, auditor):
    body = api(auditor).get("/api/audit/verify").json()
    assert (body["ok"], body["checked"], body["summary"]) == (True, 3, "3 entries, chain intact")


def test_the_demo_seed_is_idempotent(scenario):
    from django.contrib.auth.models import User

    from apps.audit.demo import seed

    first = seed()
    second = seed()
    assert first["users_created"] == ["auditor"] and first["entries_seeded"] == 4
    assert second == {"users_created": [], "entries_seeded": 0}
    assert User.objects.get(username="auditor").groups.filter(name="auditor").exists()
    assert AuditEntry.objects.filter(event="tool.call").count() == 2
