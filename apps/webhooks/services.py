"""Inbound webhooks: endpoints with rotatable secrets, and deliveries that are
verified (Standard Webhooks), deduplicated by webhook-id, stored and queued
in one transaction, then processed exactly once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.notifications.signing import TOLERANCE_S, secret_generate, verify
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from apps.workflows.models import Automation

logger = logging.getLogger(__name__)

ROTATION_GRACE = dt.timedelta(hours=24)
REJECTED_BODY_CHARS = 4096
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key", "x-csrftoken"}
LOST_AFTER = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class HookResponse:
    status: int
    body: dict[str, Any]


def error(status: int, code: str, message: str) -> HookResponse:
    return HookResponse(status, {"error": {"code": code, "message": message}})


# --- endpoints -----------------------------------------------------------------------


def endpoint_create(
    *,
    slug: str,
    name: str,
    automation: Automation,
    created_by: AbstractBaseUser | None = None,
    max_body_bytes: int = 256 * 1024,
    rate_limit_per_minute: int = 120,
) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its secret, in clear, for showing once."""
    from apps.workflows.triggers import AutomationError

    if automation.run_as is None:
        raise AutomationError("a webhook's automation needs run_as (a service account)")
    secret = secret_generate()
    endpoint = WebhookEndpoint(
        slug=slug,
        name=name,
        automation=automation,
        max_body_bytes=max_body_bytes,
        rate_limit_per_minute=rate_limit_per_minute,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )
    endpoint.set_secret(secret)
    endpoint.save()
    return endpoint, secret


def endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, grace: dt.timedelta = ROTATION_GRACE
) -> str:
    """A new secret; the old one stays valid for `grace` so senders can switch."""
    secret = secret_generate()
    now = timezone.now()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + grace
    endpoint.set_secret(secret)
    endpoint.rotated_at = now
    endpoint.save(
        update_fields=[
            "secret_encrypted",
            "previous_secret_encrypted",
            "previous_secret_expires_at",
            "rotated_at",
        ]
    )
    return secret


# --- receiving -----------------------------------------------------------------------


def rate_limited(endpoint: WebhookEndpoint, *, now: float | None = None) -> bool:
    """A fixed one-minute window per endpoint, counted in the cache."""
    window = int((time.time() if now is None else now) // 60)
    key = f"owm:webhook-rate:{endpoint.pk}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count > endpoint.rate_limit_per_minute


def _clean_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v[:1000] for k, v in headers.items() if k.lower() not in SECRET_HEADERS}


