"""Demand forecasting in pure Python: Holt-Winters additive exponential
smoothing with a damped trend and weekly seasonality.

Everything here is a pure function over a list of floats, so it is tested
without a database. `forecast_demand` is the entry point: it picks the model
(or the mean fallback when the history is too short) and returns a `Forecast`."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

SEASON_LENGTH = 7
Z80 = 1.2816
Z95 = 1.9600

# The grid searched for the smoothing parameters; small enough to stay well
# under a tenth of a second on a year of daily data.
ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)
BETAS = (0.0, 0.01, 0.05, 0.1)
GAMMAS = (0.05, 0.1, 0.2, 0.3)
PHIS = (0.9, 0.98, 1.0)


@dataclass(frozen=True)
class Forecast:
    method: str  # "holt_winters_additive" | "mean_fallback" | "no_history"
    parameters: dict[str, float]
    values: list[float]
    lower_80: list[float]
    upper_80: list[float]
    lower_95: list[float]
    upper_95: list[float]
    total: float
    total_80: tuple[float, float]
    total_95: tuple[float, float]
    residual_sd: float
    note: str = ""
    fitted: list[float] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class _Fit:
    sse: float
    level: float
    trend: float
    seasonals: list[float]
    residuals: list[float]
    fitted: list[float]


def _initial_state(series: Sequence[float], m: int) -> tuple[float, float, list[float]]:
    """Classical start: level and trend from the first two seasons, seasonal
    indices as the average deviation from each season's mean."""
    seasons = len(series) // m
    means = [sum(series[i * m : (i + 1) * m]) / m for i in range(seasons)]
    level = means[0]
    trend = (means[1] - means[0]) / m
    seasonals = [
        sum(series[s * m + i] - means[s] for s in range(seasons)) / seasons for i in range(m)
    ]
    return level, trend, seasonals


def _fit(
    series: Sequence[float], m: int, alpha: float, beta: float, gamma: float, phi: float
) -> _Fit:
    level, trend, seasonals = _initial_state(series, m)
    seasonals = list(seasonals)
    sse = 0.0
    residuals: list[float] = []
    fitted: list[float] = []
    for t, y in enumerate(series):
        s = seasonals[t % m]
        predicted = level + phi * trend + s
        error = y - predicted
        fitted.append(predicted)
        if t >= m:  # the first season fed the initial state; score from the second on
            sse += error * error
            residuals.append(error)
        new_level = alpha * (y - s) + (1 - alpha) * (level + phi * trend)
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        seasonals[t % m] = gamma * (y - new_level) + (1 - gamma) * s
        level = new_level
    return _Fit(sse, level, trend, seasonals, residuals, fitted)


def _error_weights(
    horizon: int, m: int, alpha: float, beta: float, gamma: float, phi: float
) -> list[float]:
    """c_j: how much a one-step error j steps back still moves the forecast
    (Hyndman et al., additive Holt-Winters with damped trend)."""
    weights = [0.0]
    damp = 0.0
    for j in range(1, horizon):
        damp += phi**j
        weights.append(alpha * (1 + beta * damp) + (gamma if j % m == 0 else 0.0))
    return weights


def holt_winters(
    series: Sequence[float], horizon: int, *, season_length: int = SEASON_LENGTH
) -> Forecast:
    """Fit by grid search on one-step-ahead SSE and forecast `horizon` steps.

    Needs at least two full seasons of history."""
    m = season_length
    if len(series) < 2 * m:
        raise ValueError(f"holt_winters needs at least {2 * m} observations, got {len(series)}")
    best: tuple[float, tuple[float, float, float, float], _Fit] | None = None
    for params in itertools.product(ALPHAS, BETAS, GAMMAS, PHIS):
        fit = _fit(series, m, *params)
        if best is None or fit.sse < best[0]:
            best = (fit.sse, params, fit)
    assert best is not None
    _, (alpha, beta, gamma, phi), fit = best
    n = len(series)
    values = []
    damp = 0.0
    for h in range(1, horizon + 1):
        damp += phi**h
        values.append(max(0.0, fit.level + damp * fit.trend + fit.seasonals[(n + h - 1) % m]))
    sigma = _sd(fit.residuals)
    weights = _error_weights(horizon, m, alpha, beta, gamma, phi)
    step_var = list(itertools.accumulate(w * w for w in weights))  # 0 + sum_{j<h} c_j^2
    step_sd = [sigma * math.sqrt(1 + v) for v in step_var]
    # Error of the total: e_{n+k} enters every later day, weighted 1 + sum of c_j.
    cumulative = list(itertools.accumulate(weights))
    total_sd = sigma * math.sqrt(
        sum((1 + cumulative[horizon - k]) ** 2 for k in range(1, horizon + 1))
    )
    parameters = {"alpha": alpha, "beta": beta, "gamma": gamma, "phi": phi, "season_length": m}
    return _assemble(
        "holt_winters_additive", parameters, values, step_sd, total_sd, sigma, "", fit.fitted
    )


def mean_forecast(series: Sequence[float], horizon: int, *, note: str = "") -> Forecast:
    """The fallback: every future day is the historical mean."""
    n = len(series)
    if n == 0:
        zeros = [0.0] * horizon
        return _assemble("no_history", {}, zeros, zeros, 0.0, 0.0, note or "no sales history")
    mean = sum(series) / n
    sigma = _sd([y - mean for y in series])
    step_sd = [sigma * math.sqrt(1 + 1 / n)] * horizon
    total_sd = sigma * math.sqrt(horizon + horizon * horizon / n)
    return _assemble(
        "mean_fallback", {"mean": mean}, [mean] * horizon, step_sd, total_sd, sigma, note
    )


def forecast_demand(
    series: Sequence[float], horizon: int, *, season_length: int = SEASON_LENGTH
) -> Forecast:
    """Holt-Winters when there are two full seasons of history, else the mean."""
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    if not series:
        return mean_forecast(series, horizon, note="no sales history: the forecast is zero")
    if len(series) < 2 * season_length:
        note = (
            f"history too short: {len(series)} days, fewer than two full weekly seasons "
            f"({2 * season_length} days); the forecast is the daily mean"
        )
        return mean_forecast(series, horizon, note=note)
    return holt_winters(series, horizon, season_length=season_length)


def _sd(residuals: Sequence[float]) -> float:
    if len(residuals) < 2:
        return 0.0
    return math.sqrt(sum(r * r for r in residuals) / (len(residuals) - 1))


def _assemble(
    method: str,
    parameters: dict[str, float],
    values: list[float],
    step_sd: list[float],
    total_sd: float,
    sigma: float,
    note: str,
    fitted: list[float] | None = None,
) -> Forecast:
    total = sum(values)
    return Forecast(
        method=method,
        parameters=parameters,
        values=values,
        lower_80=[max(0.0, v - Z80 * sd) for v, sd in zip(values, step_sd, strict=True)],
        upper_80=[v + Z80 * sd for v, sd in zip(values, step_sd, strict=True)],
        lower_95=[max(0.0, v - Z95 * sd) for v, sd in zip(values, step_sd, strict=True)],
        upper_95=[v + Z95 * sd for v, sd in zip(values, step_sd, strict=True)],
        total=total,
        total_80=(max(0.0, total - Z80 * total_sd), total + Z80 * total_sd),
        total_95=(max(0.0, total - Z95 * total_sd), total + Z95 * total_sd),
        residual_sd=sigma,
        note=note,
        fitted=fitted or [],
    )
