"""Celery entry points: they take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from apps.rules import services


@shared_task(name="apps.rules.tasks.rules_evaluate_due")
def rules_evaluate_due() -> int:
    """The scheduled pass (beat, every 60 s): every enabled rule; returns firings."""
    return len(services.rules_evaluate_all())


@shared_task(name="apps.rules.tasks.rules_evaluate_product")
def rules_evaluate_product(product_id: int) -> int:
    """After a stock movement: the per-product rules for that product."""
    from apps.inventory.models import Product

    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        return 0
    return len(services.rules_evaluate_stock(product=product, trigger="event"))
