"""Building a report from a dataset and rendering it as HTML, JSON, Excel or PDF.

A report is a title plus sections (heading, paragraphs, optional table and
chart); each format renders the same content."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import timezone

from apps.datatools.analysis import chart_for
from apps.datatools.processing import analyze as profile_columns
from apps.datatools.processing import numeric_columns

if TYPE_CHECKING:
    from apps.datatools.models import Dataset

PREVIEW_ROWS = {"summary": 10, "detailed": 1000, "dashboard": 20, "presentation": 8}
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    chart_svg: str = ""

    @property
    def chart_svg_b64(self) -> str:
        """The chart as a data: URI payload, so templates never mark markup safe."""
        return base64.b64encode(self.chart_svg.encode()).decode()


@dataclass
class ReportContent:
    title: str
    subtitle: str
    report_type: str
    sections: list[Section]


def _table(columns: list[str], rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[row.get(c) for c in columns] for row in rows]


def _overview(dataset: Dataset) -> Section:
    lines = [
        f"Source: {dataset.source_type} {dataset.source}.",
        f"{dataset.row_count} rows, {len(dataset.columns)} columns"
        + (f" (first {dataset.stored_rows} stored)." if dataset.truncated else "."),
    ]
    if dataset.parent_id:
        lines.append(f"Derived from {dataset.parent.data_id} by {dataset.operation.get('type')}.")
    return Section("Overview", paragraphs=lines)


def _profile(dataset: Dataset) -> Section:
    cols, rows, _ = profile_columns(dataset.columns, dataset.rows, {})
    shown = [c for c in cols if any(r.get(c) is not None for r in rows)]
    return Section("Column statistics", columns=shown, rows=_table(shown, rows))


def build_content(dataset: Dataset, report_type: str) -> ReportContent:
    limit = PREVIEW_ROWS[report_type]
    data = Section(
        "Data" if report_type == "detailed" else f"First {min(limit, dataset.stored_rows)} rows",
        columns=list(dataset.columns),
        rows=_table(dataset.columns, dataset.rows[:limit]),
    )
    sections = [_overview(dataset), _profile(dataset)]
    if report_type in {"dashboard", "presentation"} and numeric_columns(
        dataset.columns, dataset.rows
    ):
        chart = chart_for(dataset.columns, dataset.rows, "trend", {}, dataset.name)
        sections.append(Section("Chart", chart_svg=chart))
    sections.append(data)
    now = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    return ReportContent(
        title=f"{dataset.name} — {report_type} report",
        subtitle=f"{dataset.data_id} · generated {now}",
        report_type=report_type,
        sections=sections,
    )


def render_html(content: ReportContent) -> bytes:
    return render_to_string("datatools/report_file.html", {"report": content}).encode()


def render_json(content: ReportContent) -> bytes:
    payload = asdict(content)
    for section in payload["sections"]:
        section.pop("chart_svg", None)
    return json.dumps(payload, indent=2, default=str).encode()


def _sheet_title(text: str, used: set[str]) -> str:
    base = "".join(ch for ch in text if ch not in "[]:*?/\\")[:28] or "Sheet"
    title, n = base, 2
    while title in used:
        title, n = f"{base[:25]} {n}", n + 1
    used.add(title)
    return title


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, int | float | bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text  # no formula injection


def render_excel(content: ReportContent) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    used: set[str] = set()
    sheet.title = _sheet_title("Report", used)
    sheet.append([content.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([content.subtitle])
    for section in content.sections:
        if not section.columns:
            sheet.append([])
            sheet.append([section.heading])
            for paragraph in section.paragraphs:
                sheet.append([paragraph])
            continue
        table = book.create_sheet(_sheet_title(section.heading, used))
        table.append(section.columns)
        for cell in table[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            table.append([_xlsx_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def render_pdf(content: ReportContent) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table
    from reportlab.platypus.tables import TableStyle

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=content.title)
    story: list[Any] = [
        Paragraph(escape(content.title), styles["Title"]),
        Paragraph(escape(content.subtitle), styles["Normal"]),
    ]
    for section in content.sections:
        if section.chart_svg:
            continue  # charts are in the HTML and dashboard formats
        if content.report_type == "presentation":
            story.append(PageBreak())
        story += [Spacer(1, 12), Paragraph(escape(section.heading), styles["Heading2"])]
        story += [Paragraph(escape(p), styles["Normal"]) for p in section.paragraphs]
        if section.columns:
            data = [section.columns[:12]] + [[_pdf_cell(v) for v in r[:12]] for r in section.rows]
            table = Table(data, repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("FONTSIZE", (0, 0), (-1, -1), 7),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ]
                )
            )
            story.append(table)
    doc.build(story)
    return out.getvalue()


RENDERERS = {"html": render_html, "json": render_json, "excel": render_excel, "pdf": render_pdf}


def render(content: ReportContent, fmt: str) -> bytes:
    return RENDERERS[fmt](content)
