"""Filling a tool's arguments from the facts of a request, property by property,
by JSON-schema type and by hints in the property's name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .text import STOP_WORDS, Facts, Number, name_stems, stem

ID_HINTS: dict[str, tuple[str, ...]] = {
    "product": ("SKU", "PRD", "PROD", "ITEM"),
    "supplier": ("SUP", "SUPP", "VEND", "VEN"),
    "inquiry": ("INQ",),
    "customer": ("CUS", "CUST"),
    "order": ("PO", "ORD"),
    "ticket": ("TKT", "TCK"),
}
KNOWN_PREFIXES = frozenset(p for prefixes in ID_HINTS.values() for p in prefixes)


def _stem_set(words: str) -> frozenset[str]:
    return frozenset(stem(word) for word in words.split())


FREE_TEXT = _stem_set(
    "query text message reason condition content description prompt question "
    "body note comment instruction request summary"
)
PLACE_NAMES = _stem_set("location city region warehouse place country site address")
EMAIL_NAMES = _stem_set("recipient email to cc")
TIME_NAMES = _stem_set("period days horizon duration window forecast")
TIME_UNITS = {stem("day"): 1, stem("week"): 7, stem("month"): 30}
QUANTITY_NAMES = _stem_set("quantity qty count amount")
QUANTITY_UNITS = _stem_set("unit piece pc item box case pack")
PRICE_NAMES = _stem_set("price cost")
UNIT_WORDS = r"(?:units?|pieces?|pcs|items?|box(?:es)?|cases?|packs?|x)"
PRICE_RE = re.compile(r"(?:[$€£@]|\bat\s+\$?|\bprice\s+(?:of\s+)?\$?)\s*(\d+(?:\.\d+)?)")


@dataclass
class FillState:
    """What earlier properties of the same call have already consumed."""

    used_ids: set[str] = field(default_factory=set)
    used_numbers: set[int] = field(default_factory=set)  # positions
    used_quotes: set[str] = field(default_factory=set)


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def _hint(name: str) -> str | None:
    return next((part for part in name_stems(name) if part in ID_HINTS), None)


def _is_id_name(name: str) -> bool:
    parts = name_stems(name)
    return bool(parts) and parts[-1] in ("id", "ids")


def _prefix(identifier: str) -> str:
    return identifier.split("-", 1)[0]


def _matching_ids(name: str, facts: Facts, state: FillState) -> list[str]:
    """Unused ids fitting the property: its hinted prefix, else prefixes nobody claims."""
    unused = [i for i in facts.ids if i not in state.used_ids]
    hint = _hint(name)
    if hint:
        hinted = [i for i in unused if _prefix(i) in ID_HINTS[hint]]
        if hinted:
            return hinted
    unclaimed = [i for i in unused if _prefix(i) not in KNOWN_PREFIXES]
    return unclaimed if hint or unclaimed else unused


def _enum_matches(values: list[Any], facts: Facts) -> list[Any]:
    words = set(facts.stems)
    return [v for v in values if (parts := name_stems(str(v))) and set(parts) <= words]


def _pair(name: str, facts: Facts) -> object | None:
    return next((value for key, value in facts.pairs if key.lower() == name.lower()), None)


def _unit_fits(name: str, number: Number) -> int | None:
    """The multiplier when the number's unit relates to the property, else None."""
    parts = set(name_stems(name))
    if parts & TIME_NAMES and number.unit in TIME_UNITS:
        return TIME_UNITS[number.unit]
    if parts & QUANTITY_NAMES and number.unit in QUANTITY_UNITS:
        return 1
    return 1 if number.unit and number.unit in parts else None


def _number_by_unit(name: str, facts: Facts, state: FillState) -> int | float | None:
    for number in facts.numbers:
        factor = _unit_fits(name, number)
        if factor is not None and number.position not in state.used_numbers:
            state.used_numbers.add(number.position)
            return number.value * factor
    return None


def _fill_string(name: str, facts: Facts, state: FillState) -> str | None:
    parts = set(name_stems(name))
    if _is_id_name(name):
        ids = _matching_ids(name, facts, state)
        if ids:
            state.used_ids.add(ids[0])
        return ids[0] if ids else None
    if parts & PLACE_NAMES:
        return facts.places[0] if facts.places else None
    if "url" in parts or "uri" in parts:
        return facts.urls[0] if facts.urls else None
    if parts & EMAIL_NAMES:
        return facts.emails[0] if facts.emails else None
    quotes = [q for q in facts.quoted if q not in state.used_quotes]
    if parts & FREE_TEXT:
        if quotes:
            state.used_quotes.add(quotes[0])
            return quotes[0]
        return facts.text
    return _spoken_value(name, facts)


