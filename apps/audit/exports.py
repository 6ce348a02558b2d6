"""Streamed CSV and JSON exports of the audit log (constant memory at any size)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping

from django.http import StreamingHttpResponse
from django.utils import timezone

from apps.audit import chain
from apps.audit.selectors import audit_entry_iter, audit_entry_values

COLUMNS = ("id", *chain.CONTENT_FIELDS, "hash")
JSON_COLUMNS = ("arguments", "detail")


class _Echo:
    """A file-like object whose write() returns the line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(*, filters: Mapping[str, str]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for entry in audit_entry_iter(filters=filters):
        values = audit_entry_values(entry)
        for name in JSON_COLUMNS:
            values[name] = chain.canonical(values[name])
        yield writer.writerow(["" if values[c] is None else values[c] for c in COLUMNS])


def json_chunks(*, filters: Mapping[str, str]) -> Iterator[str]:
    """A JSON array of entries, one entry per chunk."""
    yield "["
    separator = "\n"
    for entry in audit_entry_iter(filters=filters):
        yield separator + json.dumps(audit_entry_values(entry), ensure_ascii=False, default=str)
        separator = ",\n"
    yield "\n]\n"


def export_response(*, fmt: str, filters: Mapping[str, str]) -> StreamingHttpResponse:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    if fmt == "csv":
        body, content_type = csv_lines(filters=filters), "text/csv; charset=utf-8"
    else:
        body, content_type = json_chunks(filters=filters), "application/json"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
