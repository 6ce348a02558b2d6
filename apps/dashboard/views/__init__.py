"""The dashboard's pages, one module per area; urls.py reads them from here."""

from apps.dashboard.views.admin_center import admin_center, user_toggle_active
from apps.dashboard.views.agents import (
    agent_console,
    agent_list,
    approval_decide_view,
    approvals_inbox,
    run_detail,
    run_list,
)
from apps.dashboard.views.catalogue import tool_detail, tool_list
from apps.dashboard.views.endpoints import endpoint_check_view, endpoint_list
from apps.dashboard.views.insights import insights, metrics
from apps.dashboard.views.inventory import (
    inventory,
    purchase_order_action,
    purchase_order_detail,
)
from apps.dashboard.views.overview import overview

__all__ = [
    "admin_center",
    "agent_console",
    "agent_list",
    "approval_decide_view",
    "approvals_inbox",
    "endpoint_check_view",
    "endpoint_list",
    "insights",
    "inventory",
    "metrics",
    "overview",
    "purchase_order_action",
    "purchase_order_detail",
    "run_detail",
    "run_list",
    "tool_detail",
    "tool_list",
    "user_toggle_active",
]
