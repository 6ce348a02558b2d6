"""Reads for the inventory domain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.inventory.models import (
    Location,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierPrice,
)


def product_list_by_skus(*, skus: Iterable[str]) -> tuple[list[Product], list[str]]:
    """The products named by `skus` (case-insensitive, in request order) and the unknown ones."""
    wanted = list(dict.fromkeys(s.strip() for s in skus if s.strip()))
    query = Q()
    for sku in wanted:
        query |= Q(sku__iexact=sku)
    found = {p.sku.upper(): p for p in Product.objects.filter(query)} if wanted else {}
    products = [found[s.upper()] for s in wanted if s.upper() in found]
    unknown = [s for s in wanted if s.upper() not in found]
    return products, unknown


def product_get(*, sku: str) -> Product | None:
    return Product.objects.filter(sku__iexact=sku.strip()).first()


def product_sample_skus(*, limit: int = 10) -> list[str]:
    return list(Product.objects.order_by("sku").values_list("sku", flat=True)[:limit])


def location_resolve(*, query: str) -> list[Location]:
    """Locations matching `query` by code, then name, then city, then part of the name."""
    text = query.strip()
    if not text:
        return []
    for lookup in ("code__iexact", "name__iexact", "city__iexact", "name__icontains"):
        found = list(Location.objects.filter(**{lookup: text}))
        if found:
            return found
    return []


def location_list() -> list[Location]:
    return list(Location.objects.all())


def stock_level_list(
    *,
    products: list[Product] | None = None,
    locations: list[Location] | None = None,
    limit: int = 100,
) -> QuerySet[StockLevel]:
    levels = StockLevel.objects.select_related("product", "location")
    if products is not None:
        levels = levels.filter(product__in=products)
    if locations is not None:
        levels = levels.filter(location__in=locations)
    return levels.order_by("product__sku", "location__code")[:limit]


def stock_level_count(
    *, products: list[Product] | None = None, locations: list[Location] | None = None
) -> int:
    levels = StockLevel.objects.all()
    if products is not None:
        levels = levels.filter(product__in=products)
    if locations is not None:
        levels = levels.filter(location__in=locations)
    return levels.count()


def product_stock_totals(*, product: Product) -> dict[str, int]:
    """On-hand quantity and reorder points summed over all locations."""
    totals = StockLevel.objects.filter(product=product).aggregate(
        quantity=Sum("quantity"),
        reorder_point=Sum("reorder_point"),
        reorder_quantity=Sum("reorder_quantity"),
    )
    return {key: int(value or 0) for key, value in totals.items()}


def product_on_order(*, product: Product) -> int:
    """Units on draft or submitted purchase orders, not yet received."""
    open_states = [PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.SUBMITTED]
    total = PurchaseOrderLine.objects.filter(
        product=product, purchase_order__status__in=open_states
    ).aggregate(units=Sum("quantity"))["units"]
    return int(total or 0)


def daily_sales_series(
    *, product: Product, days: int = 365, end: dt.date | None = None
) -> tuple[dt.date | None, list[float]]:
    """Units sold per day (all locations), zero-filled, from the first sale in the
    window up to `end` (default: yesterday, the last complete day).

    Returns (first day, values); (None, []) when nothing was sold in the window."""
    end = end or timezone.localdate() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    rows = (
        StockMovement.objects.filter(
            product=product,
            kind=StockMovement.Kind.SALE,
            occurred_at__date__gte=start,
            occurred_at__date__lte=end,
        )
        .annotate(day=TruncDate("occurred_at"))
        .values("day")
        .annotate(units=Sum("quantity"))
    )
    by_day = {row["day"]: -row["units"] for row in rows}
    if not by_day:
        return None, []
    first = min(by_day)
    length = (end - first).days + 1
    return first, [float(by_day.get(first + dt.timedelta(days=i), 0)) for i in range(length)]


def supplier_get(*, code: str) -> Supplier | None:
    return Supplier.objects.filter(code__iexact=code.strip()).first()


def supplier_sample_codes(*, limit: int = 10) -> list[str]:
    return list(Supplier.objects.order_by("code").values_list("code", flat=True)[:limit])


def supplier_price_map(*, supplier: Supplier, products: list[Product]) -> dict[int, SupplierPrice]:
    prices = SupplierPrice.objects.filter(supplier=supplier, product__in=products)
    return {price.product_id: price for price in prices}


def supplier_price_best(*, product: Product) -> SupplierPrice | None:
    """The cheapest supplier price for `product` (shorter lead time breaks ties)."""
    return (
        SupplierPrice.objects.filter(product=product)
        .select_related("supplier")
        .order_by("unit_price", "supplier__lead_time_days", "supplier__code")
        .first()
    )


def purchase_order_get_by_key(*, idempotency_key: str) -> PurchaseOrder | None:
    return PurchaseOrder.objects.filter(idempotency_key=idempotency_key).first()
