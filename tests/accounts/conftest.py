"""Identity test helpers: a clean cache (log-in counters, DRF throttles), key
material made on the fly, and a URL conf that mounts the identity pages and
the throttled log-in view the way owm/urls.py will."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def pem_pair(private_key) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    private = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="session")
def rsa_pem() -> tuple[str, str]:
    return pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def ed25519_pem() -> tuple[str, str]:
    return pem_pair(ed25519.Ed25519PrivateKey.generate())


@pytest.fixture
def key_config(settings):  # type: ignore[no-untyped-def]
    """Configure the key set: key_config([...entries], active="kid")."""

    def configure(entries: list[dict], active: str) -> None:
        settings.OWM_JWT_KEYS = json.dumps(entries)
        settings.OWM_JWT_ACTIVE_KID = active

    return configure


@pytest.fixture
def pages(settings):  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = "tests.accounts.urls"


@pytest.fixture
def api_key_auth(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """What the lead adds to settings: ApiKeyAuthentication among the defaults.
    (APIView reads the list at import, so views are patched too.)"""
    from rest_framework.views import APIView

    from apps.accounts.authentication import ApiKeyAuthentication, JWTAuthentication

    classes = [
        "apps.accounts.authentication.JWTAuthentication",
        "apps.accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_AUTHENTICATION_CLASSES": classes}
    from rest_framework.authentication import SessionAuthentication

    monkeypatch.setattr(
        APIView,
        "authentication_classes",
        [JWTAuthentication, ApiKeyAuthentication, SessionAuthentication],
    )


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    """The scenario's users without the inventory data (faster)."""
    from tests.scenario import scenario_create

    return scenario_create(with_inventory=False)
