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


# --- The key set: algorithms pinned per key, rotation --------------------------------


def hs256_forge(claims: dict, *, secret: bytes, kid: str) -> str:
    """An HS256 token made by hand (PyJWT refuses a PEM key as an HMAC secret)."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def valid_claims(user) -> dict:  # type: ignore[no-untyped-def]
    now = int(datetime.now(tz=UTC).timestamp())
    return {
        "sub": str(user.pk),
        "typ": "access",
        "iss": settings.OWM_JWT_ISSUER,
        "aud": settings.OWM_JWT_AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "jti": "forged",
    }


def test_an_hs256_token_signed_with_the_rs256_public_key_is_rejected(scenario, key_config, rsa_pem):
    private, public = rsa_pem
    key_config([{"kid": "rs-1", "alg": "RS256", "private_key": private}], active="rs-1")
    token = hs256_forge(valid_claims(scenario.operator), secret=public.encode(), kid="rs-1")
    assert get_agents(token).status_code == 401


def test_rs256_tokens_carry_their_kid_and_work(scenario, key_config, rsa_pem):
    key_config([{"kid": "rs-1", "alg": "RS256", "private_key": rsa_pem[0]}], active="rs-1")
    access = token_for(APIClient(), "alice", "alice-pass").json()["access"]
    assert jwt.get_unverified_header(access) == {"alg": "RS256", "typ": "JWT", "kid": "rs-1"}
    assert get_agents(access).status_code == 200


def test_eddsa_tokens_work(scenario, key_config, ed25519_pem, tmp_path):
    (tmp_path / "ed.pem").write_text(ed25519_pem[0])
    key_config(
        [{"kid": "ed-1", "alg": "EdDSA", "private_key_file": str(tmp_path / "ed.pem")}],
        active="ed-1",
    )
    body = token_for(APIClient(), "alice", "alice-pass").json()
    assert jwt.get_unverified_header(body["access"])["alg"] == "EdDSA"
    assert get_agents(body["access"]).status_code == 200
    refreshed = APIClient().post("/api/auth/refresh", {"refresh": body["refresh"]}, format="json")
    assert refreshed.status_code == 200


def test_a_rotated_out_key_still_verifies_while_it_is_in_the_set_as_verify_only(
    scenario, key_config, ed25519_pem
):
    old = {"kid": "hs-old", "alg": "HS256", "secret": "o" * 40}
    key_config([old], active="hs-old")
    old_access = token_for(APIClient(), "alice", "alice-pass").json()["access"]

    new = {"kid": "ed-new", "alg": "EdDSA", "private_key": ed25519_pem[0]}
    key_config([new, {**old, "verify_only": True}], active="ed-new")
    assert get_agents(old_access).status_code == 200
    new_access = token_for(APIClient(), "alice", "alice-pass").json()["access"]
    assert jwt.get_unverified_header(new_access)["kid"] == "ed-new"

    key_config([new], active="ed-new")  # the old key is gone: so are its tokens
    assert get_agents(old_access).status_code == 401
    assert get_agents(new_access).status_code == 200


def test_a_verify_only_key_cannot_be_the_active_key(key_config):
    from django.core.exceptions import ImproperlyConfigured

    from apps.accounts.keys import key_set

    key_config([{"kid": "a", "alg": "HS256", "secret": "s" * 40, "verify_only": True}], "a")
    with pytest.raises(ImproperlyConfigured, match="OWM_JWT_ACTIVE_KID"):
        key_set()


def test_a_short_hs256_secret_is_refused_loudly(key_config):
    from django.core.exceptions import ImproperlyConfigured

    from apps.accounts.keys import key_set

    key_config([{"kid": "weak", "alg": "HS256", "secret": "short"}], "weak")
    with pytest.raises(ImproperlyConfigured, match="'weak'"):
        key_set()


# --- Revocation ------------------------------------------------------------------------


def test_checking_an_access_token_takes_one_query(scenario, django_assert_num_queries):
    from apps.accounts.tokens import token_user

    access = token_for(APIClient(), "alice", "alice-pass").json()["access"]
    with django_assert_num_queries(1):
        assert token_user(access) == scenario.operator


def test_a_revoked_jti_is_rejected(scenario):
    from apps.accounts.services import token_jti_revoke
    from apps.accounts.tokens import token_decode

    body = token_for(APIClient(), "alice", "alice-pass").json()
    token_jti_revoke(claims=token_decode(body["access"], typ="access"))
    assert get_agents(body["access"]).status_code == 401
    other = token_for(APIClient(), "alice", "alice-pass").json()["access"]
    assert get_agents(other).status_code == 200


def test_logout_revokes_the_family_access_and_refresh_tokens(scenario):
    body = token_for(APIClient(), "alice", "alice-pass").json()
    other_session = token_for(APIClient(), "alice", "alice-pass").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert client.post("/api/auth/logout", {}, format="json").status_code == 204

    assert get_agents(body["access"]).status_code == 401
    refreshed = APIClient().post("/api/auth/refresh", {"refresh": body["refresh"]}, format="json")
    assert refreshed.status_code == 401
    assert get_agents(other_session["access"]).status_code == 200


def test_a_reused_refresh_token_revokes_the_whole_family(scenario):
    body = token_for(APIClient(), "alice", "alice-pass").json()
    first = APIClient().post("/api/auth/refresh", {"refresh": body["refresh"]}, format="json")
    rotated = first.json()
    assert get_agents(rotated["access"]).status_code == 200

    replay = APIClient().post("/api/auth/refresh", {"refresh": body["refresh"]}, format="json")
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    assert get_agents(rotated["access"]).status_code == 401
    again = APIClient().post("/api/auth/refresh", {"refresh": rotated["refresh"]}, format="json")
    assert again.status_code == 401


def test_sign_out_everywhere_rejects_tokens_issued_before_it_but_not_after(scenario):
    before = token_for(APIClient(), "alice", "alice-pass").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {before['access']}")
    assert client.post("/api/auth/logout", {"everywhere": True}, format="json").status_code == 204

    assert get_agents(before["access"]).status_code == 401
    refresh = APIClient().post("/api/auth/refresh", {"refresh": before["refresh"]}, format="json")
    assert refresh.status_code == 401
    after = token_for(APIClient(), "alice", "alice-pass").json()
    assert get_agents(after["access"]).status_code == 200


def test_staff_can_revoke_every_token_of_a_user_and_others_cannot(scenario):
    alice = token_for(APIClient(), "alice", "alice-pass").json()["access"]
    bob = token_for(APIClient(), "bob", "bob-pass").json()["access"]
    as_bob = APIClient()
    as_bob.credentials(HTTP_AUTHORIZATION=f"Bearer {bob}")
    assert as_bob.post("/api/auth/users/alice/revoke").status_code == 403
    assert get_agents(alice).status_code == 200

    as_ada = APIClient()
    as_ada.force_authenticate(scenario.admin)
    assert as_ada.post("/api/auth/users/alice/revoke").status_code == 204
    assert as_ada.post("/api/auth/users/nobody/revoke").status_code == 404
    assert get_agents(alice).status_code == 401
    assert get_agents(bob).status_code == 200


def test_auth_events_are_audited_without_tokens(scenario):
    from apps.audit.models import AuditEntry

    body = token_for(APIClient(), "alice", "alice-pass").json()
    APIClient().post("/api/auth/refresh", {"refresh": body["refresh"]}, format="json")
    APIClient().post("/api/auth/refresh", {"refresh": body["refresh"]}, format="json")
    events = list(AuditEntry.objects.order_by("seq").values_list("event", flat=True))
    assert {
        "auth.token_issued",
        "auth.token_refreshed",
        "auth.token_revoked",
        "auth.refresh_reuse_detected",
    } <= set(events)
    dumped = str(list(AuditEntry.objects.values()))
    assert body["access"] not in dumped and body["refresh"] not in dumped
