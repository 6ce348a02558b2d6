"""process_data and analyze_data over stored datasets with known figures."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest
from django.urls import reverse

from apps.datatools import services
from apps.datatools.models import Analysis, Dataset


@pytest.fixture
def messy(people):
    rows = [
        {"region": " Seoul ", "units": "12", "price": "2.5", "day": "2025-01-01"},
        {"region": "Seoul", "units": "12", "price": "2.5", "day": "2025-01-01"},
        {"region": "", "units": "", "price": "", "day": ""},
        {"region": "Busan", "units": "1,200", "price": "3", "day": "2025/01/02"},
        {"region": "Incheon", "units": "5", "price": "4", "day": "2025-01-03"},
    ]
    return services.dataset_create(
        name="messy",
        source_type="file",
        source="messy.csv",
        columns=["region", "units", "price", "day"],
        rows=rows,
        created_by=people.operator,
    )


def _series(people, values, start=dt.date(2025, 1, 1), extra=None):
    rows = [
        {
            "date": (start + dt.timedelta(days=i)).isoformat(),
            "sold": v,
            **(extra(i) if extra else {}),
        }
        for i, v in enumerate(values)
    ]
    columns = list(rows[0])
    return services.dataset_create(
        name="series",
        source_type="database",
        source="test",
        columns=columns,
        rows=rows,
        created_by=people.operator,
    )


def test_clean_trims_coerces_and_drops_empty_and_duplicate_rows(call, messy):
    out = call("process_data", {"data_id": messy.data_id, "processing_type": "clean"})
    assert out.ok, out.result
    derived = Dataset.objects.get(data_id=out.result["processed_data_id"])
    assert derived.parent == messy
    assert derived.rows == [
        {"region": "Seoul", "units": 12, "price": 2.5, "day": "2025-01-01"},
        {"region": "Busan", "units": 1200, "price": 3, "day": "2025-01-02"},
        {"region": "Incheon", "units": 5, "price": 4, "day": "2025-01-03"},
    ]
    assert out.result["notes"]["dropped_duplicates"] == 1
    assert out.result["notes"]["dropped_empty"] == 1


def test_transform_derives_filters_sorts_selects_and_renames(call, messy):
    clean = call("process_data", {"data_id": messy.data_id, "processing_type": "clean"})
    out = call(
        "process_data",
        {
            "data_id": clean.result["processed_data_id"],
            "processing_type": "transform",
            "options": {
                "derive": [{"name": "revenue", "op": "mul", "args": ["units", "price"]}],
                "filter": [{"column": "revenue", "op": ">", "value": 25}],
                "sort": [{"column": "revenue", "desc": True}],
                "select": ["region", "revenue"],
                "rename": {"region": "city"},
            },
        },
    )
    assert out.ok, out.result
    assert out.result["columns"] == ["city", "revenue"]
    assert out.result["preview"] == [
        {"city": "Busan", "revenue": 3600.0},
        {"city": "Seoul", "revenue": 30.0},
    ]


def test_transform_with_an_unknown_column_names_the_columns(call, messy):
    out = call(
        "process_data",
        {"data_id": messy.data_id, "processing_type": "transform", "options": {"select": ["nope"]}},
    )
    assert out.result["error"]["kind"] == "invalid_options"
    assert "region" in out.result["error"]["message"]


def test_aggregate_groups_and_sums(call, people):
    rows = [{"loc": "A", "q": 1}, {"loc": "B", "q": 5}, {"loc": "A", "q": 3}]
    ds = services.dataset_create(
        name="g",
        source_type="file",
        source="g",
        columns=["loc", "q"],
        rows=rows,
        created_by=people.operator,
    )
    out = call(
        "process_data",
        {
            "data_id": ds.data_id,
            "processing_type": "aggregate",
            "options": {
                "group_by": ["loc"],
                "metrics": [
                    {"column": "q", "function": "sum"},
                    {"column": "q", "function": "avg"},
                    {"function": "count"},
                ],
            },
        },
    )
    assert out.ok, out.result
    assert out.result["preview"] == [
        {"loc": "A", "sum_q": 4.0, "avg_q": 2.0, "count": 2},
        {"loc": "B", "sum_q": 5.0, "avg_q": 5.0, "count": 1},
    ]


def test_aggregate_with_unknown_function_is_refused(call, messy):
    out = call(
        "process_data",
        {
            "data_id": messy.data_id,
            "processing_type": "aggregate",
            "options": {"metrics": [{"column": "units", "function": "median"}]},
        },
    )
    assert out.result["error"]["kind"] == "invalid_options"


def test_analyze_profiles_each_column(call, messy):
    clean = call("process_data", {"data_id": messy.data_id, "processing_type": "clean"})
    out = call(
        "process_data", {"data_id": clean.result["processed_data_id"], "processing_type": "analyze"}
    )
    units = next(r for r in out.result["preview"] if r["column"] == "units")
    assert units["type"] == "number" and units["max"] == 1200 and units["count"] == 3


def test_missing_data_id_is_a_clear_error(call, messy):
    out = call("process_data", {"data_id": "DS-NOPE", "processing_type": "clean"})
    assert out.result["error"]["kind"] == "not_found"
    assert "fetch_data" in out.result["error"]["message"]
    assert messy.data_id in out.result["error"]["message"]  # recent ids help the model


def test_another_users_dataset_is_not_found(call, people, messy):
    out = call(
        "process_data",
        {"data_id": messy.data_id, "processing_type": "clean"},
        actor=people.other_operator,
    )
    assert out.result["error"]["kind"] == "not_found"


def test_statistical_analysis_matches_the_statistics_module(call, people):
    values = [3, 7, 7, 19, 24, 1, 9]
    ds = _series(people, values)
    out = call(
        "analyze_data",
        {
            "data_source": ds.data_id,
            "analysis_type": "statistical",
            "output_format": "json",
            "filters": {"threshold": 8},
        },
    )
    assert out.ok, out.result
    sold = out.result["result"]["columns"]["sold"]
    assert sold["mean"] == pytest.approx(statistics.fmean(values), abs=1e-4)
    assert sold["median"] == 7
    assert sold["stdev"] == pytest.approx(statistics.stdev(values), abs=1e-4)
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    assert (sold["q1"], sold["q3"]) == (pytest.approx(q1), pytest.approx(q3))
    assert sold["above_threshold"] == 3


def test_trend_finds_the_slope_and_direction(call, people):
    ds = _series(people, [10 + 2 * i for i in range(20)])
    out = call(
        "analyze_data",
        {"data_source": ds.data_id, "analysis_type": "trend", "output_format": "json"},
    )
    sold = out.result["result"]["columns"]["sold"]
    assert sold["slope_per_step"] == pytest.approx(2.0)
    assert sold["direction"] == "up" and sold["r_squared"] == pytest.approx(1.0)
    assert "up" in out.result["summary"]


def test_date_range_and_categories_filter_rows(call, people):
    ds = _series(people, list(range(10)), extra=lambda i: {"site": "A" if i % 2 else "B"})
    out = call(
        "analyze_data",
        {
            "data_source": ds.data_id,
            "analysis_type": "statistical",
            "output_format": "json",
            "filters": {
                "date_range": {"start": "2025-01-03", "end": "2025-01-08"},
                "categories": ["A"],
            },
        },
    )
    assert out.result["rows_used"] == 3  # days 3..8 with odd index: 4, 6, 8 -> values 3, 5, 7
    assert out.result["result"]["columns"]["sold"]["mean"] == 5


def test_correlation_gives_a_pearson_matrix(call, people):
    ds = _series(
        people,
        [1, 2, 3, 4, 5, 6],
        extra=lambda i: {"double": 2 * i, "inverse": -i, "noise": [3, 1, 4, 1, 5, 9][i]},
    )
    out = call(
        "analyze_data",
        {"data_source": ds.data_id, "analysis_type": "correlation", "output_format": "json"},
    )
    matrix = out.result["result"]["matrix"]
    assert matrix["sold"]["double"] == pytest.approx(1.0)
    assert matrix["sold"]["inverse"] == pytest.approx(-1.0)
    assert {"a": "sold", "b": "double", "r": 1.0} in out.result["result"]["strong_pairs"]


def test_predictive_extends_a_linear_trend(call, people):
    ds = _series(people, [5 * i for i in range(14)])
    out = call(
        "analyze_data",
        {"data_source": ds.data_id, "analysis_type": "predictive", "output_format": "json"},
    )
    sold = out.result["result"]["columns"]["sold"]
    assert sold["method"] == "linear_trend"
    assert sold["forecast"][0] == {"label": "2025-01-15", "value": 70.0}
    assert len(sold["forecast"]) == 7


def test_predictive_on_a_level_series_uses_smoothing(call, people):
    ds = _series(people, [10, 12, 9, 11, 10, 12, 9, 11, 10, 11])
    out = call(
        "analyze_data",
        {"data_source": ds.data_id, "analysis_type": "predictive", "output_format": "json"},
    )
    sold = out.result["result"]["columns"]["sold"]
    assert 9 <= sold["forecast"][0]["value"] <= 12


def test_chart_output_stores_an_escaped_svg_served_to_the_owner(call, people, client):
    ds = services.dataset_create(
        name="<script>alert(1)</script>",
        source_type="file",
        source="x",
        columns=["day", "v"],
        rows=[{"day": f"2025-01-0{i}", "v": i * i} for i in range(1, 6)],
        created_by=people.operator,
    )
    out = call(
        "analyze_data",
        {"data_source": ds.data_id, "analysis_type": "trend", "output_format": "chart"},
    )
    assert out.ok, out.result
    svg = Analysis.objects.get(analysis_id=out.result["analysis_id"]).chart_svg
    assert svg.startswith("<svg") and "<script>" not in svg and "&lt;script&gt;" in svg
    client.force_login(people.operator)
    response = client.get(out.result["chart_url"])
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    client.force_login(people.other_operator)
    assert client.get(out.result["chart_url"]).status_code == 404


def test_a_dataset_name_works_as_data_source(call, stock):
    out = call("analyze_data", {"data_source": "stock_levels", "analysis_type": "statistical"})
    assert out.ok, out.result
    assert out.result["data_id"].startswith("DS-")
    assert "quantity mean" in out.result["summary"]


def test_analysis_without_numbers_says_so(call, people):
    ds = services.dataset_create(
        name="t",
        source_type="file",
        source="t",
        columns=["a"],
        rows=[{"a": "x"}, {"a": "y"}],
        created_by=people.operator,
    )
    out = call("analyze_data", {"data_source": ds.data_id, "analysis_type": "trend"})
    assert out.result["error"]["kind"] == "no_numeric_data"


def test_unknown_data_source_is_a_clear_error(call):
    out = call("analyze_data", {"data_source": "DS-MISSING", "analysis_type": "trend"})
    assert out.result["error"]["kind"] == "not_found"
    assert reverse("datatools:datasets")  # the pages exist
