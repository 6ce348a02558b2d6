"""Writes for the data tools: fetch, process, analyze and report, each storing
a row whose id the next step consumes."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile

from apps.datatools import analysis, reports, selectors, sources
from apps.datatools.datasets import dataset_read
from apps.datatools.models import AllowedSource, Analysis, Dataset, Report, UploadedFile
from apps.datatools.processing import OPERATIONS
from apps.tools.registry import ToolError


def dataset_max_rows() -> int:
    return int(getattr(settings, "OWM_DATASET_MAX_ROWS", 5000))


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return json.loads(json.dumps(rows, default=str))


def dataset_create(
    *,
    name: str,
    source_type: str,
    source: str,
    columns: list[str],
    rows: list[dict[str, Any]],
    created_by: Any,
    parameters: dict[str, Any] | None = None,
    text: str = "",
    parent: Dataset | None = None,
    operation: dict[str, Any] | None = None,
) -> Dataset:
    cap = dataset_max_rows()
    return Dataset.objects.create(
        name=name[:200],
        source_type=source_type,
        source=source[:500],
        parameters=parameters or {},
        columns=[str(c) for c in columns],
        rows=_jsonable(rows[:cap]),
        row_count=len(rows),
        truncated=len(rows) > cap,
        text=text[:200_000],
        parent=parent,
        operation=operation or {},
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )


def _fetch_http(url: str, source_type: str) -> sources.Parsed:
    body, content_type = sources.http_get(url, patterns=selectors.allowed_source_patterns())
    parsed = sources.parse_body(body, content_type, name=url.split("?")[0])
    if source_type == "web" and not parsed.text:
        parsed.text = json.dumps(parsed.rows[:50], default=str)
    return parsed


def _fetch_file(ref: str, actor: Any) -> tuple[sources.Parsed, str]:
    upload = selectors.uploaded_file_find(user=actor, ref=ref)
    if upload is None:
        names = list(selectors.uploaded_files_visible_to(actor).values_list("name", flat=True)[:10])
        raise ToolError(
            f"no uploaded file {ref!r}; files you can read: {', '.join(names) or 'none'}",
            kind="not_found",
            details={"files": names},
        )
    with upload.file.open("rb") as handle:
        content = handle.read(sources.fetch_max_bytes() + 1)
    if len(content) > sources.fetch_max_bytes():
        raise ToolError(f"{upload.name} is larger than the fetch limit", kind="too_large")
    return sources.parse_body(content, "", name=upload.name), upload.name


def dataset_fetch(
    *, source_type: str, query: str, parameters: dict[str, Any], actor: Any
) -> Dataset:
    """Read rows from a named dataset, an allowed URL or an uploaded file, and store them."""
    query = query.strip()
    if source_type == "database":
        columns, rows = dataset_read(name=query, parameters=parameters)
        return dataset_create(
            name=query.lower(),
            source_type=source_type,
            source=query.lower(),
            columns=columns,
            rows=rows,
            parameters=parameters,
            created_by=actor,
        )
    if source_type in {"api", "web"}:
        parsed = _fetch_http(query, source_type)
        title = parsed.meta.get("title") or query
        return dataset_create(
            name=title,
            source_type=source_type,
            source=query,
            columns=parsed.columns,
            rows=parsed.rows,
            text=parsed.text,
            created_by=actor,
        )
    if source_type == "file":
        parsed, name = _fetch_file(query, actor)
        return dataset_create(
            name=name,
            source_type=source_type,
            source=name,
            columns=parsed.columns,
            rows=parsed.rows,
            created_by=actor,
        )
    raise ToolError(f"unknown source_type {source_type!r}", kind="invalid_arguments")


def dataset_process(
    *, dataset: Dataset, processing_type: str, options: dict[str, Any], actor: Any
) -> tuple[Dataset, dict[str, Any]]:
    operation = OPERATIONS.get(processing_type)
    if operation is None:
        raise ToolError(f"unknown processing_type {processing_type!r}", kind="invalid_arguments")
    columns, rows, notes = operation(list(dataset.columns), list(dataset.rows), options)
    derived = dataset_create(
        name=f"{dataset.name} ({processing_type})",
        source_type=Dataset.Source.PROCESSED,
        source=dataset.data_id,
        columns=columns,
        rows=rows,
        parent=dataset,
        operation={"type": processing_type, "options": options, "notes": notes},
        created_by=actor,
    )
    return derived, notes


def analysis_run(
    *,
    dataset: Dataset,
    analysis_type: str,
    filters: dict[str, Any],
    chart: bool,
    actor: Any,
) -> tuple[Analysis, int]:
    """Run one analysis over (filtered) rows; returns the stored Analysis and rows used."""
    rows = analysis.apply_filters(dataset.columns, dataset.rows, filters)
    if not rows:
        raise ToolError("no rows left after the filters", kind="no_data")
    threshold = filters.get("threshold")
    result = analysis.ANALYSES[analysis_type](dataset.columns, rows, threshold)
    svg = ""
    if chart:
        title = f"{dataset.name}: {analysis_type}"
        svg = analysis.chart_for(dataset.columns, rows, analysis_type, result, title)
    stored = Analysis.objects.create(
        dataset=dataset,
        analysis_type=analysis_type,
        result=json.loads(json.dumps(result, default=str)),
        chart_svg=svg,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    return stored, len(rows)


def report_generate(*, dataset: Dataset, report_type: str, fmt: str, actor: Any) -> Report:
    content = reports.build_content(dataset, report_type)
    data = reports.render(content, fmt)
    report = Report(
        dataset=dataset,
        title=content.title[:200],
        report_type=report_type,
        format=fmt,
        content_type=reports.CONTENT_TYPES[fmt],
        size=len(data),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    report.file.save(report.filename, ContentFile(data), save=False)
    report.save()
    return report


def uploaded_file_create(*, name: str, content: bytes, uploaded_by: Any) -> UploadedFile:
    upload = UploadedFile(
        name=name[:200],
        size=len(content),
        uploaded_by=uploaded_by
        if uploaded_by is not None and uploaded_by.is_authenticated
        else None,
    )
    upload.file.save(name, ContentFile(content), save=False)
    upload.save()
    return upload


def allowed_source_create(
    *, host_pattern: str, description: str = "", enabled: bool = True
) -> AllowedSource:
    source, _ = AllowedSource.objects.update_or_create(
        host_pattern=host_pattern.strip().lower(),
        defaults={"description": description, "enabled": enabled},
    )
    return source
