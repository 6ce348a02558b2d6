"""Failed log-ins lock the username and the client address out, on the
dashboard log-in and on POST /api/auth/token alike."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def api_login(username: str, password: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return APIClient().post(
        "/api/auth/token", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def page_login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_api_refuses_with_429_after_five_failures_even_with_the_right_password(people):
    for _ in range(5):
        assert api_login("alice", "wrong").status_code == 401
    locked = api_login("alice", "alice-pass")
    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.json()["detail"]
    assert int(locked["Retry-After"]) == 900


def test_a_success_resets_the_username_count(people):
    for _ in range(4):
        api_login("alice", "wrong", ip="10.0.0.1")
    assert api_login("alice", "alice-pass", ip="10.0.0.2").status_code == 200
    for _ in range(4):
        api_login("alice", "wrong", ip="10.0.0.3")
    assert api_login("alice", "alice-pass", ip="10.0.0.4").status_code == 200


def test_one_address_spraying_many_usernames_is_locked_out(people):
    for name in ["u1", "u2", "u3", "u4", "u5"]:
        assert api_login(name, "guess", ip="203.0.113.9").status_code == 401
    assert api_login("alice", "alice-pass", ip="203.0.113.9").status_code == 429
    assert api_login("alice", "alice-pass", ip="198.51.100.1").status_code == 200


def test_the_lockout_is_refused_without_checking_the_password(people, monkeypatch):
    for _ in range(5):
        api_login("alice", "wrong")
    checked = []
    monkeypatch.setattr("apps.accounts.services.authenticate", lambda *a, **k: checked.append(1))
    assert api_login("alice", "alice-pass").status_code == 429
    assert checked == []


def test_the_limits_are_settings(people, settings):
    settings.OWM_LOGIN_MAX_FAILURES = 2
    settings.OWM_LOGIN_LOCKOUT_SECONDS = 60
    api_login("alice", "wrong")
    api_login("alice", "wrong")
    locked = api_login("alice", "alice-pass")
    assert locked.status_code == 429 and locked["Retry-After"] == "60"


def test_the_login_page_shows_the_lockout_as_a_form_error(people, pages):
    client = Client()
    for _ in range(5):
        response = page_login(client, "alice", "wrong")
        assert response.status_code == 200
        assert "didn&#x27;t match" in response.content.decode()
    locked = page_login(client, "alice", "alice-pass")
    assert locked.status_code == 200
    assert "Too many failed log-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_page_and_the_api_share_one_count(people, pages):
    client = Client()
    for _ in range(3):
        page_login(client, "alice", "wrong")
    for _ in range(2):
        api_login("alice", "wrong")
    assert page_login(client, "alice", "alice-pass").status_code == 200
    assert "_auth_user_id" not in client.session
    assert api_login("alice", "alice-pass").status_code == 429


def test_the_login_page_still_logs_in(people, pages):
    client = Client()
    response = page_login(client, "alice", "alice-pass")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(people.operator.pk)
