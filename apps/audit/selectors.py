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
from apps.audit.models import AuditEntry, AuditFacet
from apps.audit.services import AUDITOR_GROUP

VERIFY_BATCH = 5000
VERIFY_CACHE_KEY = "audit:verify:last"
FILTER_NAMES = ("user", "tool", "agent", "decision", "event", "since", "until")
PAGE_SIZE = 50
# A filtered count stops here ("1,000+ entries match"): counting every match of
# a broad filter would grow with the log.
COUNT_CAP = 1_000
# How far back the clock may step between two appends without a date filter
# missing an entry (see _in_time).
CLOCK_SLACK = dt.timedelta(minutes=1)


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
    moments: dict[str, dt.datetime | None] = {"since": None, "until": None}
    for name in moments:
        if filters.get(name):
            moments[name] = _moment(filters[name], end_of_day=name == "until")
            if moments[name] is None:
                raise ValueError(f"{name}: expected a date (YYYY-MM-DD) or a date and time")
    if moments["since"] or moments["until"]:
        entries = _in_time(entries, since=moments["since"], until=moments["until"])
    return entries.order_by("-seq")


def _in_time(
    entries: QuerySet[AuditEntry], *, since: dt.datetime | None, until: dt.datetime | None
) -> QuerySet[AuditEntry]:
    """`entries` stamped between `since` and `until` (either may be open), also
    bounded by a seq range on both sides, so that the database walks only that
    stretch of the chain in seq order (the page order) instead of sorting every
    entry of the time range.

    `at` is taken under the append lock, so it grows with seq. Granting that the
    clock may step back by up to CLOCK_SLACK between two appends, every entry
    before one stamped earlier than since - slack is too early, and every entry
    after one stamped later than until + slack is too late: the seq range never
    drops a matching entry. Each edge is one lookup on an index."""
    by_time = AuditEntry.objects.order_by("at").values_list("seq", flat=True)
    low = high = None
    if since is not None:
        entries = entries.filter(at__gte=since)
        low = by_time.filter(at__lt=since - CLOCK_SLACK).last()
    if until is not None:
        entries = entries.filter(at__lte=until)
        high = by_time.filter(at__gt=until + CLOCK_SLACK).first()
    if high is None:  # nothing stamped after the range: up to the newest entry
        newest = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
        high = (newest or 0) + 1
    return entries.filter(seq__gt=low or 0, seq__lt=high)


def audit_entry_values(entry: AuditEntry) -> dict[str, Any]:
    """An entry as plain JSON-ready values (exports and the API)."""
    values = {name: getattr(entry, name) for name in ("id", *chain.CONTENT_FIELDS, "hash")}
    values["at"] = chain.iso_utc(entry.at)
    return values


def audit_entry_iter(*, filters: Mapping[str, str] | None = None) -> Iterator[AuditEntry]:
    """Matching entries, streamed from the database in chunks (constant memory)."""
    return audit_entry_list(filters=filters).iterator(chunk_size=2000)


def audit_filter_choices(*, limit: int = 200) -> dict[str, list[str]]:
    """The values seen in each dropdown column (event, tool, agent), at most
    `limit` each. Read from AuditFacet (a few rows, kept by a trigger) in one
    query, never from the log itself, so the cost does not grow with the log."""
    choices: dict[str, list[str]] = {field: [] for field in AuditFacet.Field.values}
    rows = AuditFacet.objects.order_by("field", "value").values_list("field", "value")
    for field, value in rows[: limit * len(choices)]:
        if len(choices.setdefault(field, [])) < limit:
            choices[field].append(value)
    return choices


# --- pages ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AuditPage:
    """One page of matching entries, newest first, found by keyset on `seq`:
    no OFFSET and no COUNT over the whole log, so every page costs the same at
    any log size. `newer_after` / `older_before` are the cursors of the
    neighbouring pages (`?after=` / `?before=`), None at either end."""

    entries: list[AuditEntry]
    newer_after: int | None
    older_before: int | None
    total: int
    total_capped: bool  # True: at least `total` entries match

    @property
    def has_newer(self) -> bool:
        return self.newer_after is not None

    @property
    def has_older(self) -> bool:
        return self.older_before is not None

    @property
    def highest_seq(self) -> int | None:
        return self.entries[0].seq if self.entries else None

    @property
    def lowest_seq(self) -> int | None:
        return self.entries[-1].seq if self.entries else None


def _total(matching: QuerySet[AuditEntry], *, filtered: bool) -> tuple[int, bool]:
    """How many entries match, and whether that is a lower bound.

    The whole log: its seq range (seq is gapless; two index lookups). Filtered:
    counted up to COUNT_CAP + 1 rows, so a broad filter costs the same at any size."""
    if not filtered:
        ordered = AuditEntry.objects.order_by("seq").values_list("seq", flat=True)
        first, last = ordered.first(), ordered.last()
        return (0 if first is None or last is None else last - first + 1), False
    count = matching.order_by()[: COUNT_CAP + 1].count()
    return min(count, COUNT_CAP), count > COUNT_CAP


def _any(entries: QuerySet[AuditEntry]) -> bool:
    """Whether `entries` holds one, found from the seq end of the range. (EXISTS
    drops the ordering, and PostgreSQL then chose a sequential scan that read
    half the table before reaching `seq >= N`.)"""
    return entries.values_list("seq", flat=True).first() is not None


def audit_entry_page(
    *,
    filters: Mapping[str, str] | None = None,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """The `size` matching entries just older than seq `before`, or just newer
    than seq `after`, or the newest ones. Invalid dates raise ValueError."""
    matching = audit_entry_list(filters=filters)
    if after is not None:
        rows = list(matching.filter(seq__gt=after).order_by("seq")[: size + 1])
        entries = rows[:size][::-1]
        more_newer, more_older = len(rows) > size, _any(matching.filter(seq__lte=after))
        edge_newer, edge_older = None, after + 1
    else:
        window = matching if before is None else matching.filter(seq__lt=before)
        rows = list(window[: size + 1])
        entries = rows[:size]
        more_older = len(rows) > size
        more_newer = before is not None and _any(matching.filter(seq__gte=before))
        edge_newer, edge_older = (None if before is None else before - 1), None
    total, capped = _total(matching, filtered=bool(filters))
    return AuditPage(
        entries=entries,
        newer_after=(entries[0].seq if entries else edge_newer) if more_newer else None,
        older_before=(entries[-1].seq if entries else edge_older) if more_older else None,
        total=total,
        total_capped=capped,
    )


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
