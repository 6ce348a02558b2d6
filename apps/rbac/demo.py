"""Demo grants: the defaults, plus a spending cap on operators' purchase orders."""

from __future__ import annotations

from apps.rbac.models import Grant
from apps.rbac.services import rbac_sync_defaults

PO_LIMITS = [
    {
        "kind": "max",
        "path": "items[].quantity*items[].unit_price",
        "value": 5000,
        "inclusive": False,
    },
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
