"""generate_report in every format, the downloads, and the pages and API."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from apps.datatools import services
from apps.datatools.models import Report


@pytest.fixture
def dataset(people):
    rows = [
        {
            "date": f"2025-01-{d:02d}",
            "product_id": "SKU-1",
            "sold": d * 2,
            "note": '=HYPERLINK("http://evil")' if d == 1 else "<b>ok</b>",
        }
        for d in range(1, 16)
    ]
    return services.dataset_create(
        name="Sales & more",
        source_type="database",
        source="test",
        columns=["date", "product_id", "sold", "note"],
        rows=rows,
        created_by=people.operator,
    )


def _report(call, dataset, report_type="summary", fmt="html"):
    out = call(
        "generate_report",
        {"processed_data_id": dataset.data_id, "report_type": report_type, "format": fmt},
    )
    assert out.ok, out.result
    return out.result, Report.objects.get(report_id=out.result["report_id"])


def _content(report):
    with report.file.open("rb") as handle:
        return handle.read()


def test_html_report_is_the_default_and_autoescaped(call, dataset):
    out = call(
        "generate_report", {"processed_data_id": dataset.data_id, "report_type": "dashboard"}
    )
    result = out.result
    assert result["report_id"].startswith("RPT-") and result["format"] == "html"
    report = Report.objects.get(report_id=result["report_id"])
    html = _content(report).decode()
    assert "&lt;b&gt;ok&lt;/b&gt;" in html and "<b>ok</b>" not in html
    assert "Sales &amp; more" in html
    assert "data:image/svg+xml;base64," in html  # the dashboard chart
    assert result["size"] == report.size == len(html.encode())


def test_excel_report_opens_in_openpyxl_without_formulas(call, dataset):
    _, report = _report(call, dataset, "detailed", "excel")
    book = load_workbook(io.BytesIO(_content(report)))
    data = book[book.sheetnames[-1]]
    rows = list(data.iter_rows(values_only=True))
    assert rows[0] == ("date", "product_id", "sold", "note")
    assert len(rows) == 16  # header + all rows in a detailed report
    assert rows[1][3].startswith("'=")  # a formula-looking value stays text
    assert "Column statistics" in book.sheetnames


def test_pdf_report_is_a_pdf(call, dataset):
    _, report = _report(call, dataset, "presentation", "pdf")
    content = _content(report)
    assert content.startswith(b"%PDF")
    assert report.content_type == "application/pdf"


def test_json_report_has_the_sections(call, dataset):
    _, report = _report(call, dataset, "summary", "json")
    payload = json.loads(_content(report))
    assert [s["heading"] for s in payload["sections"]][:2] == ["Overview", "Column statistics"]
    assert len(payload["sections"][-1]["rows"]) == 10  # a summary previews 10 rows


def test_report_from_an_unknown_id_is_a_clear_error(call):
    out = call("generate_report", {"processed_data_id": "DS-000", "report_type": "summary"})
    assert out.result["error"]["kind"] == "not_found"


def test_bad_format_is_a_schema_error(call, dataset):
    out = call(
        "generate_report",
        {"processed_data_id": dataset.data_id, "report_type": "summary", "format": "docx"},
    )
    assert out.result["error"]["kind"] == "invalid_arguments"


def test_owner_downloads_the_report_others_get_404(call, dataset, client, people):
    result, _ = _report(call, dataset, "summary", "excel")
    client.force_login(people.operator)
    response = client.get(result["download_url"])
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert result["report_id"] in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"PK")  # xlsx is a zip
    client.force_login(people.other_operator)
    assert client.get(result["download_url"]).status_code == 404
    client.force_login(people.admin)
    assert client.get(result["download_url"]).status_code == 200


def test_download_needs_a_login(call, dataset, client):
    result, _ = _report(call, dataset)
    assert client.get(result["download_url"]).status_code == 302
    assert client.get(result["api_download_url"]).status_code in {401, 403}


def test_api_lists_datasets_and_reports_and_downloads(call, dataset, client, people):
    result, _ = _report(call, dataset, "summary", "json")
    client.force_login(people.operator)
    datasets = client.get("/api/datasets/").json()
    assert dataset.data_id in [d["data_id"] for d in datasets["results"]]
    detail = client.get(f"/api/datasets/{dataset.data_id}/").json()
    assert len(detail["rows"]) == 15
    reports = client.get("/api/reports/").json()
    assert reports["results"][0]["report_id"] == result["report_id"]
    response = client.get(f"/api/reports/{result['report_id']}/download")
    assert response.status_code == 200
    assert json.loads(b"".join(response.streaming_content))["report_type"] == "summary"
    client.force_login(people.other_operator)
    assert client.get(f"/api/datasets/{dataset.data_id}/").status_code == 404


def test_pages_list_datasets_reports_and_files(call, dataset, client, people):
    _report(call, dataset)
    client.force_login(people.operator)
    page = client.get("/data/").content.decode()
    assert dataset.data_id in page and "Sales &amp; more" in page
    detail = client.get(f"/data/{dataset.data_id}/").content.decode()
    assert "&lt;b&gt;ok&lt;/b&gt;" in detail
    assert "RPT-" in client.get("/data/reports/").content.decode()
    assert client.get("/data/files/").status_code == 200
    assert client.get("/data/?source=api").content.decode().count("No dataset matches") == 1


def test_file_upload_page_stores_a_readable_file(client, people, call):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(people.operator)
    upload = SimpleUploadedFile("units.csv", b"a,b\n1,2\n", content_type="text/csv")
    assert client.post("/data/files/", {"file": upload}).status_code == 302
    out = call("fetch_data", {"source_type": "file", "query": "units.csv"})
    assert out.result["preview"] == [{"a": "1", "b": "2"}]


def test_viewer_cannot_upload(client, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(people.viewer)
    upload = SimpleUploadedFile("units.csv", b"a\n1\n")
    client.post("/data/files/", {"file": upload})
    assert not people.viewer.uploadedfile_set.exists()
