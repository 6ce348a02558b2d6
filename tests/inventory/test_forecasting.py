"""The forecasting functions, on synthetic series whose truth is known."""

from __future__ import annotations

import random

import pytest

from apps.inventory.forecasting import forecast_demand, holt_winters

PATTERN = [10.0, 12.0, 14.0, 16.0, 20.0, 6.0, 4.0]


def weekly_series(
    weeks: int, *, noise: float = 0.0, trend: float = 0.0, seed: int = 1
) -> list[float]:
    rng = random.Random(seed)
    n = weeks * 7
    return [PATTERN[t % 7] + trend * t + rng.gauss(0, noise) for t in range(n)]


def test_forecast_reproduces_a_clean_weekly_pattern():
    series = weekly_series(20)
    fc = forecast_demand(series, 14)
    assert fc.method == "holt_winters_additive"
    expected = [PATTERN[(len(series) + h) % 7] for h in range(14)]
    assert fc.values == pytest.approx(expected, abs=0.25)
    assert fc.total == pytest.approx(sum(expected), rel=0.02)


def test_forecast_follows_the_weekly_pattern_through_noise():
    series = weekly_series(52, noise=1.0, seed=3)
    fc = forecast_demand(series, 28)
    expected = [PATTERN[(len(series) + h) % 7] for h in range(28)]
    errors = [abs(v - e) for v, e in zip(fc.values, expected, strict=True)]
    assert sum(errors) / len(errors) < 1.0
    # the Friday peak stays the peak, the Sunday trough stays the trough
    week = fc.values[:7]
    assert week.index(max(week)) == expected.index(max(expected[:7]))
    assert week.index(min(week)) == expected.index(min(expected[:7]))
    assert fc.residual_sd == pytest.approx(1.0, rel=0.3)


def test_prediction_intervals_contain_most_of_the_truth_and_widen_with_horizon():
    history = weekly_series(60, noise=2.0, seed=11)
    rng = random.Random(99)  # the next four weeks from the same process
    truth = [PATTERN[(len(history) + h) % 7] + rng.gauss(0, 2.0) for h in range(28)]
    fc = forecast_demand(history, 28)
    inside_95 = sum(
        lo <= y <= hi for lo, hi, y in zip(fc.lower_95, fc.upper_95, truth, strict=True)
    )
    inside_80 = sum(
        lo <= y <= hi for lo, hi, y in zip(fc.lower_80, fc.upper_80, truth, strict=True)
    )
    assert inside_95 >= 24  # about 95% of 28, with slack for sampling
    assert inside_80 >= 18
    width = [hi - lo for lo, hi in zip(fc.lower_95, fc.upper_95, strict=True)]
    assert width[-1] >= width[0]
    assert fc.total_95[0] <= sum(truth) <= fc.total_95[1]
    assert fc.total_80[0] < fc.total_95[1] and fc.total_95[0] <= fc.total_80[0]


def test_forecast_extends_an_upward_trend():
    series = weekly_series(30, trend=0.1)
    fc = forecast_demand(series, 7)
    assert sum(fc.values) > sum(series[-7:])


def test_short_history_falls_back_to_the_mean():
    series = [5.0, 7.0, 6.0, 8.0, 4.0, 6.0, 5.0, 7.0, 6.0, 6.0]
    fc = forecast_demand(series, 5)
    assert fc.method == "mean_fallback"
    assert "history too short" in fc.note
    assert fc.values == pytest.approx([6.0] * 5)
    assert fc.lower_95[0] < 6.0 < fc.upper_95[0]


def test_no_history_forecasts_zero_and_says_so():
    fc = forecast_demand([], 10)
    assert fc.method == "no_history"
    assert fc.total == 0
    assert "no sales history" in fc.note


def test_forecasts_are_never_negative():
    series = [0.0] * 30 + [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    fc = forecast_demand(series, 30)
    assert min(fc.values) >= 0
    assert min(fc.lower_95) >= 0


def test_holt_winters_refuses_less_than_two_seasons():
    with pytest.raises(ValueError, match="at least 14"):
        holt_winters([1.0] * 13, 3)
