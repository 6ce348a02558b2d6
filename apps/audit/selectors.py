"""Reads of the audit log: filtered listings, exports and chain verification."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.audit import chain
from apps.audit.models import AuditEntry
from apps.audit.services import AUDITOR_GROUP

VERIFY_BATCH = 5000
VERIFY_CACHE_KEY = "audit:verify:last"
FILTER_NAMES = ("user", "tool", "agent", "decision", "event", "since", "until")


def user_is_auditor(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_staff or user.groups.filter(name=AUDITOR_GROUP).exists())


def _moment(text: str, *, end_of_day: bool) -> dt.datetime | None:
    """A datetime from `2025-01-31T10:00` or a date (its start, or its end)."""
    text = text.strip()
    try:
        day = parse_date(text)
        moment = parse_datetime(text) if day is None else None
    except ValueError:  # well formed but impossible, e.g. 2025-02-30
        return None
    if day is not None:
        moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def audit_filters_clean(params: Mapping[str, Any]) -> dict[str, str]:
    """The known, non-empty filter values from a query string."""
    return {name: str(params.get(name, "")).strip() for name in FILTER_NAMES if params.get(name)}


def audit_entry_list(*, filters: Mapping[str, str] | None = None) -> QuerySet[AuditEntry]:
    """Entries matching `filters` (see FILTER_NAMES), newest first.

    Invalid dates raise ValueError naming the filter."""
    entries = AuditEntry.objects.all()
    filters = filters or {}
    exact = {"user": "actor", "tool": "tool", "agent": "agent", "event": "event"}
    for name, field in exact.items():
        if filters.get(name):
            entries = entries.filter(**{field: filters[name]})
    if "decision" in filters:
        decision = "" if filters["decision"] == "none" else filters["decision"]
        entries = entries.filter(decision=decision)
    for name, lookup in (("since", "at__gte"), ("until", "at__lte")):
        if filters.get(name):
            moment = _moment(filters[name], end_of_day=name == "until")
            if moment is None:
                raise ValueError(f"{name}: expected a date (YYYY-MM-DD) or a date and time")
            entries = entries.filter(**{lookup: moment})
    return entries.order_by("-seq")


def audit_entry_values(entry: AuditEntry) -> dict[str, Any]:
    """An entry as plain JSON-ready values (exports and the API)."""
    values = {name: getattr(entry, name) for name in ("id", *chain.CONTENT_FIELDS, "hash")}
    values["at"] = chain.iso_utc(entry.at)
    return values


def audit_entry_iter(*, filters: Mapping[str, str] | None = None) -> Iterator[AuditEntry]:
    """Matching entries, streamed from the database in chunks (constant memory)."""
    return audit_entry_list(filters=filters).iterator(chunk_size=2000)


def audit_distinct_values(field: str, *, limit: int = 200) -> list[str]:
    """The values seen in `field` (filter dropdowns)."""
    values = AuditEntry.objects.exclude(**{field: ""}).order_by(field).values_list(field, flat=True)
    return list(values.distinct()[:limit])


# --- verification ---------------------------------------------------------------


@dataclasses.dataclass
class VerifyResult:
    ok: bool
    checked: int
    checked_at: str
    head_seq: int | None = None
    head_hash: str = ""
    broken_seq: int | None = None
    problem: str = ""  # "altered" | "deleted" | "reordered"
    message: str = ""

    @property
    def summary(self) -> str:
        if self.ok:
            return f"{self.checked} entries, chain intact"
        return f"chain broken at seq {self.broken_seq} ({self.problem}): {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "summary": self.summary}


def _chain_rows(limit: int | None) -> Iterator[dict[str, Any]]:
    """Every entry in seq order, fetched in keyset batches (constant memory, no
    server-side cursor)."""
    columns = (*chain.CONTENT_FIELDS, "hash")
    after, seen = 0, 0
    while limit is None or seen < limit:
        size = VERIFY_BATCH if limit is None else min(VERIFY_BATCH, limit - seen)
        batch = list(
            AuditEntry.objects.filter(seq__gt=after).order_by("seq").values(*columns)[:size]
        )
        if not batch:
            return
        yield from batch
        seen += len(batch)
        after = batch[-1]["seq"]


def _row_problem(row: dict[str, Any], expected_seq: int, prev_hash: str) -> tuple[str, str]:
    """What is wrong with `row` at its place in the chain ("", "") when nothing."""
    seq = row["seq"]
    if seq != expected_seq:
        missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
        return "deleted", f"expected seq {expected_seq}, found {seq}: seq {missing} missing"
    linked = row["prev_hash"] == prev_hash
    intact = chain.entry_hash(row) == row["hash"]
    if intact and linked:
        return "", ""
    if not linked and not intact:
        return "reordered", (
            f"entry {seq} neither matches its own hash nor links to entry {seq - 1}: "
            "its contents were moved from elsewhere in the chain or replaced"
        )
    if not intact:
        return "altered", f"entry {seq}'s contents do not match its hash"
    return "altered", (
        f"entry {seq}'s prev_hash does not match entry {seq - 1}'s hash: "
        f"entry {seq - 1} was rewritten (its hash recomputed) or an entry was removed"
    )


def audit_chain_walk(*, limit: int | None = None) -> VerifyResult:
    """Recompute every hash in seq order; stop at the first broken link."""
    expected, prev_hash, checked = 1, chain.GENESIS_HASH, 0
    now = timezone.now().isoformat()
    for row in _chain_rows(limit):
        problem, message = _row_problem(row, expected, prev_hash)
        if problem:
            broken = expected if problem == "deleted" else row["seq"]
            return VerifyResult(
                ok=False, checked=checked, checked_at=now,
                broken_seq=broken, problem=problem, message=message,
            )  # fmt: skip
        checked += 1
        expected, prev_hash = row["seq"] + 1, row["hash"]
    head = expected - 1 if checked else None
    return VerifyResult(
        ok=True, checked=checked, checked_at=now, head_seq=head,
        head_hash=prev_hash if checked else "",
    )  # fmt: skip


def audit_chain_verify(*, limit: int | None = None) -> VerifyResult:
    """Verify the chain (the first `limit` entries, or all) and remember the result."""
    result = audit_chain_walk(limit=limit)
    cache.set(VERIFY_CACHE_KEY, result.as_dict(), None)
    return result


def audit_chain_last_result() -> dict[str, Any] | None:
    """The last verification's result (a dict with `summary`), if any."""
    return cache.get(VERIFY_CACHE_KEY)
