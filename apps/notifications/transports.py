"""One attempt to deliver on one channel. Each function returns an Outcome and
never raises for a network or server failure: the service decides on retries."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import smtplib
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from apps.notifications import signing

RETRYABLE_CODES = {408, 409, 425, 429}


@dataclass(frozen=True)
class Outcome:
    ok: bool
    response_code: int | None = None
    error: str = ""
    retryable: bool = False
    retry_after_s: float | None = None
    gone: bool = False  # 410: the endpoint asks us to stop for good
    duration_ms: float = 0.0


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as delta-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - timezone.now()).total_seconds())


def _http_outcome(response: httpx.Response, started: float) -> Outcome:
    code = response.status_code
    took = (time.perf_counter() - started) * 1000
    if 200 <= code < 300:
        return Outcome(True, code, duration_ms=took)
    snippet = response.text[:300] if response.content else ""
    error = f"HTTP {code}" + (f": {snippet}" if snippet else "")
    if code == 410:
        return Outcome(False, code, error, gone=True, duration_ms=took)
    retryable = code >= 500 or code in RETRYABLE_CODES
    return Outcome(
        False,
        code,
        error,
        retryable=retryable,
        retry_after_s=retry_after_seconds(response.headers.get("retry-after")),
        duration_ms=took,
    )


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    started = time.perf_counter()
    try:
        response = httpx.post(
            url,
            content=body,
            headers={"content-type": "application/json", **headers},
            timeout=timeout,
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        took = (time.perf_counter() - started) * 1000
        return Outcome(False, None, f"timed out after {timeout:g}s", True, duration_ms=took)
    except httpx.HTTPError as exc:
        took = (time.perf_counter() - started) * 1000
        return Outcome(False, None, f"connection failed: {exc}", True, duration_ms=took)
    return _http_outcome(response, started)


def webhook_secret(channel_secret: str) -> str:
    if channel_secret:
        return channel_secret
    configured = getattr(settings, "OWM_NOTIFY_WEBHOOK_SECRET", "")
    if configured:
        return str(configured)
    import base64
    import hashlib
    import hmac

    derived = hmac.new(settings.SECRET_KEY.encode(), b"owm.notifications.webhook", hashlib.sha256)
    return signing.PREFIX + base64.b64encode(derived.digest()).decode()


def send_webhook(url: str, msg_id: str, body: bytes, secret: str, timeout: float) -> Outcome:
    headers = signing.headers(webhook_secret(secret), msg_id, body)
    headers["user-agent"] = "OWM-Notifications/1"
    return http_post(url, body, headers, timeout)


def chat_body(message: str, links: list[str]) -> bytes:
    text = message if not links else message + "\n\n" + "\n".join(links)
    return json.dumps({"text": text}).encode()


def send_email(
    to: str, subject: str, message: str, attachments: list[tuple[str, bytes, str]]
) -> Outcome:
    started = time.perf_counter()
    mail = EmailMessage(
        subject=subject,
        body=message,
        from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
        to=[to],
    )
    for name, content, mimetype in attachments:
        mail.attach(name, content, mimetype)
    try:
        sent = mail.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        took = (time.perf_counter() - started) * 1000
        permanent = isinstance(exc, smtplib.SMTPRecipientsRefused)
        return Outcome(False, None, f"{type(exc).__name__}: {exc}", not permanent, duration_ms=took)
    took = (time.perf_counter() - started) * 1000
    if not sent:
        return Outcome(False, None, "the mail backend sent nothing", True, duration_ms=took)
    return Outcome(True, None, duration_ms=took)


def attachment_tuple(report: Any) -> tuple[str, bytes, str]:
    with report.file.open("rb") as handle:
        content = handle.read()
    return report.filename, content, report.content_type.split(";")[0]
