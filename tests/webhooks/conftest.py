"""Webhook tests: a service account, an automation that starts an inventory
agent run, a signed endpoint, and a client that signs like a sender."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from apps.notifications.signing import headers as signed_headers
from apps.webhooks.services import endpoint_create
from apps.workflows.triggers import automation_create, service_account_ensure


@pytest.fixture(autouse=True)
def _hooks_urls(settings):  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = "tests.webhooks.urls"


@pytest.fixture(autouse=True)
def _no_agent_execution(monkeypatch):  # type: ignore[no-untyped-def]
    """Agent runs are created (that is what we count) but not executed here."""
    monkeypatch.setattr("apps.agents.services._enqueue", lambda run_id: None)


@pytest.fixture
def svc(db):  # type: ignore[no-untyped-def]
    from apps.accounts.roles import roles_ensure

    roles_ensure()
    return service_account_ensure("svc-automation")


@pytest.fixture
def automation(svc):  # type: ignore[no-untyped-def]
    return automation_create(
        slug="orders",
        name="Orders",
        trigger_kind="webhook",
        target_kind="agent_run",
        agent_slug="inventory",
        run_as=svc,
        prompt_template="Order {order_id} arrived; check stock for {sku}.",
    )


@pytest.fixture
def hook(automation):  # type: ignore[no-untyped-def]
    endpoint, secret = endpoint_create(slug="demo-orders", name="Orders", automation=automation)
    return endpoint, secret


@pytest.fixture
def send(client, hook):  # type: ignore[no-untyped-def]
    counter = {"n": 0}

    def post(
        payload: Any = None,
        *,
        secret: str | None = None,
        msg_id: str | None = None,
        timestamp: int | None = None,
        body: bytes | None = None,
        tamper: bytes | None = None,
        content_type: str = "application/json",
        slug: str = "demo-orders",
        **extra: Any,
    ):
        counter["n"] += 1
        raw = (
            body
            if body is not None
            else json.dumps(payload or {"order_id": "O-1", "sku": "SKU-1001"}).encode()
        )
        msg = msg_id or f"msg_{counter['n']}"
        stamp = int(time.time()) if timestamp is None else timestamp
        sent_headers = signed_headers(secret or hook[1], msg, raw, timestamp=stamp)
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in sent_headers.items()}
        return client.post(
            f"/hooks/{slug}/",
            data=tamper if tamper is not None else raw,
            content_type=content_type,
            **meta,
            **extra,
        )

    return post
