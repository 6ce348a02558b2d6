"""Server-rendered SVG bar charts. Geometry is computed here as numbers; the
markup comes from templates/dashboard/_chart.html, so every label is escaped."""

from __future__ import annotations

from datetime import date

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

WIDTH = 600
HEIGHT = 160
PAD_BOTTOM = 20
PAD_TOP = 12


def bar_chart(*, title: str, series: list[tuple[date, int]]) -> SafeString:
    """An accessible bar chart of a daily series (one bar per day)."""
    peak = max((value for _, value in series), default=0) or 1
    slot = WIDTH / max(len(series), 1)
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    bars = []
    label_every = max(len(series) // 7, 1)
    for index, (day, value) in enumerate(series):
        height = round(plot * value / peak, 2)
        bars.append(
            {
                "x": round(index * slot + slot * 0.1, 2),
                "y": round(PAD_TOP + plot - height, 2),
                "width": round(max(slot * 0.8, 1), 2),
                "height": height,
                "day": day,
                "value": value,
                "label": index % label_every == 0,
                "label_x": round(index * slot + slot / 2, 2),
            }
        )
    context = {
        "title": title,
        "bars": bars,
        "width": WIDTH,
        "height": HEIGHT,
        "baseline": HEIGHT - PAD_BOTTOM,
        "label_y": HEIGHT - 5,
        "peak": peak,
        "total": sum(value for _, value in series),
    }
    return render_to_string("dashboard/_chart.html", context)
