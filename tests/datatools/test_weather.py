"""get_weather against a local fake of the Open-Meteo APIs (no internet)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def provider(fake_http, settings):
    settings.OWM_GEOCODING_URL = fake_http.url("/geo")
    settings.OWM_WEATHER_URL = fake_http.url("/forecast")
    return fake_http


SEOUL = {
    "results": [
        {"name": "Seoul", "country": "South Korea", "latitude": 37.566, "longitude": 126.978}
    ]
}
CURRENT = {
    "current": {
        "time": "2025-01-01T12:00",
        "temperature_2m": 3.4,
        "apparent_temperature": -0.5,
        "relative_humidity_2m": 60,
        "weather_code": 3,
        "wind_speed_10m": 11.2,
    }
}


def test_weather_for_a_known_city(call, provider):
    provider.answer("/geo", body=json.dumps(SEOUL))
    provider.answer("/forecast", body=json.dumps(CURRENT))
    out = call("get_weather", {"city": "Seoul"})
    assert out.ok, out.result
    assert out.result["temperature"] == 3.4 and out.result["conditions"] == "overcast"
    assert out.result["summary"].startswith("Seoul, South Korea: 3.4°C")
    forecast = provider.requests[1]
    assert "latitude=37.566" in forecast.path and "temperature_unit=celsius" in forecast.path


def test_fahrenheit_is_passed_to_the_provider(call, provider):
    provider.answer("/geo", body=json.dumps(SEOUL))
    provider.answer("/forecast", body=json.dumps(CURRENT))
    out = call("get_weather", {"city": "Seoul", "unit": "fahrenheit"})
    assert "°F" in out.result["summary"]
    assert "temperature_unit=fahrenheit" in provider.requests[1].path


def test_unknown_city_is_a_clear_error(call, provider):
    provider.answer("/geo", body=json.dumps({"generationtime_ms": 0.1}))
    out = call("get_weather", {"city": "Atlantis"})
    assert out.result["error"]["kind"] == "not_found"
    assert "Atlantis" in out.result["error"]["message"]


def test_unreachable_provider_is_a_clear_error(call, settings):
    settings.OWM_GEOCODING_URL = "http://127.0.0.1:1/geo"
    out = call("get_weather", {"city": "Seoul"})
    assert out.result["error"]["kind"] == "provider_unavailable"


def test_provider_server_error_is_reported(call, provider):
    provider.answer("/geo", status=503)
    out = call("get_weather", {"city": "Seoul"})
    assert out.result["error"]["kind"] == "provider_unavailable"
    assert "503" in out.result["error"]["message"]


def test_bad_unit_is_a_schema_error(call):
    assert call("get_weather", {"city": "Seoul", "unit": "kelvin"}).result["error"]["kind"] == (
        "invalid_arguments"
    )
