"""A test policy: the default rules, plus an approval gate on purchase orders."""

from __future__ import annotations

from typing import Any

from apps.tools.policy import Decision, default_policy


def approve_purchase_orders(*, actor: Any, spec: Any, arguments: dict[str, Any]) -> Decision:
    decision = default_policy(actor=actor, spec=spec, arguments=arguments)
    if decision.allowed and spec.name == "create_purchase_order":
        return Decision(True, "purchase orders need approval", requires_approval=True)
    return decision
