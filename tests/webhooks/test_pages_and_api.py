"""The webhook dashboard and API: staff only, secrets shown once."""

from __future__ import annotations

import pytest

from apps.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(svc):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    return User.objects.create_user("ada", password="x", is_staff=True, is_superuser=True)


def test_endpoints_page_is_for_staff(client, hook, svc):
    client.force_login(svc)
    assert client.get("/webhooks/").status_code == 302


def test_create_on_the_page_shows_the_secret_once(client, admin_user, automation):
    client.force_login(admin_user)
    response = client.post(
        "/webhooks/", {"slug": "shop", "name": "Shop", "automation": automation.slug}
    )
    assert response.status_code == 200 and b"whsec_" in response.content
    endpoint = WebhookEndpoint.objects.get(slug="shop")
    assert endpoint.secret.encode() in response.content
    assert endpoint.secret not in endpoint.secret_encrypted  # encrypted at rest
    assert b"whsec_" not in client.get("/webhooks/").content


def test_rotate_on_the_page_shows_the_new_secret(client, admin_user, hook):
    client.force_login(admin_user)
    endpoint, old = hook
    response = client.post("/webhooks/demo-orders/rotate")
    endpoint.refresh_from_db()
    assert endpoint.secret.encode() in response.content and endpoint.secret != old
    assert old in endpoint.secrets_valid()


def test_delivery_log_shows_verification_and_replays(
    client, admin_user, send, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(msg_id="good")
    send(msg_id="forged", secret="whsec_" + "QUJD" * 8)
    client.force_login(admin_user)
    page = client.get("/webhooks/demo-orders/")
    assert b"good" in page.content and b"forged" in page.content and b"agent run" in page.content
    good = WebhookDelivery.objects.get(webhook_id="good")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/webhooks/deliveries/{good.pk}/replay")
    assert WebhookDelivery.objects.filter(replay_of=good, status="processed").count() == 1
    assert b"replay of" in client.get("/webhooks/demo-orders/").content


def test_api_lists_endpoints_creates_with_a_secret_and_lists_deliveries(
    client, admin_user, automation, send
):
    client.force_login(admin_user)
    created = client.post(
        "/api/webhooks/endpoints/",
        {"slug": "api", "name": "API", "automation": automation.slug},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    assert "secret" not in client.get("/api/webhooks/endpoints/").json()[0]
    send()
    deliveries = client.get("/api/webhooks/endpoints/demo-orders/deliveries/").json()
    assert len(deliveries) == 1 and deliveries[0]["verified"] is True


def test_api_is_refused_to_non_staff(client, svc, hook):
    client.force_login(svc)
    assert client.get("/api/webhooks/endpoints/").status_code == 403
