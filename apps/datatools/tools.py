"""The data and report tools: fetch, process, analyze, report, and the weather.

fetch -> process -> report share state through ids (DS-..., RPT-...) that
persist, so a chain works within one run and across runs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from apps.datatools import selectors, services
from apps.datatools.datasets import DATASETS
from apps.datatools.models import Dataset
from apps.datatools.weather import current_weather
from apps.tools.registry import Risk, ToolContext, ToolError, tool

PREVIEW_ROWS = 5


def _preview(dataset: Dataset) -> list[dict[str, Any]]:
    return dataset.rows[:PREVIEW_ROWS]


def _get_dataset(ctx: ToolContext, data_id: str, field: str = "data_id") -> Dataset:
    dataset = selectors.dataset_get_for(user=ctx.actor, data_id=data_id)
    if dataset is None:
        recent = selectors.dataset_recent_ids(user=ctx.actor)
        raise ToolError(
            f"no dataset {data_id!r} ({field}); call fetch_data first and pass the data_id it "
            f"returns. Recent datasets: {', '.join(recent) or 'none'}",
            kind="not_found",
            details={"recent_data_ids": recent},
        )
    return dataset


def _dataset_fields(dataset: Dataset) -> dict[str, Any]:
    return {
        "columns": dataset.columns,
        "row_count": dataset.row_count,
        "stored_rows": dataset.stored_rows,
        "truncated": dataset.truncated,
        "preview": _preview(dataset),
    }


@tool(
    name="fetch_data",
    description=(
        "Fetch rows and store them as a dataset; returns a data_id for process_data, "
        "analyze_data and generate_report. source_type database: query is a dataset name ("
        + ", ".join(DATASETS)
        + ") and parameters its filters (e.g. product_id, location, days). source_type api or "
        "web: query is an http(s) URL on an admin-allowed host (JSON becomes rows, HTML text). "
        "source_type file: query is an uploaded file's id or name (CSV, JSON, .xlsx)."
    ),
    parameters={
        "type": "object",
        "properties": {
            "source_type": {"type": "string", "enum": ["database", "api", "file", "web"]},
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": 2000,
                "description": "Dataset name, URL, or uploaded file id/name.",
            },
            "parameters": {
                "type": "object",
                "description": 'Dataset parameters, e.g. {"product_id": "SKU-1001", "days": 30}.',
            },
        },
        "required": ["source_type", "query"],
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="data",
    atomic=False,
)
def fetch_data(
    ctx: ToolContext, *, source_type: str, query: str, parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    dataset = services.dataset_fetch(
        source_type=source_type, query=query, parameters=parameters or {}, actor=ctx.actor
    )
    more = " (stored rows capped)" if dataset.truncated else ""
    summary = (
        f"Fetched {dataset.row_count} rows with {len(dataset.columns)} columns from "
        f"{source_type} {dataset.source} as {dataset.data_id}{more}. "
        f"Columns: {', '.join(dataset.columns[:12])}."
    )
    result = {
        "summary": summary,
        "data_id": dataset.data_id,
        "source_type": source_type,
        "source": dataset.source,
        **_dataset_fields(dataset),
    }
    if dataset.text:
        result["text_excerpt"] = dataset.text[:1500]
    return result


@tool(
    name="process_data",
    description=(
        "Process a dataset into a new one; returns processed_data_id. clean: drop empty and "
        "duplicate rows, trim text, coerce numbers and dates. transform: options select [cols], "
        'rename {old: new}, derive [{"name", "op": add|sub|mul|div, "args": [col or number, '
        'col or number]}], filter [{"column", "op": eq|ne|gt|gte|lt|lte|contains|in, "value"}], '
        'sort [{"column", "desc"}], limit. analyze: per-column statistics. aggregate: '
        'group_by [cols] and metrics [{"column", "function": sum|avg|count|min|max, "as"}].'
    ),
    parameters={
        "type": "object",
        "properties": {
            "data_id": {"type": "string", "minLength": 1, "description": "A DS-... id."},
            "processing_type": {
                "type": "string",
                "enum": ["clean", "transform", "analyze", "aggregate"],
            },
            "options": {"type": "object"},
        },
        "required": ["data_id", "processing_type"],
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="data",
)
def process_data(
    ctx: ToolContext, *, data_id: str, processing_type: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    source = _get_dataset(ctx, data_id)
    derived, notes = services.dataset_process(
        dataset=source, processing_type=processing_type, options=options or {}, actor=ctx.actor
    )
    summary = (
        f"{processing_type.capitalize()} of {source.data_id} ({source.row_count} rows) gave "
        f"{derived.data_id} with {derived.row_count} rows and columns "
        f"{', '.join(derived.columns[:12])}."
    )
    return {
        "summary": summary,
        "processed_data_id": derived.data_id,
        "data_id": derived.data_id,
        "parent_data_id": source.data_id,
        "processing_type": processing_type,
        "notes": notes,
        **_dataset_fields(derived),
    }


def _resolve_source(ctx: ToolContext, data_source: str) -> Dataset:
    if data_source.strip().lower() in DATASETS:
        return services.dataset_fetch(
            source_type="database", query=data_source, parameters={}, actor=ctx.actor
        )
    return _get_dataset(ctx, data_source, "data_source")


def _analysis_summary(kind: str, result: dict[str, Any], dataset: Dataset, used: int) -> str:
    head = f"{kind.capitalize()} analysis of {dataset.data_id} over {used} rows: "
    cols = result.get("columns", {})
    if kind == "statistical":
        parts = [
            f"{c} mean {s['mean']:g}, median {s['median']:g}, stdev {s['stdev']:g}"
            for c, s in list(cols.items())[:4]
        ]
    elif kind == "trend":
        parts = [
            f"{c} {s['direction']}"
            + (f" ({s['slope_per_step']:+g} per {result['step']})" if "slope_per_step" in s else "")
            for c, s in list(cols.items())[:4]
        ]
    elif kind == "correlation":
        strong = result.get("strong_pairs", [])
        parts = [f"{p['a']}~{p['b']} r={p['r']:+.2f}" for p in strong[:4]] or [
            f"no pair with |r| >= {result['strong_at']}"
        ]
    else:
        parts = [
            f"{c} next {len(s['forecast'])} ≈ "
            + ", ".join(f"{p['value']:g}" for p in s["forecast"][:3])
            + f" by {s['method']}"
            for c, s in list(cols.items())[:3]
            if s["forecast"]
        ]
        parts = parts or ["too few points to forecast"]
    return head + "; ".join(parts) + "."


@tool(
    name="analyze_data",
    description=(
        "Analyze a dataset (data_source is a DS-... id or a dataset name such as "
        "stock_movements). statistical: mean, median, stdev, quartiles per numeric column. "
        "trend: linear-regression slope over time and direction. correlation: Pearson matrix. "
        "predictive: forecast of the next 7 points (linear trend or exponential smoothing). "
        "output_format chart also stores an SVG chart for the dashboard. filters: date_range "
        '{"start", "end"}, categories (values to keep), threshold.'
    ),
    parameters={
        "type": "object",
        "properties": {
            "data_source": {"type": "string", "minLength": 1},
            "analysis_type": {
                "type": "string",
                "enum": ["statistical", "trend", "correlation", "predictive"],
            },
            "output_format": {
                "type": "string",
                "enum": ["json", "chart", "report", "summary"],
                "default": "summary",
            },
            "filters": {
                "type": "object",
                "properties": {
                    "date_range": {"type": ["object", "string"]},
                    "categories": {"type": "array", "items": {"type": "string"}},
                    "threshold": {"type": "number"},
                },
            },
        },
        "required": ["data_source", "analysis_type"],
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="data",
)
def analyze_data(
    ctx: ToolContext,
    *,
    data_source: str,
    analysis_type: str,
    output_format: str = "summary",
    filters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    dataset = _resolve_source(ctx, data_source)
    stored, used = services.analysis_run(
        dataset=dataset,
        analysis_type=analysis_type,
        filters=filters or {},
        chart=output_format == "chart",
        actor=ctx.actor,
    )
    summary = _analysis_summary(analysis_type, stored.result, dataset, used)
    result: dict[str, Any] = {
        "summary": summary,
        "analysis_id": stored.analysis_id,
        "data_id": dataset.data_id,
        "analysis_type": analysis_type,
        "rows_used": used,
    }
    if output_format != "summary":
        result["result"] = stored.result
    if output_format == "chart":
        result["chart_url"] = reverse("datatools:analysis_chart", args=[stored.analysis_id])
        result["chart_svg_chars"] = len(stored.chart_svg)
    if output_format == "report":
        result["report_text"] = summary + " Full figures are in result."
    return result


@tool(
    name="generate_report",
    description=(
        "Build a report file from a dataset (processed_data_id is any DS-... id) and store it; "
        "returns report_id (RPT-...) and a download URL. report_type summary, detailed (all "
        "rows), dashboard (with a chart) or presentation (one section per page); format html "
        "(default), pdf, json or excel. Pass report_id to send_notification as an attachment."
    ),
    parameters={
        "type": "object",
        "properties": {
            "processed_data_id": {"type": "string", "minLength": 1},
            "report_type": {
                "type": "string",
                "enum": ["summary", "detailed", "dashboard", "presentation"],
            },
            "format": {
                "type": "string",
                "enum": ["pdf", "html", "json", "excel"],
                "default": "html",
            },
        },
        "required": ["processed_data_id", "report_type"],
        "additionalProperties": False,
    },
    risk=Risk.MEDIUM,
    side_effects=True,
    category="data",
)
def generate_report(
    ctx: ToolContext,
    *,
    processed_data_id: str,
    report_type: str,
    format: str = "html",
) -> dict[str, Any]:
    dataset = _get_dataset(ctx, processed_data_id, "processed_data_id")
    report = services.report_generate(
        dataset=dataset, report_type=report_type, fmt=format, actor=ctx.actor
    )
    url = reverse("datatools:report_download", args=[report.report_id])
    return {
        "summary": (
            f"Generated {report_type} report {report.report_id} ({format}, {report.size} bytes) "
            f"from {dataset.data_id}; download at {url}."
        ),
        "report_id": report.report_id,
        "data_id": dataset.data_id,
        "report_type": report_type,
        "format": format,
        "size": report.size,
        "download_url": url,
        "api_download_url": reverse("datatools_api:report_download", args=[report.report_id]),
    }


@tool(
    name="get_weather",
    description="Current weather for a city: temperature, feels-like, humidity, wind, conditions.",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 1, "maxLength": 100},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
        },
        "required": ["city"],
        "additionalProperties": False,
    },
    risk=Risk.LOW,
    category="general",
    atomic=False,
)
def get_weather(ctx: ToolContext, *, city: str, unit: str = "celsius") -> dict[str, Any]:
    weather = current_weather(city.strip(), unit)
    where = ", ".join(x for x in (weather["city"], weather["country"]) if x)
    summary = (
        f"{where}: {weather['temperature']}{weather['unit_symbol']}"
        + (
            f" (feels like {weather['feels_like']}{weather['unit_symbol']})"
            if weather["feels_like"] is not None
            else ""
        )
        + (f", {weather['conditions']}" if weather["conditions"] else "")
        + (
            f", humidity {weather['humidity_percent']}%"
            if weather["humidity_percent"] is not None
            else ""
        )
        + (
            f", wind {weather['wind_speed_kmh']} km/h"
            if weather["wind_speed_kmh"] is not None
            else ""
        )
        + "."
    )
    return {"summary": summary, **weather}
