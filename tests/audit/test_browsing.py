"""Browsing a big audit log: dropdowns from the facet table, newer/older pages by
seq, bounded counts, date filters bounded by seq. Each page must cost the same
whatever the log's size."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.audit import chain
from apps.audit.models import AuditEntry, AuditFacet
from apps.audit.selectors import audit_entry_list, audit_entry_page, audit_filter_choices
from apps.audit.services import audit_record
from apps.audit.triggers import facets_backfill

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def stamped(*moments: dt.datetime) -> None:
    """Entries 1, 2, … at these times, in this order (the hashes do not matter here)."""
    AuditEntry.objects.bulk_create(
        AuditEntry(
            seq=seq, at=at, event="tool.call", tool="predict_demand",
            prev_hash=chain.GENESIS_HASH, hash=f"{seq:064x}",
        )
        for seq, at in enumerate(moments, start=1)
    )  # fmt: skip


def seqs(filters: dict[str, str]) -> list[int]:
    return list(audit_entry_list(filters=filters).values_list("seq", flat=True))


def test_the_dropdowns_offer_every_event_tool_and_agent_recorded(auditor):
    audit_record(event="webhook.received")
    audit_record(event="tool.call", agent="support", tool="lookup_order")
    audit_record(event="tool.call", agent="support", tool="lookup_order")
    choices = audit_filter_choices()
    assert "webhook.received" in choices["event"] and "tool.call" in choices["event"]
    assert choices["tool"] == ["lookup_order"] and choices["agent"] == ["support"]
    page = logged_in(auditor).get("/audit/")
    assert page.context["tools"] == ["lookup_order"]
    assert '<option value="lookup_order"' in page.content.decode()


def test_the_dropdowns_do_not_read_the_log(auditor):
    for i in range(5):
        audit_record(event="tool.call", tool=f"tool_{i}")
    with CaptureQueriesContext(connection) as queries:
        choices = audit_filter_choices()
    assert len(choices["tool"]) == 5
    assert len(queries) == 1 and "audit_auditentry" not in queries[0]["sql"]


def test_a_rolled_back_entry_leaves_no_dropdown_value(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(event="tool.call", tool="never_committed")
        raise RuntimeError
    assert not AuditFacet.objects.filter(value="never_committed").exists()


def test_the_backfill_finds_the_values_already_in_the_log(db):
    audit_record(event="auth.login")
    audit_record(event="tool.call", agent="inventory", tool="check_stock_levels")
    AuditFacet.objects.all().delete()
    facets_backfill(connection)
    assert set(AuditFacet.objects.values_list("field", "value")) == {
        ("event", "auth.login"),
        ("event", "tool.call"),
        ("agent", "inventory"),
        ("tool", "check_stock_levels"),
    }


def test_a_filter_value_from_the_url_stays_selected_when_unknown(auditor):
    page = logged_in(auditor).get("/audit/", {"tool": "retired_tool"})
    assert page.context["tools"][0] == "retired_tool"
    assert '<option value="retired_tool" selected>' in page.content.decode()


def test_older_and_newer_links_walk_every_entry_once(auditor):
    for i in range(119):
        audit_record(event="tool.call", tool="predict_demand", arguments={"i": i})
    client = logged_in(auditor)  # its log-in is entry 120
    seen, response = [], client.get("/audit/")
    while True:
        page = response.context["page"]
        seen += [entry.seq for entry in page.entries]
        if not page.has_older:
            break
        assert f"before={page.older_before}" in response.content.decode()
        response = client.get("/audit/", {"before": page.older_before})
    assert seen == list(range(120, 0, -1))
    back = []
    while page.has_newer:
        response = client.get("/audit/", {"after": page.newer_after})
        page = response.context["page"]
        back += [entry.seq for entry in page.entries]
    assert back == list(range(70, 20, -1)) + list(range(120, 70, -1))


def test_the_oldest_link_shows_the_first_entries_newest_first(auditor):
    for i in range(60):
        audit_record(event="tool.call", arguments={"i": i})
    client = logged_in(auditor)
    assert 'after=0" rel="last"' in client.get("/audit/").content.decode()
    page = client.get("/audit/", {"after": "0"}).context["page"]
    assert [entry.seq for entry in page.entries] == list(range(50, 0, -1))
    assert not page.has_older and page.has_newer and page.newer_after == 50
    newer = client.get("/audit/", {"after": "50"}).context["page"]
    assert [entry.seq for entry in newer.entries] == list(range(61, 50, -1))
    assert not newer.has_newer


def test_page_links_keep_the_filters(auditor):
    for i in range(60):
        audit_record(event="tool.call", tool="predict_demand" if i % 2 else "send_email")
    body = logged_in(auditor).get("/audit/", {"tool": "send_email"}).content.decode()
    assert "30 entries match" in body
    assert "tool=send_email&amp;after=0" not in body  # 30 entries: one page, no links
    for _ in range(40):
        audit_record(event="tool.call", tool="send_email")
    body = logged_in(auditor).get("/audit/", {"tool": "send_email"}).content.decode()
    older = re.search(r'href="\?tool=send_email&amp;before=(\d+)" rel="next"', body)
    assert older is not None


@pytest.mark.parametrize("cursor", ["abc", "-5", "²", "9" * 40, ""])
def test_a_malformed_cursor_shows_the_newest_page(auditor, cursor):
    audit_record(event="tool.call")
    response = logged_in(auditor).get("/audit/", {"before": cursor, "after": cursor})
    assert response.status_code == 200
    assert response.context["page"].highest_seq == AuditEntry.objects.count()


def test_the_whole_log_is_counted_exactly(auditor):
    for _ in range(7):
        audit_record(event="tool.call")
    page = logged_in(auditor).get("/audit/").context["page"]
    assert (page.total, page.total_capped) == (AuditEntry.objects.count(), False)


def test_a_broad_filter_is_counted_up_to_the_cap(auditor, monkeypatch):
    monkeypatch.setattr("apps.audit.selectors.COUNT_CAP", 5)
    for _ in range(8):
        audit_record(event="tool.call", tool="predict_demand")
    response = logged_in(auditor).get("/audit/", {"tool": "predict_demand"})
    page = response.context["page"]
    assert (page.total, page.total_capped) == (5, True)
    assert "5+ entries match" in response.content.decode()
    narrow = logged_in(auditor).get("/audit/", {"event": "auth.login"}).context["page"]
    assert (narrow.total, narrow.total_capped) == (2, False)  # both log-ins


def test_a_day_finds_exactly_its_entries(db):
    stamped(*(T0 + dt.timedelta(hours=h) for h in range(72)))
    day = (T0 + dt.timedelta(days=1)).date().isoformat()
    found = seqs({"since": day, "until": day})
    expected = [e.seq for e in AuditEntry.objects.all() if e.at.date().isoformat() == day]
    assert found == sorted(expected, reverse=True) and len(found) == 24


def test_a_date_filter_bounds_the_seq_range_the_database_walks(db):
    stamped(*(T0 + dt.timedelta(hours=h) for h in range(72)))
    day = (T0 + dt.timedelta(days=1)).date().isoformat()
    sql = str(audit_entry_list(filters={"since": day, "until": day}).query)
    assert '"seq" >' in sql and '"seq" <' in sql, sql


def test_a_clock_stepping_back_within_the_slack_loses_no_entry(db):
    # Entry 3 was stamped 30 s before entry 2 (a clock step back).
    stamped(
        T0 - dt.timedelta(minutes=2),
        T0 + dt.timedelta(seconds=30),
        T0,
        T0 + dt.timedelta(minutes=2),
    )
    assert seqs({"since": (T0 + dt.timedelta(seconds=15)).isoformat()}) == [4, 2]
    assert seqs({"until": (T0 + dt.timedelta(seconds=10)).isoformat()}) == [3, 1]


def test_a_page_of_a_date_range_holds_its_newest_entries(db):
    stamped(*(T0 + dt.timedelta(minutes=10 * n) for n in range(300)))
    day = T0.date().isoformat()
    page = audit_entry_page(filters={"until": day})
    assert [e.seq for e in page.entries] == list(range(84, 34, -1))  # 10:00 to 23:50
    assert page.has_older and not page.has_newer
