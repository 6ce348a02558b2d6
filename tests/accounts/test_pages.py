"""The staff pages for service accounts and their keys."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.accounts.models import ApiKey, ServiceAccount
from apps.accounts.services import api_key_create, service_account_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pages")]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_list_is_staff_only(people):
    assert logged_in(people.operator).get("/account/service-accounts/").status_code == 403
    anonymous = Client().get("/account/service-accounts/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_an_empty_list_says_what_to_do(people):
    response = logged_in(people.admin).get("/account/service-accounts/")
    assert response.status_code == 200
    assert "No service accounts yet" in response.content.decode()


def test_staff_create_a_service_account_with_roles(people):
    client = logged_in(people.admin)
    response = client.post(
        "/account/service-accounts/",
        {"username": "reporting-bot", "description": "BI", "roles": ["viewer"]},
    )
    assert response.status_code == 302
    account = ServiceAccount.objects.get(user__username="reporting-bot")
    assert [g.name for g in account.user.groups.all()] == ["viewer"]
    assert account.created_by == people.admin


def test_a_taken_username_is_a_form_error(people):
    response = logged_in(people.admin).post(
        "/account/service-accounts/", {"username": "alice", "roles": []}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_a_new_key_is_shown_once_and_listed_by_prefix_only(people):
    account = service_account_create(username="etl-bot", roles=["operator"])
    client = logged_in(people.admin)
    response = client.post(f"/account/service-accounts/{account.pk}/keys", {"name": "nightly"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    plaintext = re.search(r'value="(owm_[0-9a-f]{8}_[^"]+)"', page).group(1)  # type: ignore[union-attr]
    key = ApiKey.objects.get(account=account)
    assert plaintext.startswith(f"owm_{key.prefix}_")

    listing = client.get("/account/service-accounts/").content.decode()
    assert f"owm_{key.prefix}_" in listing and plaintext not in listing


def test_staff_revoke_a_key_from_the_page(people):
    account = service_account_create(username="etl-bot", roles=["operator"])
    key, _plaintext = api_key_create(account=account, name="nightly")
    client = logged_in(people.admin)
    assert logged_in(people.operator).post(f"/account/keys/{key.prefix}/revoke").status_code == 403
    response = client.post(f"/account/keys/{key.prefix}/revoke", follow=True)
    assert "revoked" in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_the_demo_seed_is_idempotent(people):
    from apps.accounts.demo import seed

    first = seed()
    second = seed()
    assert first["service_accounts_created"] == ["reporting-bot"]
    assert second == {"users_created": [], "service_accounts_created": []}
