"""analyze_data's analyses, as pure functions over rows, and the SVG chart.

Only the standard library's statistics module: the datasets are small
(capped rows) and the methods are textbook ones."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from apps.datatools.processing import date_column, numeric_columns, to_date, to_number
from apps.tools.registry import ToolError

Rows = list[dict[str, Any]]
FLAT_TOLERANCE = 0.05  # a trend moving less than 5% of the mean over the span is flat
FORECAST_POINTS = 7


def _r(value: float, digits: int = 4) -> float:
    return round(value, digits)


# --- filters ------------------------------------------------------------------


def _date_range(value: Any) -> tuple[dt.date | None, dt.date | None]:
    if isinstance(value, dict):
        start, end = value.get("start"), value.get("end")
    elif isinstance(value, str) and "/" in value:
        start, end = value.split("/", 1)
    elif isinstance(value, list) and len(value) == 2:
        start, end = value
    else:
        raise ToolError(
            'date_range is {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"} or "start/end"',
            kind="invalid_filters",
        )
    first, last = to_date(start) if start else None, to_date(end) if end else None
    if (start and first is None) or (end and last is None):
        raise ToolError(f"date_range has an unreadable date: {value!r}", kind="invalid_filters")
    return first, last


def apply_filters(columns: list[str], rows: Rows, filters: dict[str, Any]) -> Rows:
    if filters.get("date_range"):
        col = date_column(columns, rows)
        if col is None:
            raise ToolError(
                "date_range given but the data has no date column", kind="invalid_filters"
            )
        first, last = _date_range(filters["date_range"])
        rows = [
            r
            for r in rows
            if (d := to_date(r.get(col))) is not None
            and (first is None or d >= first)
            and (last is None or d <= last)
        ]
    categories = filters.get("categories") or []
    if categories:
        wanted = {str(c).lower() for c in categories}
        text_cols = [c for c in columns if c not in numeric_columns(columns, rows)]
        rows = [r for r in rows if any(str(r.get(c, "")).lower() in wanted for c in text_cols)]
    return rows


# --- series helpers ---------------------------------------------------------------


def numeric_values(rows: Rows, col: str) -> list[float]:
    return [float(n) for r in rows if (n := to_number(r.get(col))) is not None]


def series(columns: list[str], rows: Rows, col: str) -> tuple[list[str], list[float]]:
    """(labels, values) over time: summed per date when there is a date column."""
    date_col = date_column(columns, rows)
    if date_col is None:
        values = numeric_values(rows, col)
        return [str(i + 1) for i in range(len(values))], values
    totals: dict[dt.date, float] = {}
    for row in rows:
        day, value = to_date(row.get(date_col)), to_number(row.get(col))
        if day is not None and value is not None:
            totals[day] = totals.get(day, 0.0) + float(value)
    days = sorted(totals)
    return [d.isoformat() for d in days], [totals[d] for d in days]


def _targets(columns: list[str], rows: Rows) -> list[str]:
    numbers = numeric_columns(columns, rows)
    if not numbers:
        raise ToolError(
            "the data has no numeric column to analyze; columns: " + ", ".join(columns),
            kind="no_numeric_data",
        )
    return numbers


# --- the analyses -------------------------------------------------------------------


def statistical(columns: list[str], rows: Rows, threshold: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in _targets(columns, rows):
        xs = numeric_values(rows, col)
        stats: dict[str, Any] = {
            "count": len(xs),
            "mean": _r(statistics.fmean(xs)),
            "median": _r(statistics.median(xs)),
            "stdev": _r(statistics.stdev(xs)) if len(xs) > 1 else 0.0,
            "min": min(xs),
            "max": max(xs),
        }
        if len(xs) > 1:
            q1, _median, q3 = statistics.quantiles(xs, n=4, method="inclusive")
            stats.update(q1=_r(q1), q3=_r(q3), iqr=_r(q3 - q1))
        if threshold is not None:
            stats["above_threshold"] = sum(x > threshold for x in xs)
        out[col] = stats
    return {"columns": out}


def _regression(values: list[float]) -> tuple[float, float, float]:
    xs = list(range(len(values)))
    slope, intercept = statistics.linear_regression(xs, values)
    mean = statistics.fmean(values)
    ss_tot = sum((v - mean) ** 2 for v in values)
    ss_res = sum((v - (intercept + slope * x)) ** 2 for x, v in zip(xs, values, strict=True))
    return slope, intercept, (1 - ss_res / ss_tot) if ss_tot else 0.0


def _direction(slope: float, values: list[float]) -> str:
    scale = abs(statistics.fmean(values)) or 1.0
    change = slope * (len(values) - 1) / scale
    if abs(change) < FLAT_TOLERANCE:
        return "flat"
    return "up" if slope > 0 else "down"


def trend(columns: list[str], rows: Rows, threshold: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in _targets(columns, rows):
        labels, values = series(columns, rows, col)
        if len(values) < 3 or (len(set(values)) == 1 and len(values) < 3):
            out[col] = {"points": len(values), "direction": "insufficient_data"}
            continue
        slope, intercept, r2 = _regression(values)
        out[col] = {
            "points": len(values),
            "from": labels[0],
            "to": labels[-1],
            "slope_per_step": _r(slope),
            "intercept": _r(intercept),
            "r_squared": _r(r2),
            "direction": _direction(slope, values),
            "first": values[0],
            "last": values[-1],
            "change_over_span": _r(slope * (len(values) - 1)),
        }
        if threshold is not None:
            out[col]["last_above_threshold"] = values[-1] > threshold
    return {"columns": out, "step": "day" if date_column(columns, rows) else "row"}


def correlation(columns: list[str], rows: Rows, threshold: float | None) -> dict[str, Any]:
    cols = [c for c in _targets(columns, rows) if len(set(numeric_values(rows, c))) > 1]
    if len(cols) < 2:
        raise ToolError(
            "correlation needs at least two numeric columns that vary", kind="no_numeric_data"
        )
    matrix: dict[str, dict[str, float | None]] = {c: {} for c in cols}
    strong = []
    limit = threshold if threshold is not None else 0.7
    for i, a in enumerate(cols):
        for b in cols[i:]:
            pairs = [
                (float(x), float(y))
                for r in rows
                if (x := to_number(r.get(a))) is not None and (y := to_number(r.get(b))) is not None
            ]
            value: float | None = None
            if len(pairs) >= 3:
                try:
                    value = _r(statistics.correlation(*zip(*pairs, strict=True)))
                except statistics.StatisticsError:
                    value = None
            matrix[a][b] = matrix[b][a] = value
            if a != b and value is not None and abs(value) >= limit:
                strong.append({"a": a, "b": b, "r": value})
    return {"columns": cols, "matrix": matrix, "strong_pairs": strong, "strong_at": limit}


def _ses(values: list[float]) -> tuple[float, float, float]:
    """Simple exponential smoothing; alpha by least one-step-ahead squared error."""
    best = (float("inf"), 0.5, values[-1])
    for step in range(1, 20):
        alpha = step / 20
        level, sse = values[0], 0.0
        for v in values[1:]:
            sse += (v - level) ** 2
            level = alpha * v + (1 - alpha) * level
        best = min(best, (sse, alpha, level))
    sse, alpha, level = best
    return alpha, level, sse / max(1, len(values) - 1)


def _linear_mse(values: list[float], slope: float, intercept: float) -> float:
    return statistics.fmean((v - (intercept + slope * i)) ** 2 for i, v in enumerate(values))


def _next_labels(labels: list[str], points: int) -> list[str]:
    last = to_date(labels[-1]) if labels else None
    if last is None:
        start = len(labels)
        return [str(start + i + 1) for i in range(points)]
    return [(last + dt.timedelta(days=i + 1)).isoformat() for i in range(points)]


def predictive(columns: list[str], rows: Rows, threshold: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in _targets(columns, rows):
        labels, values = series(columns, rows, col)
        if len(values) < 4:
            out[col] = {"points": len(values), "method": "insufficient_data", "forecast": []}
            continue
        slope, intercept, _ = _regression(values)
        alpha, level, ses_mse = _ses(values)
        linear_mse = _linear_mse(values, slope, intercept)
        n = len(values)
        linear = [intercept + slope * (n + i) for i in range(FORECAST_POINTS)]
        smooth = [level] * FORECAST_POINTS
        use_linear = linear_mse < ses_mse
        chosen = linear if use_linear else smooth
        out[col] = {
            "points": n,
            "method": "linear_trend" if use_linear else "exponential_smoothing",
            "alpha": alpha,
            "slope_per_step": _r(slope),
            "forecast": [
                {"label": label, "value": _r(v, 2)}
                for label, v in zip(_next_labels(labels, FORECAST_POINTS), chosen, strict=True)
            ],
            "linear_forecast": [_r(v, 2) for v in linear],
            "smoothing_forecast": [_r(v, 2) for v in smooth],
            "rmse": _r(min(linear_mse, ses_mse) ** 0.5),
        }
        if threshold is not None:
            out[col]["crosses_threshold"] = any(v > threshold for v in chosen)
    return {"columns": out, "horizon": FORECAST_POINTS}


ANALYSES = {
    "statistical": statistical,
    "trend": trend,
    "correlation": correlation,
    "predictive": predictive,
}


# --- SVG chart ------------------------------------------------------------------------

WIDTH, HEIGHT, PAD = 640, 320, 48
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"]


def svg_line_chart(title: str, labels: list[str], lines: dict[str, list[float]]) -> str:
    """A small, self-contained line chart; every text is XML-escaped."""
    points = [v for values in lines.values() for v in values]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{PAD}" y="24" font-family="sans-serif" font-size="14">{escape(title)}</text>',
    ]
    if not points:
        parts.append('<text x="48" y="160" font-family="sans-serif">no data</text></svg>')
        return "".join(parts)
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    count = max(len(v) for v in lines.values())
    step = (WIDTH - 2 * PAD) / max(1, count - 1)

    def y(v: float) -> float:
        return HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD)

    parts.append(
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#9ca3af"/>'
    )
    parts.extend(
        f'<text x="4" y="{y(value) + 4:.1f}" font-family="sans-serif" font-size="10">'
        f"{escape(f'{value:g}')}</text>"
        for value in (low, high)
    )
    parts.extend(
        f'<text x="{PAD + index * step:.1f}" y="{HEIGHT - PAD + 16}" '
        f'font-family="sans-serif" font-size="10" text-anchor="middle">'
        f"{escape(labels[index])}</text>"
        for index in sorted({0, count - 1})
        if index < len(labels)
    )
    for i, (name, values) in enumerate(lines.items()):
        colour = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{PAD + j * step:.1f},{y(v):.1f}" for j, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{40 + 14 * i}" font-family="sans-serif" '
            f'font-size="11" text-anchor="end" fill="{colour}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def chart_for(
    columns: list[str], rows: Rows, analysis_type: str, result: dict[str, Any], title: str
) -> str:
    cols = numeric_columns(columns, rows)[: len(PALETTE)]
    lines: dict[str, list[float]] = {}
    labels: list[str] = []
    for col in cols:
        labels_c, values = series(columns, rows, col)
        if analysis_type == "predictive" and col in result.get("columns", {}):
            forecast = [p["value"] for p in result["columns"][col].get("forecast", [])]
            labels_c = labels_c + [p["label"] for p in result["columns"][col].get("forecast", [])]
            values = values + forecast
        lines[col] = values
        labels = labels_c if len(labels_c) > len(labels) else labels
    return svg_line_chart(title, labels, lines)
