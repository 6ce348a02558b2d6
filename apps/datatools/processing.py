"""process_data's operations, as pure functions over rows (list of dicts).

Each takes (columns, rows, options) and returns (columns, rows, notes) or
raises ToolError(kind="invalid_options") naming what was wrong."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Callable
from typing import Any

from apps.tools.registry import ToolError

Rows = list[dict[str, Any]]
Result = tuple[list[str], Rows, dict[str, Any]]
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def bad(message: str) -> ToolError:
    return ToolError(message, kind="invalid_options")


def to_number(value: Any) -> float | int | None:
    """A number from a number or numeric text ("1,234.5", " 7 "); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if not (isinstance(value, float) and math.isnan(value)) else None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        if math.isnan(number) or math.isinf(number):
            return None
        return int(number) if number.is_integer() and "." not in text else number
    return None


def to_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def numeric_columns(columns: list[str], rows: Rows) -> list[str]:
    """Columns where every non-empty value is a number (and at least one is)."""
    found = []
    for col in columns:
        values = [r.get(col) for r in rows if not _empty(r.get(col))]
        if values and all(to_number(v) is not None for v in values):
            found.append(col)
    return found


def date_column(columns: list[str], rows: Rows) -> str | None:
    preferred = [c for c in columns if c.lower() in {"date", "day", "time", "timestamp"}]
    for col in preferred + [c for c in columns if c not in preferred]:
        values = [r.get(col) for r in rows[:50] if not _empty(r.get(col))]
        textual = values and not any(isinstance(v, int | float) for v in values)
        if textual and all(to_date(v) is not None for v in values):
            return col
    return None


# --- clean -----------------------------------------------------------------------


def clean(columns: list[str], rows: Rows, options: dict[str, Any]) -> Result:
    trim = options.get("trim", True)
    coerce = options.get("coerce", True)
    out: Rows = []
    for row in rows:
        fixed = {
            c: (row.get(c).strip() if trim and isinstance(row.get(c), str) else row.get(c))
            for c in columns
        }
        out.append({c: (None if _empty(v) else v) for c, v in fixed.items()})
    notes: dict[str, Any] = {}
    if coerce:
        numbers = numeric_columns(columns, out)
        dates = [c for c in columns if c not in numbers and c == date_column([c], out)]
        for row in out:
            for col in numbers:
                row[col] = to_number(row[col])
            for col in dates:
                parsed = to_date(row[col])
                row[col] = parsed.isoformat() if parsed else None
        notes.update(numeric_columns=numbers, date_columns=dates)
    before = len(out)
    if options.get("drop_empty", True):
        out = [r for r in out if any(v is not None for v in r.values())]
    notes["dropped_empty"] = before - len(out)
    before = len(out)
    if options.get("drop_duplicates", True):
        seen: set[str] = set()
        unique = []
        for row in out:
            key = repr(sorted(row.items(), key=lambda kv: kv[0]))
            if key not in seen:
                seen.add(key)
                unique.append(row)
        out = unique
    notes["dropped_duplicates"] = before - len(out)
    return columns, out, notes


