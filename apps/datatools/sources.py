"""Reading rows from outside the database: HTTP(S) through the allow-list, and
uploaded CSV / JSON / Excel files. Pure parsing lives here; services store."""

from __future__ import annotations

import csv
import fnmatch
import io
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from apps.tools.registry import ToolError

Rows = list[dict[str, Any]]
MAX_COLUMNS = 100


@dataclass
class Parsed:
    columns: list[str]
    rows: Rows
    text: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def fetch_max_bytes() -> int:
    return int(getattr(settings, "OWM_FETCH_MAX_BYTES", 2 * 1024 * 1024))


def fetch_timeout() -> float:
    return float(getattr(settings, "OWM_FETCH_TIMEOUT", 10.0))


def host_allowed(url: str, patterns: list[str]) -> bool:
    """Whether the URL's host (or host:port) matches an enabled allow-list pattern."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    candidates = {host, f"{host}:{port}"}
    return any(
        fnmatch.fnmatchcase(candidate, pattern.strip().lower())
        for pattern in patterns
        for candidate in candidates
    )


def http_get(url: str, *, patterns: list[str]) -> tuple[bytes, str]:
    """GET an allowed URL with a time and size limit; returns (body, content type)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ToolError(f"{url!r} is not an http(s) URL", kind="invalid_url")
    if not host_allowed(url, patterns):
        raise ToolError(
            f"host {parts.hostname!r} is not an allowed source; an admin can add it under "
            f"Data > Allowed sources. Allowed now: {', '.join(patterns) or 'none'}",
            kind="source_not_allowed",
            details={"allowed_sources": patterns},
        )
    limit = fetch_max_bytes()
    try:
        with (
            httpx.Client(timeout=fetch_timeout(), follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": "application/json, text/*"}) as resp,
        ):
            if resp.is_redirect:
                raise ToolError(
                    f"{url} redirects to {resp.headers.get('location')!r}; "
                    "fetch that URL instead if its host is allowed",
                    kind="redirect",
                )
            if resp.status_code >= 400:
                raise ToolError(
                    f"{url} answered HTTP {resp.status_code}",
                    kind="http_error",
                    details={"status_code": resp.status_code},
                )
            body = bytearray()
            for chunk in resp.iter_bytes():
                body.extend(chunk)
                if len(body) > limit:
                    raise ToolError(
                        f"{url} returned more than {limit} bytes; ask for a smaller result",
                        kind="too_large",
                    )
            return bytes(body), resp.headers.get("content-type", "")
    except httpx.TimeoutException as exc:
        raise ToolError(
            f"{url} did not answer within {fetch_timeout():g}s", kind="timeout"
        ) from exc
    except httpx.HTTPError as exc:
        raise ToolError(f"could not reach {url}: {exc}", kind="unreachable") from exc


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, default=str)[:1000]


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not prefix:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = _scalar(value)
    return flat


def _columns(rows: Rows) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
            if len(seen) >= MAX_COLUMNS:
                return list(seen)
    return list(seen)


def rows_from_json(data: Any) -> Parsed:
    """A list of objects is rows; an object holding such a list uses it; else one row."""
    records: list[Any]
    if isinstance(data, list):
        records = data
    elif isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list) and v]
        records = lists[0] if len(lists) == 1 else [data]
    else:
        records = [{"value": data}]
    rows = [_flatten(r) if isinstance(r, dict) else {"value": _scalar(r)} for r in records]
    return Parsed(_columns(rows), rows)


def rows_from_csv(text: str) -> Parsed:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    rows = [{k: v for k, v in row.items() if k is not None} for row in reader]
    return Parsed([c for c in reader.fieldnames or [] if c], rows)


def rows_from_xlsx(content: bytes) -> Parsed:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ToolError(f"not a readable .xlsx file: {exc}", kind="invalid_file") from exc
    sheet = book.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    book.close()
    if not values:
        return Parsed([], [])
    header = [str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(values[0])]
    rows = [
        {h: _cell(v) for h, v in zip(header, line, strict=False)}
        for line in values[1:]
        if any(v is not None for v in line)
    ]
    return Parsed(header, rows, meta={"sheet": sheet.title})


def _cell(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _scalar(value)


class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data.strip()
        elif data.strip():
            self.parts.append(" ".join(data.split()))


def rows_from_html(text: str) -> Parsed:
    parser = _TextExtractor()
    parser.feed(text)
    lines = parser.parts
    rows = [{"line": i + 1, "text": line} for i, line in enumerate(lines)]
    return Parsed(["line", "text"], rows, text="\n".join(lines), meta={"title": parser.title})


def parse_body(body: bytes, content_type: str, *, name: str = "") -> Parsed:
    """Turn a response body or file into rows by its type (content type or extension)."""
    kind = content_type.split(";")[0].strip().lower()
    lower = name.lower()
    if lower.endswith(".xlsx") or "spreadsheetml" in kind:
        return rows_from_xlsx(body)
    text = body.decode(_charset(content_type), errors="replace")
    if "json" in kind or lower.endswith(".json"):
        try:
            return rows_from_json(json.loads(text))
        except ValueError as exc:
            raise ToolError(f"invalid JSON: {exc}", kind="invalid_file") from exc
    if "csv" in kind or lower.endswith((".csv", ".tsv")):
        return rows_from_csv(text)
    if "html" in kind or lower.endswith((".html", ".htm")):
        return rows_from_html(text)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return rows_from_json(json.loads(text))
        except ValueError:
            pass
    lines = [line for line in text.splitlines() if line.strip()]
    return Parsed(
        ["line", "text"], [{"line": i + 1, "text": t} for i, t in enumerate(lines)], text=text
    )


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"
