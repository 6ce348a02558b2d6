"""A form generated from a tool's JSON schema, and the arguments parsed back
from its POST: string → text, enum → select, integer/number → number with
min/max, boolean → checkbox, array of strings → comma-separated text,
anything else (arrays or objects of objects) → a JSON textarea."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict


@dataclass
class SchemaField:
    name: str
    widget: str  # text, select, number, checkbox, csv, json
    schema: dict[str, Any]
    required: bool
    value: str = ""
    checked: bool = False
    choices: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def description(self) -> str:
        return str(self.schema.get("description", ""))

    @property
    def minimum(self) -> Any:
        return self.schema.get("minimum")

    @property
    def maximum(self) -> Any:
        return self.schema.get("maximum")

    @property
    def step(self) -> str:
        return "1" if self.schema.get("type") == "integer" else "any"


def _widget(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if "enum" in schema:
        return "select"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "checkbox"
    if kind == "array" and schema.get("items", {}).get("type") in ("string", "integer", "number"):
        return "csv"
    if kind == "string":
        return "text"
    return "json"


def form_fields(parameters: dict[str, Any], data: QueryDict | None = None) -> list[SchemaField]:
    required = set(parameters.get("required", []))
    fields = []
    for name, schema in (parameters.get("properties") or {}).items():
        widget = _widget(schema)
        item = SchemaField(name=name, widget=widget, schema=schema, required=name in required)
        if widget == "select":
            item.choices = [str(choice) for choice in schema["enum"]]
        if data is not None:
            item.value = data.get(name, "")
            item.checked = data.get(name) in ("on", "true", "1")
        elif "default" in schema and widget != "checkbox":
            default = schema["default"]
            item.value = json.dumps(default) if widget == "json" else str(default)
        else:
            item.checked = schema.get("default") is True
        fields.append(item)
    return fields


def _number(raw: str, schema: dict[str, Any]) -> int | float:
    return int(raw) if schema.get("type") == "integer" else float(raw)


def _csv_item(raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("items", {}).get("type")
    return _number(raw, {"type": kind}) if kind in ("integer", "number") else raw


def _parse(item: SchemaField) -> Any:
    raw = item.value.strip()
    if item.widget == "number":
        return _number(raw, item.schema)
    if item.widget == "csv":
        return [_csv_item(part.strip(), item.schema) for part in raw.split(",") if part.strip()]
    if item.widget == "json":
        return json.loads(raw)
    if item.widget == "select" and item.schema.get("type") in ("integer", "number"):
        return _number(raw, item.schema)
    return raw


def form_arguments(fields: list[SchemaField]) -> tuple[dict[str, Any], bool]:
    """The arguments a submitted form stands for; (arguments, valid). Empty
    optional fields are left out; a field that cannot be read gets an error."""
    arguments: dict[str, Any] = {}
    valid = True
    for item in fields:
        if item.widget == "checkbox":
            if item.checked or item.required:
                arguments[item.name] = item.checked
            continue
        if not item.value.strip():
            continue  # a missing required field is reported by the executor's validation
        try:
            arguments[item.name] = _parse(item)
        except ValueError as exc:
            item.error = f"not a valid {item.widget} value: {exc}"
            valid = False
    return arguments, valid