def _spoken_value(name: str, facts: Facts) -> str | None:
    """``category billing`` -> "billing" for a property named ``category``."""
    label = "[ _]".join(map(re.escape, name.split("_")))
    for match in re.finditer(rf"\b{label}\s+([\w.-]+)", facts.text, re.I):
        if match.group(1).lower() not in STOP_WORDS:
            return match.group(1)
    return None


def _fill_string_array(
    name: str, items: dict[str, Any], facts: Facts, state: FillState
) -> list[Any] | None:
    if items.get("enum"):
        return _enum_matches(items["enum"], facts) or None
    if _is_id_name(name):
        ids = _matching_ids(name, facts, state)
        state.used_ids.update(ids)
        return ids or None
    if set(name_stems(name)) & EMAIL_NAMES:
        return list(facts.emails or facts.quoted) or None
    return list(facts.quoted) or None


def _item_for(
    identifier: str, segment_after: str, facts: Facts, item: dict[str, Any]
) -> dict[str, Any] | None:
    """One object of an items array, e.g. {product_id, quantity, unit_price}."""
    quoted = re.escape(identifier)
    before = re.search(rf"(\d+)\s*(?:{UNIT_WORDS}\s+)?(?:of\s+)?{quoted}", facts.text, re.I)
    after = re.search(rf"{quoted}\s*(?:x|qty|quantity|:|=)?\s*(\d+)\b", facts.text, re.I)
    price = PRICE_RE.search(segment_after)
    values: dict[str, Any] = {}
    for prop_name, prop in (item.get("properties") or {}).items():
        parts, kind = set(name_stems(prop_name)), _type(prop)
        if _is_id_name(prop_name) and kind == "string":
            values[prop_name] = identifier
        elif parts & PRICE_NAMES and price:
            values[prop_name] = float(price.group(1))
        elif kind in ("integer", "number") and not parts & PRICE_NAMES and (before or after):
            values[prop_name] = int((after or before).group(1))  # type: ignore[union-attr]
    missing = [r for r in item.get("required") or [] if r not in values]
    return None if missing else values


def _fill_object_array(
    item: dict[str, Any], facts: Facts, state: FillState
) -> list[dict[str, Any]] | None:
    id_props = [p for p in (item.get("properties") or {}) if _is_id_name(p)]
    if not id_props:
        return None
    ids = _matching_ids(id_props[0], facts, state)
    built = []
    for index, identifier in enumerate(ids):
        start = facts.text.upper().find(identifier) + len(identifier)
        end = facts.text.upper().find(ids[index + 1]) if index + 1 < len(ids) else None
        value = _item_for(identifier, facts.text[start:end], facts, item)
        if value is not None:
            built.append(value)
            state.used_ids.add(identifier)
    return built or None


def _fill_object(schema: dict[str, Any], facts: Facts) -> dict[str, Any] | None:
    nested = schema.get("properties")
    if nested:
        found = {name: value for name in nested if (value := _pair(name, facts)) is not None}
    else:
        found = dict(facts.pairs)
    return found or None


def fill_property(name: str, schema: dict[str, Any], facts: Facts, state: FillState) -> Any:
    """The value for one property, or None when the request does not give it."""
    kind = _type(schema)
    paired = _pair(name, facts)
    if schema.get("enum"):
        matches = _enum_matches(schema["enum"], facts)
        if paired in schema["enum"]:
            return paired
        return matches[0] if matches else schema.get("default")
    if paired is not None and kind not in ("array", "object"):
        return paired
    if kind == "string":
        return _fill_string(name, facts, state)
    if kind in ("integer", "number"):
        return _number_by_unit(name, facts, state)
    if kind == "array":
        items = schema.get("items") or {}
        if _type(items) == "object":
            return _fill_object_array(items, facts, state)
        return _fill_string_array(name, items, facts, state)
    if kind == "object":
        return _fill_object(schema, facts)
    return None


def _first_free_number(facts: Facts, state: FillState) -> int | float | None:
    for number in facts.numbers:
        if number.position not in state.used_numbers:
            state.used_numbers.add(number.position)
            return number.value
    return None


def fill_arguments(
    properties: dict[str, dict[str, Any]], required: list[str], facts: Facts
) -> tuple[dict[str, Any], list[str]]:
    """(arguments, missing required property names) for one tool."""
    state = FillState()
    args: dict[str, Any] = {}
    for name, schema in properties.items():
        value = fill_property(name, schema, facts, state)
        if value is not None:
            args[name] = value
    for name in required:  # a required number with no unit takes any number left
        if name not in args and _type(properties.get(name, {})) in ("integer", "number"):
            value = _first_free_number(facts, state)
            if value is not None:
                args[name] = value
    missing = [name for name in required if name not in args]
    ordered = {name: args[name] for name in properties if name in args}
    return ordered, missing
