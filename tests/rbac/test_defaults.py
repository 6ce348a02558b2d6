"""Default grants: created after migrate, once, never over an admin's edit."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from apps.rbac import demo
from apps.rbac.models import Grant, SeedRecord
from apps.rbac.services import grant_delete, grant_update, rbac_sync_defaults

pytestmark = pytest.mark.django_db


def test_defaults_allow_operators_low_risk_tools_and_gate_high_risk_ones(scenario):
    operator = Grant.objects.filter(role__name="operator")
    assert operator.get(tool_name="check_stock_levels").decision == "allow"
    assert operator.get(tool_name="create_purchase_order").decision == "approve"
    assert operator.get(agent__slug="inventory").decision == "allow"
    assert (
        Grant.objects.get(role__name="manager", tool_name="create_purchase_order").decision
        == "allow"
    )
    assert not Grant.objects.filter(role__name="viewer").exists()


def test_sync_is_idempotent_and_keeps_edits_and_deletions(scenario):
    operator = Group.objects.get(name="operator")
    edited = Grant.objects.get(role=operator, tool_name="predict_demand")
    grant_update(grant=edited, decision="deny", actor=scenario.admin)
    grant_delete(grant=Grant.objects.get(role=operator, tool_name="check_stock_levels"), actor=None)
    assert rbac_sync_defaults() == {"grants_created": 0}
    assert Grant.objects.get(pk=edited.pk).decision == "deny"
    assert not Grant.objects.filter(role=operator, tool_name="check_stock_levels").exists()


def test_sync_fills_in_a_default_never_applied(scenario):
    SeedRecord.objects.filter(key="operator:tool:check_stock_levels").delete()
    Grant.objects.filter(role__name="operator", tool_name="check_stock_levels").delete()
    assert rbac_sync_defaults() == {"grants_created": 1}
    assert Grant.objects.get(role__name="operator", tool_name="check_stock_levels").seeded


def test_demo_caps_untouched_operator_purchase_orders_and_is_idempotent(scenario):
    first = demo.seed()
    assert first["grants_capped"] == 1
    assert demo.seed() == {"grants_created": 0, "grants_capped": 0}
    grant = Grant.objects.get(role__name="operator", tool_name="create_purchase_order")
    assert grant.limits == demo.PO_LIMITS
