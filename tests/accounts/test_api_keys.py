"""Service accounts and their API keys: `Authorization: Api-Key owm_<prefix>_<secret>`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiKey, ServiceAccount
from apps.accounts.services import api_key_create, service_account_create

pytestmark = pytest.mark.django_db


def keyed(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def staff(people) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(people.admin)
    return client


@pytest.fixture
def operator_key(people, api_key_auth):  # type: ignore[no-untyped-def]
    account = service_account_create(username="etl-bot", roles=["operator"])
    return api_key_create(account=account, name="nightly")


def test_a_key_authenticates_as_its_service_account(operator_key):
    key, plaintext = operator_key
    assert plaintext.startswith(f"owm_{key.prefix}_") and len(key.prefix) == 8
    response = keyed(plaintext).get("/api/agents/")
    assert response.status_code == 200


def test_only_the_hash_of_the_secret_is_stored(operator_key):
    key, plaintext = operator_key
    secret = plaintext.split("_", 2)[2]
    stored = ApiKey.objects.values_list("key_hash", flat=True).get(pk=key.pk)
    assert secret not in stored and len(stored) == 64


def test_a_wrong_secret_gets_401(operator_key):
    key, _plaintext = operator_key
    assert keyed(f"owm_{key.prefix}_{'x' * 43}").get("/api/agents/").status_code == 401
    assert keyed("owm_nope").get("/api/agents/").status_code == 401


def test_a_revoked_key_gets_401(people, operator_key):
    key, plaintext = operator_key
    response = staff(people).post(f"/api/auth/keys/{key.prefix}/revoke")
    assert response.status_code == 200 and response.json()["state"] == "revoked"
    assert keyed(plaintext).get("/api/agents/").status_code == 401


def test_an_expired_key_gets_401(operator_key):
    key, plaintext = operator_key
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert keyed(plaintext).get("/api/agents/").status_code == 401


def test_a_key_of_a_disabled_account_gets_401(operator_key):
    key, plaintext = operator_key
    key.account.user.is_active = False
    key.account.user.save()
    assert keyed(plaintext).get("/api/agents/").status_code == 401


def test_using_a_key_updates_last_used_at(operator_key):
    key, plaintext = operator_key
    assert key.last_used_at is None
    keyed(plaintext).get("/api/agents/")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_key_acts_with_its_accounts_roles(people, api_key_auth):
    viewer = service_account_create(username="looker", roles=["viewer"])
    _key, viewer_key = api_key_create(account=viewer, name="read")
    operator = service_account_create(username="runner", roles=["operator"])
    _key, operator_key = api_key_create(account=operator, name="run")
    arguments = {"arguments": {"product_ids": ["SKU-1001"]}}

    denied = keyed(viewer_key).post(
        "/api/tools/check_stock_levels/invoke", arguments, format="json"
    )
    assert denied.status_code == 403
    allowed = keyed(operator_key).post(
        "/api/tools/check_stock_levels/invoke", arguments, format="json"
    )
    assert allowed.status_code != 403


def test_a_service_account_cannot_log_in_with_a_password(people):
    account = service_account_create(username="etl-bot", roles=["operator"])
    assert not account.user.has_usable_password()
    response = APIClient().post(
        "/api/auth/token", {"username": "etl-bot", "password": ""}, format="json"
    )
    assert response.status_code in (400, 401)


def test_staff_create_a_service_account_and_a_key_shown_once(people, api_key_auth):
    client = staff(people)
    created = client.post(
        "/api/auth/service-accounts/",
        {"username": "reporter", "description": "BI", "roles": ["viewer"]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["roles"] == ["viewer"]
    account_id = created.json()["id"]

    made = client.post(
        f"/api/auth/service-accounts/{account_id}/keys", {"name": "bi"}, format="json"
    )
    assert made.status_code == 201
    assert made["Cache-Control"] == "no-store"
    plaintext = made.json()["key"]
    assert keyed(plaintext).get("/api/agents/").status_code == 200

    listed = client.get("/api/auth/service-accounts/").json()
    assert listed[0]["keys"][0]["prefix"] == made.json()["api_key"]["prefix"]
    assert plaintext not in str(listed)


def test_service_account_apis_are_staff_only(people):
    client = APIClient()
    client.force_authenticate(people.operator)
    assert client.get("/api/auth/service-accounts/").status_code == 403
    created = client.post(
        "/api/auth/service-accounts/", {"username": "x-bot", "roles": []}, format="json"
    )
    assert created.status_code == 403
    assert not ServiceAccount.objects.exists()


def test_unknown_roles_and_taken_usernames_are_refused(people):
    client = staff(people)
    unknown = client.post(
        "/api/auth/service-accounts/", {"username": "x-bot", "roles": ["wizard"]}, format="json"
    )
    assert unknown.status_code == 400 and "wizard" in unknown.json()["detail"]
    taken = client.post(
        "/api/auth/service-accounts/", {"username": "alice", "roles": []}, format="json"
    )
    assert taken.status_code == 400 and "already exists" in taken.json()["detail"]


def test_key_events_are_audited_without_the_secret(people, api_key_auth):
    from apps.audit.models import AuditEntry

    client = staff(people)
    account_id = client.post(
        "/api/auth/service-accounts/", {"username": "r-bot", "roles": []}, format="json"
    ).json()["id"]
    made = client.post(f"/api/auth/service-accounts/{account_id}/keys", {"name": "k"}).json()
    client.post(f"/api/auth/keys/{made['api_key']['prefix']}/revoke")
    events = set(AuditEntry.objects.values_list("event", flat=True))
    assert {"auth.service_account_created", "auth.api_key_created", "auth.api_key_revoked"} <= (
        events
    )
    assert made["key"].split("_", 2)[2] not in str(list(AuditEntry.objects.values()))
