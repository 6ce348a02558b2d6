"""Demo data: the "demo-orders" endpoint, which starts an inventory agent run
as svc-automation. Its secret is printed in this summary once and stored
nowhere else in clear; rotate it on /webhooks/ to see a new one."""

from __future__ import annotations

from typing import Any

from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.services import endpoint_create
from apps.workflows.models import Automation
from apps.workflows.triggers import automation_create, service_account_ensure

PROMPT = (
    "A new order arrived from the shop (order {order_id}). Check stock for {sku} at all "
    "locations and say whether it can be shipped; do not create purchase orders."
)


def seed() -> dict[str, Any]:
    if WebhookEndpoint.objects.filter(slug="demo-orders").exists():
        return {"endpoint": "/hooks/demo-orders/", "created": False}
    svc = service_account_ensure("svc-automation")
    automation = Automation.objects.filter(slug="demo-orders").first() or automation_create(
        slug="demo-orders",
        name="Shop orders to the inventory agent",
        trigger_kind="webhook",
        target_kind="agent_run",
        agent_slug="inventory",
        prompt_template=PROMPT,
        run_as=svc,
    )
    endpoint, secret = endpoint_create(
        slug="demo-orders", name="Shop orders", automation=automation
    )
    return {"endpoint": f"/hooks/{endpoint.slug}/", "created": True, "secret (shown once)": secret}
