"""Demo grants: the defaults, plus caps on operators' purchase orders.

The caps are on quantities, not on the order total: the model usually leaves
unit_price out (the tool prices from the supplier's list), and a total limit
cannot be proven without prices, so it would deny (fail closed) every such
order. docs/rbac.md shows the total cap for teams whose agents send prices."""

from __future__ import annotations

from apps.rbac.models import Grant
from apps.rbac.services import rbac_sync_defaults

PO_LIMITS = [
    {"kind": "max", "path": "items[].quantity", "value": 500},
    {"kind": "max_items", "path": "items", "value": 20},
]


def seed() -> dict[str, int]:
    created = rbac_sync_defaults()["grants_created"]
    # Only a still-untouched default gets the demo limits, so re-seeding never
    # undoes an admin's edit.
    capped = Grant.objects.filter(
        role__name="operator", tool_name="create_purchase_order", seeded=True, limits=[]
    ).update(limits=PO_LIMITS)
    return {"grants_created": created, "grants_capped": capped}
