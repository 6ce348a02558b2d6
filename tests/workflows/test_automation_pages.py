"""Automations and schedules in the dashboard (staff only)."""

from __future__ import annotations

import pytest

from apps.agents.models import Run
from apps.workflows.models import Automation, Schedule
from apps.workflows.triggers import service_account_ensure

pytestmark = pytest.mark.django_db


def test_only_staff_manage_automations(scenario, client):
    client.force_login(scenario.operator)
    assert client.get("/workflows/automations/").status_code == 403
    client.force_login(scenario.admin)
    assert client.get("/workflows/automations/").status_code == 200


def test_staff_create_an_automation_add_a_schedule_and_fire_it(scenario, client):
    bot = service_account_ensure("svc-test")
    client.force_login(scenario.admin)
    response = client.post(
        "/workflows/automations/",
        {
            "slug": "nightly-stock",
            "name": "Nightly stock check",
            "trigger_kind": "schedule",
            "target_kind": "agent_run",
            "agent_slug": "inventory",
            "prompt_template": "check stock levels for SKU-1001",
            "run_as": bot.pk,
        },
    )
    assert response.status_code == 302
    automation = Automation.objects.get(slug="nightly-stock")

    bad = client.post(
        "/workflows/automations/nightly-stock/schedules",
        {"name": "x", "cron": "every day"},
        follow=True,
    )
    assert b"five fields" in bad.content
    client.post(
        "/workflows/automations/nightly-stock/schedules", {"name": "6am", "cron": "0 6 * * *"}
    )
    schedule = Schedule.objects.get(automation=automation)
    assert schedule.enabled and schedule.next_run_at is not None

    client.post(f"/workflows/schedules/{schedule.pk}/toggle")
    schedule.refresh_from_db()
    assert not schedule.enabled

    fired = client.post("/workflows/automations/nightly-stock/fire")
    run = Run.objects.get(user=bot)
    assert fired.status_code == 302 and str(run.pk) in fired["Location"]
    assert "untrusted" in run.input.lower() or "SKU-1001" in run.input