def delivery_receive(
    *,
    endpoint: WebhookEndpoint,
    body: bytes,
    headers: Mapping[str, str],
    now: int | None = None,
) -> HookResponse:
    """Verify, deduplicate, store and queue one delivery. The body is parsed
    only after its signature is checked over the raw bytes."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signature = (
        lower.get(h, "") for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    if not (msg_id and stamp and signature):
        return error(
            400,
            "missing_headers",
            "webhook-id, webhook-timestamp and webhook-signature are required",
        )
    if len(msg_id) > 200:
        return error(400, "bad_webhook_id", "webhook-id is longer than 200 characters")
    current = int(time.time()) if now is None else now
    try:
        ts = int(stamp)
    except ValueError:
        return error(400, "bad_timestamp", "webhook-timestamp must be Unix seconds")
    if abs(current - ts) > TOLERANCE_S:
        return _reject(
            endpoint,
            msg_id,
            headers,
            body,
            error(409, "stale_timestamp", "stale timestamp: more than 5 minutes from now"),
        )
    if not any(
        verify(secret, msg_id, ts, body, signature, now=ts) for secret in endpoint.secrets_valid()
    ):
        return _reject(
            endpoint,
            msg_id,
            headers,
            body,
            error(401, "bad_signature", "the signature does not match the body"),
        )
    earlier = _original(endpoint, msg_id)
    if earlier is not None:
        return earlier
    try:
        payload_text = body.decode("utf-8")
        json.loads(payload_text)
    except (UnicodeDecodeError, ValueError):
        return error(400, "invalid_json", "the body is not valid UTF-8 JSON")
    return _accept(endpoint, msg_id, headers, payload_text)


def _original(endpoint: WebhookEndpoint, msg_id: str) -> HookResponse | None:
    found = WebhookDelivery.objects.filter(
        endpoint=endpoint, webhook_id=msg_id, verified=True
    ).first()
    return HookResponse(found.response_code, found.response_body) if found else None


def _accept(
    endpoint: WebhookEndpoint, msg_id: str, headers: Mapping[str, str], text: str
) -> HookResponse:
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint,
                webhook_id=msg_id,
                headers=_clean_headers(headers),
                body=text,
                verified=True,
                status=WebhookDelivery.Status.ACCEPTED,
                response_code=202,
            )
            delivery.response_body = {"delivery_id": delivery.pk, "status": "accepted"}
            delivery.save(update_fields=["response_body"])
            _audit_received(endpoint, msg_id, verified=True, status=202, delivery_id=delivery.pk)
            _enqueue(delivery.pk)
    except IntegrityError:  # the same id arrived concurrently: answer as the first did
        earlier = _original(endpoint, msg_id)
        if earlier is None:
            raise
        return earlier
    return HookResponse(202, delivery.response_body)


def _reject(
    endpoint: WebhookEndpoint,
    msg_id: str,
    headers: Mapping[str, str],
    body: bytes,
    response: HookResponse,
) -> HookResponse:
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        webhook_id=msg_id,
        headers=_clean_headers(headers),
        body=body[:REJECTED_BODY_CHARS].decode("utf-8", errors="replace"),
        verified=False,
        status=WebhookDelivery.Status.REJECTED,
        response_code=response.status,
        response_body=response.body,
        error=response.body["error"]["message"],
        processed_at=timezone.now(),
    )
    _audit_received(endpoint, msg_id, verified=False, status=response.status, delivery_id=None)
    return response


def _audit_received(
    endpoint: WebhookEndpoint, msg_id: str, *, verified: bool, status: int, delivery_id: int | None
) -> None:
    from apps.audit.services import audit_record

    audit_record(
        event="webhook.received",
        on_behalf_of=f"webhook:{endpoint.slug}",
        decision="allowed" if verified else "denied",
        status=str(status),
        detail={"endpoint": endpoint.slug, "webhook_id": msg_id, "delivery_id": delivery_id},
    )


def _enqueue(delivery_id: int) -> None:
    from apps.webhooks.tasks import delivery_process_task

    transaction.on_commit(lambda: delivery_process_task.delay(delivery_id))


# --- processing ----------------------------------------------------------------------


def delivery_process(*, delivery_id: int) -> WebhookDelivery:
    """Fire the endpoint's automation for one accepted delivery. The status
    change and the started run commit together, so a crash leaves the
    delivery accepted (picked up again) and a second run never starts."""
    from apps.workflows.triggers import AutomationBusy, automation_fire

    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint__automation")
            .get(pk=delivery_id)
        )
        if delivery.status != WebhookDelivery.Status.ACCEPTED:
            return delivery
        try:
            with transaction.atomic():
                delivery.targets = automation_fire(
                    automation=delivery.endpoint.automation,
                    payload=json.loads(delivery.body),
                    trigger="webhook",
                )
            delivery.status = WebhookDelivery.Status.PROCESSED
            delivery.error = ""
        except AutomationBusy as exc:  # stays accepted: the sweeper tries again
            delivery.error = f"deferred: {exc}"
            delivery.save(update_fields=["error"])
            return delivery
        except Exception as exc:
            logger.warning(
                "webhook delivery %s failed to start its automation", delivery.pk, exc_info=True
            )
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.error = f"{type(exc).__name__}: {exc}"
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["targets", "status", "error", "processed_at"])
    return delivery


def delivery_replay(*, delivery: WebhookDelivery, user: AbstractBaseUser) -> WebhookDelivery:
    """Process a stored, verified delivery again, as a new delivery marked as a replay."""
    if not delivery.verified:
        raise ValueError("only verified deliveries can be replayed")
    with transaction.atomic():
        count = WebhookDelivery.objects.filter(replay_of=delivery).count()
        replay = WebhookDelivery.objects.create(
            endpoint=delivery.endpoint,
            webhook_id=f"{delivery.webhook_id}:replay-{count + 1}",
            headers=delivery.headers,
            body=delivery.body,
            verified=True,
            status=WebhookDelivery.Status.ACCEPTED,
            response_code=202,
            replay_of=delivery,
            replayed_by=user,
        )
        replay.response_body = {
            "delivery_id": replay.pk,
            "status": "accepted",
            "replay_of": delivery.pk,
        }
        replay.save(update_fields=["response_body"])
        _enqueue(replay.pk)
    logger.info("webhook delivery %s replayed by %s as %s", delivery.pk, user, replay.pk)
    return replay


def deliveries_due(*, now: dt.datetime | None = None) -> int:
    """Process accepted deliveries whose task was lost or whose target was
    busy (beat, every minute)."""
    cutoff = (timezone.now() if now is None else now) - LOST_AFTER
    ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.ACCEPTED, received_at__lt=cutoff
        ).values_list("pk", flat=True)[:200]
    )
    for delivery_id in ids:
        delivery_process(delivery_id=delivery_id)
    return len(ids)
