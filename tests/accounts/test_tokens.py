"""POST /api/auth/token and /api/auth/refresh, and what the API accepts as a bearer token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.accounts.tokens import ALGORITHM, KEY_ID

pytestmark = pytest.mark.django_db


def token_for(client: APIClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/auth/token", {"username": username, "password": password}, format="json"
    )


def forged(
    claims: dict, *, key: str | None = None, headers: dict | None = None, alg: str = ALGORITHM
) -> str:
    now = datetime.now(tz=UTC)
    base = {
        "sub": "1",
        "typ": "access",
        "iss": settings.OWM_JWT_ISSUER,
        "aud": settings.OWM_JWT_AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "x",
    }
    base.update(claims)
    return jwt.encode(
        {k: v for k, v in base.items() if v is not None},
        key if key is not None else settings.OWM_JWT_SECRET,
        algorithm=alg,
        headers=headers if headers is not None else {"kid": KEY_ID},
    )


def get_agents(token: str):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/agents/")


def test_a_user_gets_an_access_and_a_refresh_token(scenario):
    response = token_for(APIClient(), "alice", "alice-pass")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "expires_in"}
    assert body["expires_in"] == settings.OWM_JWT_ACCESS_TTL
    assert get_agents(body["access"]).status_code == 200


def test_a_wrong_password_gets_401_without_saying_which_part_was_wrong(scenario):
    response = token_for(APIClient(), "alice", "nope")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid username or password."}


def test_the_api_needs_a_token(db):
    assert APIClient().get("/api/agents/").status_code in (401, 403)


def test_a_refresh_token_buys_a_new_pair_but_is_not_an_access_token(scenario):
    body = token_for(APIClient(), "alice", "alice-pass").json()
    assert get_agents(body["refresh"]).status_code == 401
    refreshed = APIClient().post("/api/auth/refresh", {"refresh": body["refresh"]}, format="json")
    assert refreshed.status_code == 200
    assert get_agents(refreshed.json()["access"]).status_code == 200
    bad = APIClient().post("/api/auth/refresh", {"refresh": body["access"]}, format="json")
    assert bad.status_code == 401


@pytest.mark.parametrize(
    ("case", "claims", "kwargs"),
    [
        ("expired", {"exp": datetime.now(tz=UTC) - timedelta(seconds=5)}, {}),
        ("not yet valid", {"nbf": datetime.now(tz=UTC) + timedelta(minutes=5)}, {}),
        ("wrong audience", {"aud": "someone-else"}, {}),
        ("wrong issuer", {"iss": "evil"}, {}),
        ("no jti", {"jti": None}, {}),
        ("bad signature", {}, {"key": "another-secret-that-is-long-enough-for-hs256"}),
        ("unknown kid", {}, {"headers": {"kid": "other"}}),
        ("alg none", {}, {"alg": "none", "key": ""}),
    ],
)
def test_unacceptable_tokens_are_rejected(scenario, case, claims, kwargs):
    claims = {"sub": str(scenario.operator.pk), **claims}
    assert get_agents(forged(claims, **kwargs)).status_code == 401, case


def test_a_disabled_user_token_stops_working(scenario):
    access = token_for(APIClient(), "alice", "alice-pass").json()["access"]
    scenario.operator.is_active = False
    scenario.operator.save()
    assert get_agents(access).status_code == 401
