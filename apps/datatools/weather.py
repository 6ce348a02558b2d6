"""Current weather through an Open-Meteo compatible provider (geocoding, then
forecast). Both URLs are settings so tests and air-gapped sites point elsewhere."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from apps.tools.registry import ToolError

WMO_CODES = {
    0: "clear sky",
    1: "mainly clear",
    2: "partly cloudy",
    3: "overcast",
    45: "fog",
    48: "depositing rime fog",
    51: "light drizzle",
    53: "drizzle",
    55: "dense drizzle",
    61: "light rain",
    63: "rain",
    65: "heavy rain",
    71: "light snow",
    73: "snow",
    75: "heavy snow",
    80: "rain showers",
    81: "heavy rain showers",
    82: "violent rain showers",
    95: "thunderstorm",
    96: "thunderstorm with hail",
    99: "thunderstorm with heavy hail",
}
CURRENT = "temperature_2m,apparent_temperature,relative_humidity_2m,weather_code,wind_speed_10m"


def _get(url: str, params: dict[str, Any]) -> dict[str, Any]:
    timeout = float(getattr(settings, "OWM_WEATHER_TIMEOUT", 10.0))
    try:
        response = httpx.get(url, params=params, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise ToolError(
            f"the weather provider did not answer within {timeout:g}s", kind="provider_unavailable"
        ) from exc
    except httpx.HTTPError as exc:
        raise ToolError(
            f"the weather provider is unreachable: {exc}", kind="provider_unavailable"
        ) from exc
    if response.status_code >= 400:
        raise ToolError(
            f"the weather provider answered HTTP {response.status_code}",
            kind="provider_unavailable",
            details={"status_code": response.status_code},
        )
    try:
        data = response.json()
    except ValueError as exc:
        raise ToolError("the weather provider sent invalid JSON", kind="provider_error") from exc
    if not isinstance(data, dict):
        raise ToolError("the weather provider sent an unexpected answer", kind="provider_error")
    return data


def geocode(city: str) -> dict[str, Any]:
    url = getattr(settings, "OWM_GEOCODING_URL", "https://geocoding-api.open-meteo.com/v1/search")
    data = _get(url, {"name": city, "count": 1, "language": "en", "format": "json"})
    results = data.get("results") or []
    if not results:
        raise ToolError(
            f"unknown city {city!r}; try the English name, e.g. Seoul", kind="not_found"
        )
    return results[0]


def current_weather(city: str, unit: str) -> dict[str, Any]:
    place = geocode(city)
    url = getattr(settings, "OWM_WEATHER_URL", "https://api.open-meteo.com/v1/forecast")
    data = _get(
        url,
        {
            "latitude": place["latitude"],
            "longitude": place["longitude"],
            "current": CURRENT,
            "temperature_unit": unit,
            "wind_speed_unit": "kmh",
            "timezone": "auto",
        },
    )
    current = data.get("current")
    if not isinstance(current, dict) or "temperature_2m" not in current:
        raise ToolError("the weather provider sent no current conditions", kind="provider_error")
    symbol = "°F" if unit == "fahrenheit" else "°C"
    code = current.get("weather_code")
    return {
        "city": place.get("name", city),
        "country": place.get("country", ""),
        "latitude": place["latitude"],
        "longitude": place["longitude"],
        "observed_at": current.get("time"),
        "temperature": current["temperature_2m"],
        "feels_like": current.get("apparent_temperature"),
        "humidity_percent": current.get("relative_humidity_2m"),
        "wind_speed_kmh": current.get("wind_speed_10m"),
        "conditions": WMO_CODES.get(code, f"weather code {code}") if code is not None else None,
        "unit": unit,
        "unit_symbol": symbol,
    }
