"""send_notification: email, Slack, Teams or a signed webhook, with reports attached."""

from __future__ import annotations

from typing import Any

from apps.notifications import services
from apps.notifications.models import Delivery, Notification
from apps.tools.registry import Risk, ToolContext, tool


def _delivery_row(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivery_id": delivery.pk,
        "recipient": delivery.recipient,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_code": delivery.response_code,
        "error": delivery.error or None,
        "next_attempt_at": delivery.next_attempt_at.isoformat()
        if delivery.next_attempt_at
        else None,
    }


def _summary(notification: Notification, rows: list[dict[str, Any]]) -> str:
    counts = {status: sum(r["status"] == status for r in rows) for status in Delivery.Status}
    text = (
        f"Notification {notification.notification_id} by {notification.channel} to "
        f"{len(rows)} recipient{'s' * (len(rows) != 1)}: {counts['sent']} sent, "
        f"{counts['queued']} queued for retry, {counts['failed']} failed."
    )
    if notification.attachments:
        text += f" Attached: {', '.join(notification.attachments)}."
    failed = [f"{r['recipient']} ({r['error']})" for r in rows if r["status"] != "sent"]
    if failed:
        text += " Not delivered yet: " + "; ".join(failed[:3]) + "."
    return text


@tool(
    name="send_notification",
    description=(
        "Send a message to people or systems outside OWM. channel email (default): recipients "
        "are email addresses; slack / teams: incoming-webhook URLs or names of configured "
        "channels; webhook: a signed (Standard Webhooks) JSON POST to a configured channel name "
        "or an https URL. attachments are report_ids (RPT-...) from generate_report: files on "
        "email, download links otherwise. Failed deliveries are retried in the background."
    ),
    parameters={
        "type": "object",
        "properties": {
            "recipients": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {"type": "string", "minLength": 1, "maxLength": 500},
            },
            "message": {"type": "string", "minLength": 1, "maxLength": 20000},
            "channel": {
                "type": "string",
                "enum": ["email", "slack", "teams", "webhook"],
                "default": "email",
            },
            "attachments": {
                "type": "array",
                "maxItems": 10,
                "items": {"type": "string", "minLength": 1},
                "description": "report_ids from generate_report",
            },
        },
        "required": ["recipients", "message"],
        "additionalProperties": False,
    },
    risk=Risk.HIGH,
    side_effects=True,
    category="notifications",
    atomic=False,
)
def send_notification(
    ctx: ToolContext,
    *,
    recipients: list[str],
    message: str,
    channel: str = "email",
    attachments: list[str] | None = None,
) -> dict[str, Any]:
    notification = services.notification_send(
        recipients=recipients,
        message=message,
        channel=channel,
        attachments=attachments or [],
        actor=ctx.actor,
    )
    rows = [_delivery_row(d) for d in notification.deliveries.order_by("pk")]
    return {
        "summary": _summary(notification, rows),
        "notification_id": notification.notification_id,
        "channel": notification.channel,
        "attachments": notification.attachments,
        "deliveries": rows,
    }
