"""fetch_data over named datasets, allowed URLs and uploaded files."""

from __future__ import annotations

import io
import json

from openpyxl import Workbook

from apps.datatools import services
from apps.datatools.models import Dataset


def test_database_dataset_is_stored_with_an_id_and_a_preview(call, stock):
    out = call(
        "fetch_data",
        {
            "source_type": "database",
            "query": "stock_movements",
            "parameters": {"product_id": "SKU-1001", "days": 14},
        },
    )
    assert out.ok, out.result
    result = out.result
    assert result["data_id"].startswith("DS-")
    assert result["columns"] == ["date", "product_id", "location", "sold", "received", "net"]
    assert 0 < len(result["preview"]) <= 5
    assert {row["product_id"] for row in result["preview"]} == {"SKU-1001"}
    stored = Dataset.objects.get(data_id=result["data_id"])
    assert stored.row_count == result["row_count"] == len(stored.rows)
    assert stored.created_by.username == "alice"
    assert result["data_id"] in result["summary"]


def test_unknown_dataset_lists_the_known_ones(call):
    out = call("fetch_data", {"source_type": "database", "query": "users; drop table x"})
    assert not out.ok
    error = out.result["error"]
    assert error["kind"] == "unknown_dataset"
    assert "stock_movements" in error["message"] and "tool_metrics" in error["message"]


def test_unknown_dataset_parameter_is_refused(call):
    out = call(
        "fetch_data",
        {"source_type": "database", "query": "stock_levels", "parameters": {"sql": "select 1"}},
    )
    assert out.result["error"]["kind"] == "invalid_parameters"
    assert "sql" in out.result["error"]["message"]


def test_bad_days_is_a_clear_error(call):
    out = call(
        "fetch_data",
        {"source_type": "database", "query": "runs", "parameters": {"days": "forever"}},
    )
    assert out.result["error"]["kind"] == "invalid_parameters"


def test_tool_metrics_reads_the_executors_counters(call):
    call("fetch_data", {"source_type": "database", "query": "nope"})
    out = call("fetch_data", {"source_type": "database", "query": "tool_metrics"})
    assert out.ok
    assert any(r["tool"] == "fetch_data" and r["errors"] >= 1 for r in out.result["preview"])


def test_api_source_on_an_allowed_host_turns_json_into_rows(call, fake_http):
    services.allowed_source_create(host_pattern="127.0.0.1:*")
    payload = {
        "results": [
            {"city": "Seoul", "sales": 10, "meta": {"ok": True}},
            {"city": "Busan", "sales": 7, "meta": {"ok": False}},
        ]
    }
    fake_http.answer(
        "/sales", body=json.dumps(payload), headers={"content-type": "application/json"}
    )
    out = call("fetch_data", {"source_type": "api", "query": fake_http.url("/sales")})
    assert out.ok, out.result
    assert out.result["row_count"] == 2
    assert out.result["columns"] == ["city", "sales", "meta.ok"]
    assert fake_http.requests[0].method == "GET"


def test_host_not_on_the_allow_list_is_refused_without_a_request(call, fake_http):
    out = call("fetch_data", {"source_type": "api", "query": fake_http.url("/x")})
    assert out.result["error"]["kind"] == "source_not_allowed"
    assert "127.0.0.1" in out.result["error"]["message"]
    assert fake_http.requests == []


def test_disabled_allowed_source_does_not_count(call, fake_http):
    services.allowed_source_create(host_pattern="127.0.0.1:*", enabled=False)
    out = call("fetch_data", {"source_type": "web", "query": fake_http.url("/x")})
    assert out.result["error"]["kind"] == "source_not_allowed"


def test_oversized_response_is_cut_off(call, fake_http, settings):
    settings.OWM_FETCH_MAX_BYTES = 1000
    services.allowed_source_create(host_pattern="127.0.0.1:*")
    fake_http.answer("/big", body=b"x" * 5000, headers={"content-type": "text/plain"})
    out = call("fetch_data", {"source_type": "api", "query": fake_http.url("/big")})
    assert out.result["error"]["kind"] == "too_large"


def test_web_source_turns_html_into_text(call, fake_http):
    services.allowed_source_create(host_pattern="127.0.0.1:*")
    html = (
        "<html><head><title>Prices</title><script>alert(1)</script></head>"
        "<body><h1>Price list</h1><p>Scanner: 42 USD</p></body></html>"
    )
    fake_http.answer("/page", body=html, headers={"content-type": "text/html; charset=utf-8"})
    out = call("fetch_data", {"source_type": "web", "query": fake_http.url("/page")})
    assert out.ok, out.result
    assert "Scanner: 42 USD" in out.result["text_excerpt"]
    assert "alert" not in out.result["text_excerpt"]
    assert Dataset.objects.get(data_id=out.result["data_id"]).name == "Prices"


def test_http_error_and_unreachable_host_are_error_results(call, fake_http):
    services.allowed_source_create(host_pattern="127.0.0.1:*")
    fake_http.answer("/fail", status=500)
    out = call("fetch_data", {"source_type": "api", "query": fake_http.url("/fail")})
    assert out.result["error"]["kind"] == "http_error"
    out = call("fetch_data", {"source_type": "api", "query": "http://127.0.0.1:1/none"})
    assert out.result["error"]["kind"] == "unreachable"


def test_csv_file_is_read_by_name(call, people):
    services.uploaded_file_create(
        name="sales.csv", content=b"region;units\nSeoul;12\nBusan;7\n", uploaded_by=people.operator
    )
    out = call("fetch_data", {"source_type": "file", "query": "sales.csv"})
    assert out.ok, out.result
    assert out.result["preview"] == [
        {"region": "Seoul", "units": "12"},
        {"region": "Busan", "units": "7"},
    ]


def test_xlsx_and_json_files_are_read_by_id(call, people):
    book = Workbook()
    book.active.append(["sku", "qty"])
    book.active.append(["SKU-1", 3])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = services.uploaded_file_create(
        name="stock.xlsx", content=buffer.getvalue(), uploaded_by=people.operator
    )
    out = call("fetch_data", {"source_type": "file", "query": str(xlsx.pk)})
    assert out.result["preview"] == [{"sku": "SKU-1", "qty": 3}]
    js = services.uploaded_file_create(
        name="a.json", content=b'[{"a": 1}, {"a": 2}]', uploaded_by=people.operator
    )
    assert call("fetch_data", {"source_type": "file", "query": str(js.pk)}).result["row_count"] == 2


def test_someone_elses_file_is_not_found(call, people):
    services.uploaded_file_create(
        name="private.csv", content=b"a\n1\n", uploaded_by=people.other_operator
    )
    out = call("fetch_data", {"source_type": "file", "query": "private.csv"})
    assert out.result["error"]["kind"] == "not_found"


def test_viewer_may_not_fetch(call, people):
    out = call("fetch_data", {"source_type": "database", "query": "runs"}, actor=people.viewer)
    assert out.result["error"]["kind"] == "denied"
    assert "fetch_data" in out.result["error"]["message"]


def test_bad_source_type_is_a_schema_error(call):
    out = call("fetch_data", {"source_type": "ftp", "query": "x"})
    assert out.result["error"]["kind"] == "invalid_arguments"
