"""Sending notifications: validate recipients, record a Delivery per recipient,
make the first attempt inline with a short timeout, and leave further retries
(exponential backoff with jitter, Retry-After honoured, none after a 410) to a
Celery task scheduled on commit. Every attempt is a DeliveryAttempt row."""

from __future__ import annotations

import ipaddress
import json
import logging
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from apps.notifications import transports
from apps.notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    Notification,
    NotificationChannel,
)
from apps.tools.registry import ToolError

logger = logging.getLogger(__name__)

# Hosts a model-supplied (not admin-configured) URL may point at, per channel.
RAW_URL_HOSTS = {
    Channel.SLACK: ("hooks.slack.com",),
    Channel.TEAMS: (".webhook.office.com", ".logic.azure.com", ".powerplatform.com"),
}


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def max_attempts() -> int:
    return int(_setting("OWM_NOTIFY_MAX_ATTEMPTS", 5))


def retry_delay(attempt: int, retry_after_s: float | None = None) -> float:
    """Seconds before the next try: Retry-After when the server gave one, else
    exponential backoff (base * 2^(attempt-1)) with equal jitter; both capped."""
    cap = float(_setting("OWM_NOTIFY_RETRY_MAX_S", 3600))
    if retry_after_s is not None:
        return min(cap, max(0.0, retry_after_s))
    exp = float(_setting("OWM_NOTIFY_RETRY_BASE_S", 5)) * 2 ** (attempt - 1)
    return min(cap, exp / 2 + random.uniform(0, exp / 2))  # noqa: S311  jitter, not crypto


@dataclass(frozen=True)
class Target:
    recipient: str
    address: str
    named: NotificationChannel | None = None


def _public_https(url: str) -> str | None:
    """Why a model-supplied URL is refused, or None when it is acceptable."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        return "must be an https URL"
    if host == "localhost" or host.endswith((".localhost", ".internal", ".local")):
        return "points at a local host"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not ip.is_global:
        return "points at a private address"
    return None


def _raw_url(recipient: str, channel: str) -> Target:
    if not _setting("OWM_NOTIFY_ALLOW_RAW_URLS", True):
        raise ValueError("only configured channel names are accepted")
    problem = _public_https(recipient)
    if problem:
        raise ValueError(f"{problem}; ask an admin to configure it as a notification channel")
    host = (urlsplit(recipient).hostname or "").lower()
    allowed = RAW_URL_HOSTS.get(Channel(channel))
    if allowed and not any(host == h.lstrip(".") or host.endswith(h) for h in allowed):
        raise ValueError(f"is not a {channel} incoming-webhook URL ({', '.join(allowed)})")
    return Target(recipient, recipient)


def _resolve(recipient: str, channel: str) -> Target:
    named = NotificationChannel.objects.filter(name=recipient).first()
    if named is not None:
        if named.kind != channel:
            raise ValueError(f"is a {named.kind} channel; use channel={named.kind}")
        if not named.enabled:
            reason = f": {named.disabled_reason}" if named.disabled_reason else ""
            raise ValueError(f"is disabled{reason}")
        return Target(recipient, named.target, named)
    if channel == Channel.EMAIL:
        try:
            validate_email(recipient)
        except ValidationError:
            raise ValueError("is not an email address or a configured email channel") from None
        return Target(recipient, recipient)
    if recipient.lower().startswith(("http://", "https://")):
        return _raw_url(recipient, channel)
    raise ValueError(f"is neither a URL nor a configured {channel} channel")


def recipients_resolve(*, recipients: list[str], channel: str) -> list[Target]:
    """Every recipient as a Target; all problems reported at once as a ToolError."""
    targets, problems = [], []
    for raw in dict.fromkeys(r.strip() for r in recipients if r.strip()):
        try:
            targets.append(_resolve(raw, channel))
        except ValueError as exc:
            problems.append(f"{raw!r} {exc}")
    if problems or not targets:
        known = list(
            NotificationChannel.objects.filter(kind=channel, enabled=True).values_list(
                "name", flat=True
            )
        )
        raise ToolError(
            "invalid recipients: "
            + ("; ".join(problems) or "none given")
            + f". Configured {channel} channels: {', '.join(known) or 'none'}",
            kind="invalid_recipients",
            details={"problems": problems, "channels": known},
        )
    return targets


def _reports(report_ids: list[str], actor: Any) -> list[Any]:
    from apps.datatools.selectors import report_get_for

    found, missing = [], []
    for report_id in dict.fromkeys(report_ids):
        report = report_get_for(user=actor, report_id=report_id)
        (found if report is not None else missing).append(report or report_id)
    if missing:
        raise ToolError(
            f"unknown report ids: {', '.join(missing)}; attachments are report_ids from "
            "generate_report (RPT-...)",
            kind="not_found",
        )
    return found


def _public_url(path: str) -> str:
    return str(_setting("OWM_PUBLIC_URL", "")).rstrip("/") + path


def _body(notification: Notification, channel: str, reports: list[Any]) -> bytes:
    from django.urls import reverse

    links = [
        (r.report_id, _public_url(reverse("datatools:report_download", args=[r.report_id])))
        for r in reports
    ]
    if channel in {Channel.SLACK, Channel.TEAMS}:
        return transports.chat_body(
            notification.message, [f"Report {rid}: {url}" for rid, url in links]
        )
    if channel == Channel.WEBHOOK:
        payload = {
            "type": "notification.sent",
            "timestamp": notification.created_at.isoformat(),
            "data": {
                "notification_id": notification.notification_id,
                "message": notification.message,
                "attachments": [
                    {"report_id": r.report_id, "format": r.format, "size": r.size, "url": url}
                    for r, (_, url) in zip(reports, links, strict=True)
                ],
            },
        }
        return json.dumps(payload, separators=(",", ":")).encode()
    return notification.message.encode()


@transaction.atomic
def notification_create(
    *, recipients: list[str], message: str, channel: str, attachments: list[str], actor: Any
) -> Notification:
    targets = recipients_resolve(recipients=recipients, channel=channel)
    reports = _reports(attachments, actor)
    notification = Notification.objects.create(
        channel=channel,
        message=message,
        attachments=[r.report_id for r in reports],
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    body = _body(notification, channel, reports)
    Delivery.objects.bulk_create(
        Delivery(
            notification=notification,
            channel=channel,
            recipient=t.recipient[:500],
            target=t.address[:500],
            named_channel=t.named,
            body=body,
        )
        for t in targets
    )
    return notification


def _perform(delivery: Delivery, timeout: float) -> transports.Outcome:
    notification = delivery.notification
    if delivery.channel == Channel.EMAIL:
        reports = _attachment_reports(notification)
        subject = _setting("OWM_NOTIFY_EMAIL_SUBJECT", "OWM notification")
        files = [transports.attachment_tuple(r) for r in reports]
        lines = notification.message.strip().splitlines()
        first_line = lines[0][:80] if lines else ""
        return transports.send_email(
            delivery.target,
            f"{subject}: {first_line}" if first_line else subject,
            notification.message,
            files,
        )
    body = bytes(delivery.body)
    if delivery.channel == Channel.WEBHOOK:
        secret = delivery.named_channel.secret if delivery.named_channel else ""
        return transports.send_webhook(delivery.target, delivery.message_id, body, secret, timeout)
    return transports.http_post(delivery.target, body, {}, timeout)


def _attachment_reports(notification: Notification) -> list[Any]:
    from apps.datatools.models import Report

    by_id = {r.report_id: r for r in Report.objects.filter(report_id__in=notification.attachments)}
    return [by_id[rid] for rid in notification.attachments if rid in by_id]


def _record(delivery: Delivery, outcome: transports.Outcome) -> float | None:
    """Store the attempt and the delivery's new state; the retry delay, if any."""
    number = delivery.attempts + 1
    retry_in = None
    if not outcome.ok and outcome.retryable and number < max_attempts():
        retry_in = retry_delay(number, outcome.retry_after_s)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            ok=outcome.ok,
            response_code=outcome.response_code,
            error=outcome.error[:2000],
            duration_ms=round(outcome.duration_ms, 3),
            retry_in_s=retry_in,
        )
        delivery.attempts = number
        delivery.response_code = outcome.response_code
        delivery.error = outcome.error[:2000]
        if outcome.ok:
            delivery.status = Delivery.Status.SENT
        elif retry_in is None:
            delivery.status = Delivery.Status.FAILED
        delivery.next_attempt_at = (
            timezone.now() + timezone.timedelta(seconds=retry_in) if retry_in is not None else None
        )
        delivery.save(
            update_fields=[
                "attempts",
                "response_code",
                "error",
                "status",
                "next_attempt_at",
                "updated_at",
            ]
        )
        if outcome.gone and delivery.named_channel_id:
            NotificationChannel.objects.filter(pk=delivery.named_channel_id).update(
                enabled=False, disabled_reason="the endpoint answered 410 Gone"
            )
    return retry_in


