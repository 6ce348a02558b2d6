"""send_notification: signed webhooks to a real local server, retries, 410,
email with report attachments, recipient validation, pages and API."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from apps.datatools import services as data_services
from apps.notifications import services
from apps.notifications.models import Delivery, DeliveryAttempt, NotificationChannel
from apps.notifications.signing import verify


@pytest.fixture
def hook(fake_http):
    channel = services.notification_channel_create(
        name="ops-hook", kind="webhook", target=fake_http.url("/hook")
    )
    return channel


@pytest.fixture
def report(people):
    dataset = data_services.dataset_create(
        name="d",
        source_type="file",
        source="d",
        columns=["a"],
        rows=[{"a": 1}, {"a": 2}],
        created_by=people.operator,
    )
    return data_services.report_generate(
        dataset=dataset, report_type="summary", fmt="pdf", actor=people.operator
    )


def test_webhook_post_is_signed_and_verifies(call, hook, fake_http, report):
    fake_http.answer("/hook", status=204)
    out = call(
        "send_notification",
        {
            "recipients": ["ops-hook"],
            "message": "Stock report ready",
            "channel": "webhook",
            "attachments": [report.report_id],
        },
    )
    assert out.ok, out.result
    assert out.result["deliveries"][0]["status"] == "sent"
    seen = fake_http.requests[0]
    headers = seen.headers
    assert seen.method == "POST" and headers["webhook-id"].startswith("msg_")
    assert verify(
        hook.secret,
        headers["webhook-id"],
        headers["webhook-timestamp"],
        seen.body,
        headers["webhook-signature"],
    )
    assert not verify(
        hook.secret,
        headers["webhook-id"],
        headers["webhook-timestamp"],
        seen.body.replace(b"ready", b"READY"),
        headers["webhook-signature"],
    )
    assert not verify(
        "whsec_" + "QUJD" * 8,
        headers["webhook-id"],
        headers["webhook-timestamp"],
        seen.body,
        headers["webhook-signature"],
    )
    assert not verify(
        hook.secret,
        headers["webhook-id"],
        int(headers["webhook-timestamp"]) - 600,
        seen.body,
        headers["webhook-signature"],
    )
    payload = json.loads(seen.body)
    assert payload["data"]["notification_id"] == out.result["notification_id"]
    assert payload["data"]["attachments"][0]["report_id"] == report.report_id


def test_503_is_retried_in_the_background_then_succeeds(
    call, hook, fake_http, django_capture_on_commit_callbacks
):
    fake_http.answer("/hook", status=503, headers={"Retry-After": "7"})
    fake_http.answer("/hook", status=200)
    with django_capture_on_commit_callbacks(execute=True):
        out = call(
            "send_notification", {"recipients": ["ops-hook"], "message": "hi", "channel": "webhook"}
        )
    first = out.result["deliveries"][0]
    assert first["status"] == "queued" and first["response_code"] == 503  # tool did not block
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.attempts == 2
    attempts = list(DeliveryAttempt.objects.filter(delivery=delivery))
    assert [(a.ok, a.response_code) for a in attempts] == [(False, 503), (True, 200)]
    assert attempts[0].retry_in_s == 7  # Retry-After honoured
    ids = {r.headers["webhook-id"] for r in fake_http.requests}
    assert len(ids) == 1  # the same message id on every try
    assert fake_http.requests[0].body == fake_http.requests[1].body


def test_410_stops_retrying_and_disables_the_channel(
    call, hook, fake_http, django_capture_on_commit_callbacks
):
    fake_http.answer("/hook", status=410)
    with django_capture_on_commit_callbacks(execute=True):
        out = call(
            "send_notification", {"recipients": ["ops-hook"], "message": "hi", "channel": "webhook"}
        )
    assert out.result["deliveries"][0]["status"] == "failed"
    assert len(fake_http.requests) == 1
    assert DeliveryAttempt.objects.count() == 1
    hook.refresh_from_db()
    assert not hook.enabled and "410" in hook.disabled_reason


def test_retries_stop_after_the_maximum(
    call, hook, fake_http, settings, django_capture_on_commit_callbacks
):
    settings.OWM_NOTIFY_MAX_ATTEMPTS = 3
    fake_http.answer("/hook", status=500)
    with django_capture_on_commit_callbacks(execute=True):
        call(
            "send_notification", {"recipients": ["ops-hook"], "message": "hi", "channel": "webhook"}
        )
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 3
    assert len(fake_http.requests) == 3


def test_a_4xx_other_than_408_or_429_fails_at_once(call, hook, fake_http):
    fake_http.answer("/hook", status=400)
    out = call(
        "send_notification", {"recipients": ["ops-hook"], "message": "x", "channel": "webhook"}
    )
    assert out.result["deliveries"][0]["status"] == "failed"


def test_backoff_grows_with_jitter_and_is_capped(settings):
    settings.OWM_NOTIFY_RETRY_BASE_S = 10
    settings.OWM_NOTIFY_RETRY_MAX_S = 100
    for attempt, exp in [(1, 10), (2, 20), (3, 40)]:
        delays = {services.retry_delay(attempt) for _ in range(20)}
        assert all(exp / 2 <= d <= exp for d in delays) and len(delays) > 1
    assert services.retry_delay(10) <= 100
    assert services.retry_delay(1, retry_after_s=3600) == 100


def test_email_carries_the_report_as_an_attachment(call, report):
    out = call(
        "send_notification",
        {
            "recipients": ["boss@example.com"],
            "message": "Weekly report",
            "attachments": [report.report_id],
        },
    )
    assert out.ok, out.result
    assert out.result["channel"] == "email" and out.result["deliveries"][0]["status"] == "sent"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["boss@example.com"] and "Weekly report" in sent.body
    name, content, mimetype = sent.attachments[0]
    assert name == f"{report.report_id}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")


def test_each_email_recipient_gets_a_delivery(call):
    out = call(
        "send_notification", {"recipients": ["a@example.com", "b@example.com"], "message": "hi"}
    )
    assert [d["status"] for d in out.result["deliveries"]] == ["sent", "sent"]
    assert len(mail.outbox) == 2


def test_invalid_recipients_are_all_named(call):
    out = call("send_notification", {"recipients": ["not-an-email", "x@"], "message": "hi"})
    error = out.result["error"]
    assert error["kind"] == "invalid_recipients"
    assert "not-an-email" in error["message"] and "'x@'" in error["message"]
    assert not Delivery.objects.exists() and not mail.outbox


def test_model_supplied_urls_must_be_public_https(call):
    for url, channel in [
        ("http://example.com/hook", "webhook"),
        ("https://127.0.0.1/hook", "webhook"),
        ("https://localhost/hook", "webhook"),
        ("https://example.com/services/x", "slack"),
    ]:
        out = call("send_notification", {"recipients": [url], "message": "hi", "channel": channel})
        assert out.result["error"]["kind"] == "invalid_recipients", url


def test_channel_kind_must_match(call, hook):
    out = call(
        "send_notification", {"recipients": ["ops-hook"], "message": "hi", "channel": "slack"}
    )
    assert "use channel=webhook" in out.result["error"]["message"]


def test_slack_channel_posts_text_with_report_links(call, fake_http, report):
    NotificationChannel.objects.create(name="team", kind="slack", target=fake_http.url("/slack"))
    fake_http.answer("/slack", body="ok")
    out = call(
        "send_notification",
        {
            "recipients": ["team"],
            "message": "Report is in",
            "channel": "slack",
            "attachments": [report.report_id],
        },
    )
    assert out.result["deliveries"][0]["status"] == "sent"
    text = json.loads(fake_http.requests[0].body)["text"]
    assert text.startswith("Report is in") and report.report_id in text


def test_unknown_attachment_is_a_clear_error(call):
    out = call(
        "send_notification",
        {"recipients": ["a@example.com"], "message": "hi", "attachments": ["RPT-NOPE"]},
    )
    assert out.result["error"]["kind"] == "not_found"
    assert not mail.outbox


def test_viewer_may_not_send(call, people):
    out = call(
        "send_notification", {"recipients": ["a@example.com"], "message": "hi"}, actor=people.viewer
    )
    assert out.result["error"]["kind"] == "denied"


def test_deliveries_page_filters_and_shows_attempts(call, client, people, hook, fake_http):
    fake_http.answer("/hook", status=400)
    call(
        "send_notification",
        {"recipients": ["ops-hook"], "message": "webhook one", "channel": "webhook"},
    )
    call("send_notification", {"recipients": ["a@example.com"], "message": "email one"})
    client.force_login(people.operator)
    page = client.get("/notifications/?channel=webhook").content.decode()
    assert "webhook one" in page and "email one" not in page and "HTTP 400" in page
    assert "email one" in client.get("/notifications/?status=sent").content.decode()
    client.force_login(people.other_operator)
    assert "webhook one" not in client.get("/notifications/").content.decode()


def test_only_admins_manage_channels(client, people):
    client.force_login(people.operator)
    assert client.get("/notifications/channels/").status_code == 403
    client.force_login(people.admin)
    response = client.post(
        "/notifications/channels/",
        {
            "name": "alerts",
            "kind": "webhook",
            "target": "https://hooks.example.com/x",
            "description": "",
        },
    )
    assert response.status_code == 302
    channel = NotificationChannel.objects.get(name="alerts")
    assert channel.secret.startswith("whsec_")
    assert "alerts" in client.get("/notifications/channels/").content.decode()


def test_api_lists_notifications_with_attempts(call, client, people):
    call("send_notification", {"recipients": ["a@example.com"], "message": "hi"})
    client.force_login(people.operator)
    data = client.get("/api/notifications/").json()
    delivery = data["results"][0]["deliveries"][0]
    assert delivery["status"] == "sent" and delivery["attempt_log"][0]["ok"] is True
