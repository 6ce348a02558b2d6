"""A stock movement saved: evaluate the product's stock rules once it commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def stock_movement_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    from apps.rules.tasks import rules_evaluate_product

    product_id = instance.product_id
    transaction.on_commit(lambda: rules_evaluate_product.delay(product_id))