def delivery_attempt(*, delivery_id: int, timeout: float | None = None) -> Delivery | None:
    """One try of a queued delivery; schedules the next one on commit when it may retry."""
    delivery = (
        Delivery.objects.select_related("notification", "named_channel")
        .filter(pk=delivery_id, status=Delivery.Status.QUEUED)
        .first()
    )
    if delivery is None:
        return None
    limit = timeout or float(_setting("OWM_NOTIFY_TIMEOUT_S", 10.0))
    try:
        outcome = _perform(delivery, limit)
    except Exception as exc:  # a broken attachment or backend must not lose the record
        logger.exception("delivery %s crashed", delivery_id)
        outcome = transports.Outcome(False, None, f"{type(exc).__name__}: {exc}")
    retry_in = _record(delivery, outcome)
    if retry_in is not None:
        _schedule(delivery.pk, retry_in)
    return delivery


def _schedule(delivery_id: int, countdown: float) -> None:
    from apps.notifications.tasks import delivery_retry

    transaction.on_commit(
        lambda: delivery_retry.apply_async(args=[delivery_id], countdown=countdown)
    )


def notification_send(
    *, recipients: list[str], message: str, channel: str, attachments: list[str], actor: Any
) -> Notification:
    """Create the notification and make each delivery's first attempt inline."""
    notification = notification_create(
        recipients=recipients,
        message=message,
        channel=channel,
        attachments=attachments,
        actor=actor,
    )
    inline = float(_setting("OWM_NOTIFY_INLINE_TIMEOUT_S", 5.0))
    for delivery_id in notification.deliveries.values_list("pk", flat=True):
        delivery_attempt(delivery_id=delivery_id, timeout=inline)
    return notification


def notification_channel_create(
    *, name: str, kind: str, target: str, description: str = "", secret: str = ""
) -> NotificationChannel:
    """An admin-configured channel; webhook channels get a fresh whsec_ secret."""
    from apps.notifications.signing import secret_generate

    if kind == Channel.EMAIL:
        validate_email(target)
    elif urlsplit(target).scheme not in {"http", "https"}:
        raise ValidationError("the target of a webhook channel is an http(s) URL")
    if kind == Channel.WEBHOOK and not secret:
        secret = secret_generate()
    return NotificationChannel.objects.create(
        name=name, kind=kind, target=target, description=description, secret=secret
    )