# --- transform -------------------------------------------------------------------

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and a > b,
    "gte": lambda a, b: a is not None and a >= b,
    "lt": lambda a, b: a is not None and a < b,
    "lte": lambda a, b: a is not None and a <= b,
    "contains": lambda a, b: a is not None and str(b).lower() in str(a).lower(),
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}
ALIASES = {"==": "eq", "=": "eq", "!=": "ne", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
ARITHMETIC: dict[str, Callable[[float, float], float | None]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b if b else None,
}


def _need_column(col: Any, columns: list[str], what: str) -> str:
    if not isinstance(col, str) or col not in columns:
        raise bad(f"{what}: unknown column {col!r}; columns are {', '.join(columns)}")
    return col


def _comparable(row_value: Any, target: Any) -> tuple[Any, Any]:
    if isinstance(target, int | float) and not isinstance(target, bool):
        return to_number(row_value), target
    return row_value, target


def _filter(columns: list[str], rows: Rows, conditions: Any) -> Rows:
    if isinstance(conditions, dict):
        conditions = [conditions]
    if not isinstance(conditions, list):
        raise bad("filter must be a list of {column, op, value}")
    for cond in conditions:
        if not isinstance(cond, dict):
            raise bad("each filter is an object {column, op, value}")
        col = _need_column(cond.get("column"), columns, "filter")
        op = ALIASES.get(cond.get("op", "eq"), cond.get("op", "eq"))
        if op not in COMPARE:
            raise bad(f"filter op {op!r} unknown; use {', '.join(COMPARE)}")
        target = cond.get("value")
        if op in {"in", "not_in"} and not isinstance(target, list):
            raise bad(f"filter op {op} needs a list value")
        test = COMPARE[op]
        kept = []
        for row in rows:
            left, right = _comparable(row.get(col), target)
            try:
                ok = test(left, right)
            except TypeError:
                ok = False
            if ok:
                kept.append(row)
        rows = kept
    return rows


def _operand(row: dict[str, Any], arg: Any, columns: list[str]) -> float | None:
    if isinstance(arg, str):
        _need_column(arg, columns, "derive")
        value = to_number(row.get(arg))
        return float(value) if value is not None else None
    if isinstance(arg, int | float) and not isinstance(arg, bool):
        return float(arg)
    raise bad(f"derive operand {arg!r} must be a column name or a number")


def _derive(columns: list[str], rows: Rows, specs: Any) -> list[str]:
    if not isinstance(specs, list):
        raise bad('derive must be a list of {"name", "op", "args": [a, b]}')
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise bad('each derive is {"name": str, "op": add|sub|mul|div, "args": [a, b]}')
        op, args = spec.get("op"), spec.get("args")
        if op not in ARITHMETIC or not isinstance(args, list) or len(args) != 2:
            raise bad(f"derive {spec['name']}: op is add|sub|mul|div with two args")
        for row in rows:
            a, b = (_operand(row, x, columns) for x in args)
            value = ARITHMETIC[op](a, b) if a is not None and b is not None else None
            row[spec["name"]] = round(value, 6) if value is not None else None
        if spec["name"] not in columns:
            columns = [*columns, spec["name"]]
    return columns


def _sort(columns: list[str], rows: Rows, sort: Any) -> Rows:
    keys = sort if isinstance(sort, list) else [sort]
    for key in reversed(keys):
        spec = {"column": key} if isinstance(key, str) else key
        if not isinstance(spec, dict):
            raise bad('sort is a column name or {"column", "desc"}')
        col = _need_column(spec.get("column"), columns, "sort")
        present = [r for r in rows if r.get(col) is not None]
        missing = [r for r in rows if r.get(col) is None]
        numeric = all(to_number(r[col]) is not None for r in present)

        def key_of(r: dict[str, Any], col: str = col, numeric: bool = numeric) -> Any:
            return to_number(r[col]) if numeric else str(r[col])

        present.sort(key=key_of, reverse=bool(spec.get("desc")))
        rows = present + missing
    return rows


def transform(columns: list[str], rows: Rows, options: dict[str, Any]) -> Result:
    known = {"derive", "filter", "rename", "select", "sort", "limit"}
    if not options or not set(options) & known:
        raise bad(f"transform needs at least one of {', '.join(sorted(known))}")
    rows = [dict(r) for r in rows]
    if "derive" in options:
        columns = _derive(columns, rows, options["derive"])
    if "filter" in options:
        rows = _filter(columns, rows, options["filter"])
    if "sort" in options:
        rows = _sort(columns, rows, options["sort"])
    if "select" in options:
        select = options["select"]
        if not isinstance(select, list) or not select:
            raise bad("select is a non-empty list of column names")
        columns = [_need_column(c, columns, "select") for c in select]
        rows = [{c: r.get(c) for c in columns} for r in rows]
    if "rename" in options:
        rename = options["rename"]
        if not isinstance(rename, dict):
            raise bad("rename is an object {old: new}")
        for old in rename:
            _need_column(old, columns, "rename")
        columns = [rename.get(c, c) for c in columns]
        rows = [{rename.get(k, k): v for k, v in r.items()} for r in rows]
    if "limit" in options:
        limit = options["limit"]
        if not isinstance(limit, int) or limit < 1:
            raise bad("limit is a positive integer")
        rows = rows[:limit]
    return columns, rows, {"applied": [k for k in sorted(known) if k in options]}


# --- analyze (per-column profile) --------------------------------------------------


def column_profile(col: str, rows: Rows, numeric: bool) -> dict[str, Any]:
    values = [r.get(col) for r in rows]
    present = [v for v in values if not _empty(v)]
    profile: dict[str, Any] = {
        "column": col,
        "type": "number" if numeric else "text",
        "count": len(present),
        "missing": len(values) - len(present),
        "distinct": len({repr(v) for v in present}),
    }
    if numeric and present:
        nums = [float(to_number(v)) for v in present]  # type: ignore[arg-type]
        profile.update(
            min=min(nums),
            max=max(nums),
            mean=round(statistics.fmean(nums), 4),
            median=statistics.median(nums),
            stdev=round(statistics.stdev(nums), 4) if len(nums) > 1 else 0.0,
            sum=round(sum(nums), 4),
        )
    elif present:
        top = Counter(str(v) for v in present).most_common(3)
        profile["top"] = ", ".join(f"{v} ({n})" for v, n in top)
    return profile


def analyze(columns: list[str], rows: Rows, options: dict[str, Any]) -> Result:
    numbers = set(numeric_columns(columns, rows))
    wanted = options.get("columns") or columns
    if not isinstance(wanted, list):
        raise bad("columns is a list of column names")
    profiles = [
        column_profile(_need_column(c, columns, "analyze"), rows, c in numbers) for c in wanted
    ]
    out_cols = [
        "column",
        "type",
        "count",
        "missing",
        "distinct",
        "min",
        "max",
        "mean",
        "median",
        "stdev",
        "sum",
        "top",
    ]
    out = [{c: p.get(c) for c in out_cols} for p in profiles]
    return out_cols, out, {"profiled_rows": len(rows)}


# --- aggregate ------------------------------------------------------------------

FUNCTIONS: dict[str, Callable[[list[float]], float]] = {
    "sum": lambda xs: sum(xs),
    "avg": lambda xs: statistics.fmean(xs),
    "count": lambda xs: len(xs),
    "min": lambda xs: min(xs),
    "max": lambda xs: max(xs),
}


def _metrics(options: dict[str, Any], columns: list[str]) -> list[tuple[str, str, str]]:
    raw = options.get("metrics")
    if raw is None:
        raise bad('aggregate needs metrics, e.g. [{"column": "sold", "function": "sum"}]')
    if isinstance(raw, dict):
        raw = [{"column": c, "function": f} for c, f in raw.items()]
    if not isinstance(raw, list) or not raw:
        raise bad("metrics is a non-empty list of {column, function, as}")
    metrics = []
    for spec in raw:
        if not isinstance(spec, dict):
            raise bad("each metric is {column, function, as}")
        fn = spec.get("function", spec.get("fn"))
        if fn == "mean":
            fn = "avg"
        if fn not in FUNCTIONS:
            raise bad(f"unknown function {fn!r}; use {', '.join(FUNCTIONS)}")
        col = spec.get("column", "*" if fn == "count" else None)
        if col != "*":
            col = _need_column(col, columns, "aggregate")
        metrics.append((col, fn, spec.get("as") or (f"{fn}_{col}" if col != "*" else "count")))
    return metrics


def aggregate(columns: list[str], rows: Rows, options: dict[str, Any]) -> Result:
    group_by = options.get("group_by", [])
    if isinstance(group_by, str):
        group_by = [group_by]
    if not isinstance(group_by, list):
        raise bad("group_by is a column name or a list of them")
    keys = [_need_column(c, columns, "group_by") for c in group_by]
    metrics = _metrics(options, columns)
    groups: dict[tuple[Any, ...], Rows] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in keys), []).append(row)
    out: Rows = []
    for key, members in groups.items():
        record = dict(zip(keys, key, strict=True))
        for col, fn, name in metrics:
            if col == "*":
                record[name] = len(members)
                continue
            nums = [float(n) for r in members if (n := to_number(r.get(col))) is not None]
            if fn == "count":
                record[name] = len(nums)
            else:
                record[name] = round(FUNCTIONS[fn](nums), 6) if nums else None
        out.append(record)
    out.sort(key=lambda r: tuple(str(r[k]) for k in keys))
    return [*keys, *(m[2] for m in metrics)], out, {"groups": len(out)}


OPERATIONS: dict[str, Callable[[list[str], Rows, dict[str, Any]], Result]] = {
    "clean": clean,
    "transform": transform,
    "analyze": analyze,
    "aggregate": aggregate,
}
