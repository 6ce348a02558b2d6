"""`slow_purchase_order`: the real create_purchase_order with a pause before
and after its write, and no surrounding transaction, so the order commits in
the middle of the call. A kill lands before the order exists or after it
exists but before the call is recorded as finished: the resumed run must
create it exactly once either way."""

from __future__ import annotations

import time
from typing import Any

from apps.inventory.tools import create_purchase_order
from apps.tools.registry import Risk, ToolContext, registry, tool

PAUSE_S = 0.5


@tool(
    name="slow_purchase_order",
    description="create_purchase_order, slowly (bench only).",
    parameters=registry.get("create_purchase_order").parameters,  # type: ignore[union-attr]
    risk=Risk.HIGH,
    side_effects=True,
    category="bench",
    atomic=False,
)
def slow_purchase_order(
    ctx: ToolContext, *, supplier_id: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    time.sleep(PAUSE_S)
    result = create_purchase_order(ctx, supplier_id=supplier_id, items=items)
    time.sleep(PAUSE_S)
    return result
