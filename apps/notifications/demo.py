"""Demo data for notifications: one webhook channel (disabled: it points at a
local receiver that may not be running) and one email channel."""

from __future__ import annotations

from typing import Any

from apps.notifications import services
from apps.notifications.models import NotificationChannel

DEMO_CHANNELS = [
    ("ops-email", "email", "ops@example.com", "Operations team mailbox", True),
    (
        "local-webhook",
        "webhook",
        "http://127.0.0.1:9000/owm-hook",
        "A local receiver for trying signed webhooks",
        False,
    ),
]


def seed() -> dict[str, Any]:
    created = []
    for name, kind, target, description, enabled in DEMO_CHANNELS:
        if NotificationChannel.objects.filter(name=name).exists():
            continue
        channel = services.notification_channel_create(
            name=name, kind=kind, target=target, description=description
        )
        if not enabled:
            NotificationChannel.objects.filter(pk=channel.pk).update(
                enabled=False, disabled_reason="demo: start a receiver, then enable it"
            )
        created.append(name)
    return {"channels": NotificationChannel.objects.count(), "created": created}
