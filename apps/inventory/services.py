"""Writes for the inventory domain: purchase orders and the stock they move."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.inventory.models import (
    Location,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    Supplier,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

CENT = Decimal("0.01")

# Which status each transition may start from.
_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PurchaseOrder.Status.SUBMITTED: (PurchaseOrder.Status.DRAFT,),
    PurchaseOrder.Status.RECEIVED: (PurchaseOrder.Status.SUBMITTED,),
    PurchaseOrder.Status.CANCELLED: (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.SUBMITTED),
}


class PurchaseOrderStateError(ValueError):
    """A status change the purchase order's current status does not allow."""


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: int
    unit_price: Decimal


NUMBER_ATTEMPTS = 5  # order numbers are max+1: concurrent creators may collide


def _next_number() -> str:
    prefix = f"PO-{timezone.now().year}-"
    last = (
        PurchaseOrder.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def purchase_order_create(
    *,
    supplier: Supplier,
    lines: list[LineInput],
    actor: AbstractBaseUser | None = None,
    currency: str = "USD",
    idempotency_key: str | None = None,
    notes: str = "",
) -> tuple[PurchaseOrder, bool]:
    """Create a draft purchase order with its lines. Returns (order, created).

    With an `idempotency_key` already used, returns that order and creates nothing."""
    if not lines:
        raise ValueError("a purchase order needs at least one line")
    if idempotency_key:
        existing = PurchaseOrder.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    totals = [(line, (line.unit_price * line.quantity).quantize(CENT)) for line in lines]
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():  # a savepoint: a racing duplicate rolls back only this
                order = PurchaseOrder.objects.create(
                    number=_next_number(),
                    supplier=supplier,
                    currency=currency,
                    total=sum((total for _, total in totals), Decimal("0")),
                    idempotency_key=idempotency_key or None,
                    created_by=actor if actor is not None and actor.is_authenticated else None,
                    notes=notes,
                )
                PurchaseOrderLine.objects.bulk_create(
                    PurchaseOrderLine(
                        purchase_order=order,
                        product=line.product,
                        quantity=line.quantity,
                        unit_price=line.unit_price.quantize(CENT),
                        line_total=total,
                    )
                    for line, total in totals
                )
            break
        except IntegrityError:
            if idempotency_key:
                existing = PurchaseOrder.objects.filter(idempotency_key=idempotency_key).first()
                if existing is not None:
                    return existing, False
            # Another worker took the same next number at the same moment: take the next.
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    return order, True


def _purchase_order_transition(*, purchase_order: PurchaseOrder, to: str) -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
    if order.status not in _TRANSITIONS[to]:
        raise PurchaseOrderStateError(
            f"purchase order {order.number} is {order.status}; it cannot become {to}"
        )
    order.status = to
    order.save(update_fields=["status"])
    return order


@transaction.atomic
def purchase_order_submit(*, purchase_order: PurchaseOrder) -> PurchaseOrder:
    return _purchase_order_transition(
        purchase_order=purchase_order, to=PurchaseOrder.Status.SUBMITTED
    )


@transaction.atomic
def purchase_order_cancel(*, purchase_order: PurchaseOrder) -> PurchaseOrder:
    return _purchase_order_transition(
        purchase_order=purchase_order, to=PurchaseOrder.Status.CANCELLED
    )


@transaction.atomic
def purchase_order_receive(*, purchase_order: PurchaseOrder, location: Location) -> PurchaseOrder:
    """Mark a submitted order received at `location`: one receipt movement per
    line and the stock level raised by its quantity."""
    order = _purchase_order_transition(
        purchase_order=purchase_order, to=PurchaseOrder.Status.RECEIVED
    )
    now = timezone.now()
    for line in order.lines.select_related("product"):
        # One save per line, not bulk_create: a saved movement is what makes
        # the stock rules look at its product again (apps.rules.signals).
        StockMovement.objects.create(
            product=line.product,
            location=location,
            kind=StockMovement.Kind.RECEIPT,
            quantity=line.quantity,
            occurred_at=now,
            reference=order.number,
        )
        stock_level_adjust(product=line.product, location=location, delta=line.quantity)
    return order


def stock_level_adjust(*, product: Product, location: Location, delta: int) -> StockLevel:
    """Add `delta` (may be negative) to a stock level, creating it at zero if needed."""
    level, _ = StockLevel.objects.get_or_create(product=product, location=location)
    StockLevel.objects.filter(pk=level.pk).update(quantity=F("quantity") + delta)
    level.refresh_from_db(fields=["quantity"])
    return level
