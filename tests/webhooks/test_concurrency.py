"""Real concurrent senders on PostgreSQL: the same webhook-id raced from many
threads is stored and started once; distinct ids are all kept."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from apps.agents.models import Agent, Run
from apps.notifications.signing import headers
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import deliveries_due, endpoint_create
from apps.workflows.triggers import automation_create, service_account_ensure

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


@pytest.fixture
def secret(settings):  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot take concurrent writers")
    settings.OWM_USER_CONCURRENT_RUNS = settings.OWM_USER_RUNS_PER_MINUTE = 1000
    Agent.objects.get_or_create(
        slug="inventory", defaults={"name": "Inventory", "system_prompt": "Help."}
    )
    svc = service_account_ensure("svc-automation")
    automation = automation_create(
        slug="o",
        name="O",
        trigger_kind="webhook",
        target_kind="agent_run",
        agent_slug="inventory",
        run_as=svc,
    )
    return endpoint_create(
        slug="race", name="Race", automation=automation, rate_limit_per_minute=10_000
    )[1]


def _post(secret: str, msg_id: str, codes: list[int]) -> None:
    body = json.dumps({"order_id": msg_id}).encode()
    meta = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers(secret, msg_id, body).items()
    }
    try:
        codes.append(
            Client().post("/hooks/race/", body, content_type="application/json", **meta).status_code
        )
    finally:
        connection.close()


def _race(secret: str, ids: list[str]) -> list[int]:
    codes: list[int] = []
    threads = [threading.Thread(target=_post, args=(secret, i, codes)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def test_one_id_raced_from_many_threads_is_stored_and_started_once(secret, monkeypatch):
    monkeypatch.setattr("apps.agents.services._enqueue", lambda run_id: None)
    codes = _race(secret, ["same"] * THREADS)
    assert codes == [202] * THREADS
    assert WebhookDelivery.objects.filter(verified=True).count() == 1
    assert Run.objects.count() == 1


def test_fifty_distinct_ids_in_a_burst_are_all_kept_once(secret, monkeypatch):
    monkeypatch.setattr("apps.agents.services._enqueue", lambda run_id: None)
    ids = [f"m{i}" for i in range(50)]
    codes = _race(secret, ids) + _race(secret, ids[:10])
    assert codes.count(202) == 60
    deliveries_due()  # nothing left accepted
    assert WebhookDelivery.objects.filter(verified=True).count() == 50
    assert WebhookDelivery.objects.filter(status="processed").count() == 50
    assert Run.objects.count() == 50
