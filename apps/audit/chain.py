"""The hash scheme, shared by writing and verifying (pure functions, no database).

    content = {every field in CONTENT_FIELDS, at as ISO 8601 UTC}
    hash    = sha256(canonical(content | {"prev_hash": prev_hash})).hexdigest()

The first entry's prev_hash is GENESIS_HASH."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

GENESIS_HASH = "0" * 64
REDACTED = "[REDACTED]"
SECRET_KEY_PATTERN = re.compile(
    r"password|secret|token|api_key|authorization|apikey|credential", re.IGNORECASE
)

# Every column that the hash covers, in no particular order (the JSON is sorted).
CONTENT_FIELDS = (
    "seq",
    "at",
    "event",
    "actor",
    "actor_id",
    "on_behalf_of",
    "run_id",
    "agent",
    "tool",
    "tool_call_id",
    "arguments",
    "result_digest",
    "decision",
    "approved_by",
    "status",
    "duration_ms",
    "ip",
    "detail",
    "prev_hash",
)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def json_normalize(value: Any) -> Any:
    """`value` as it will read back from a JSON column (str keys, str for the unknown)."""
    return json.loads(canonical(value))


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def entry_hash(fields: dict[str, Any]) -> str:
    """The hash of an entry given its CONTENT_FIELDS (a row's values or a new entry's)."""
    content = {name: fields[name] for name in CONTENT_FIELDS}
    content["at"] = iso_utc(content["at"])
    return digest(content)


def _is_secret_key(key: Any) -> bool:
    return SECRET_KEY_PATTERN.search(str(key).replace("-", "_")) is not None


def redact(value: Any) -> Any:
    """`value` with every value under a secret-looking key replaced, at any depth
    (hyphens count as underscores: `X-Api-Key` is a secret)."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _is_secret_key(key) else redact(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value
