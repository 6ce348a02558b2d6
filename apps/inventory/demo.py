"""Demo data for the inventory domain: three Korean sites, eight products, a
year of daily sales with trend, weekly seasonality and noise, suppliers with
prices, and a couple of purchase orders. Idempotent and fast (bulk inserts)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.inventory import services
from apps.inventory.models import (
    Location,
    Product,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierPrice,
)

LOCATIONS = [
    ("SEL-WH", "Seoul Warehouse", "Seoul", 0.5),
    ("BSN-DC", "Busan Distribution Center", "Busan", 0.3),
    ("ICN-HUB", "Incheon Airport Hub", "Incheon", 0.2),
]

# sku, name, category, unit, unit cost, mean daily units (all sites), yearly trend
PRODUCTS = [
    ("SKU-1001", "Wireless Barcode Scanner", "Scanners", "each", "42.50", 12, 0.25),
    ("SKU-1002", "Thermal Label Printer", "Printers", "each", "129.00", 4, 0.10),
    ("SKU-1003", "Thermal Label Roll 100x150mm", "Consumables", "roll", "3.20", 60, 0.15),
    ("SKU-1004", "Corrugated Shipping Box (M)", "Packaging", "each", "0.85", 120, 0.05),
    ("SKU-1005", "Packing Tape 48mm", "Packaging", "roll", "1.40", 45, 0.00),
    ("SKU-1006", "Handheld Mobile Computer", "Scanners", "each", "310.00", 2, 0.30),
    ("SKU-1007", "Pallet Stretch Wrap", "Packaging", "roll", "12.90", 15, -0.05),
    ("SKU-1008", "RFID Tag Pack (100)", "Consumables", "pack", "18.00", 8, 0.40),
]

# Monday .. Sunday: businesses order on weekdays, peak on Friday.
WEEKLY = (1.0, 1.05, 1.1, 1.15, 1.3, 0.8, 0.6)

SUPPLIERS = [
    ("SUP-001", "Hanbit Logistics Supply", "orders@hanbit-supply.example", 5),
    ("SUP-002", "Daehan Packaging Co.", "sales@daehan-pack.example", 3),
    ("SUP-003", "Pacific Scan Systems", "po@pacificscan.example", 12),
]

# supplier code, sku, unit price, min order qty
PRICES = [
    ("SUP-001", "SKU-1001", "38.00", 10),
    ("SUP-001", "SKU-1002", "118.00", 2),
    ("SUP-001", "SKU-1003", "2.90", 100),
    ("SUP-001", "SKU-1006", "289.00", 1),
    ("SUP-002", "SKU-1003", "2.75", 200),
    ("SUP-002", "SKU-1004", "0.70", 500),
    ("SUP-002", "SKU-1005", "1.15", 100),
    ("SUP-002", "SKU-1007", "11.20", 20),
    ("SUP-003", "SKU-1001", "36.50", 50),
    ("SUP-003", "SKU-1002", "121.00", 1),
    ("SUP-003", "SKU-1006", "275.00", 5),
    ("SUP-003", "SKU-1008", "15.40", 10),
]

HISTORY_DAYS = 365
RECEIPT_EVERY_DAYS = 28
# (sku, location) pairs left at or below their reorder point so the demo shows warnings.
LOW_STOCK = {("SKU-1001", "SEL-WH"): 18, ("SKU-1005", "BSN-DC"): 40, ("SKU-1006", "ICN-HUB"): 0}


@transaction.atomic
def seed_inventory(*, random_seed: int = 7) -> dict[str, Any]:
    """Create the demo inventory once; does nothing when products already exist."""
    if Product.objects.exists():
        return {"created": False, "products": Product.objects.count()}
    rng = random.Random(random_seed)  # noqa: S311 -- demo data, not cryptography
    locations = Location.objects.bulk_create(
        Location(code=code, name=name, city=city) for code, name, city, _ in LOCATIONS
    )
    products = Product.objects.bulk_create(
        Product(sku=sku, name=name, category=cat, unit=unit, unit_cost=Decimal(cost))
        for sku, name, cat, unit, cost, _, _ in PRODUCTS
    )
    movements = _movements(rng, products, locations)
    StockMovement.objects.bulk_create(movements, batch_size=2000)
    levels = StockLevel.objects.bulk_create(_stock_levels(rng, products, locations))
    suppliers = Supplier.objects.bulk_create(
        Supplier(code=code, name=name, email=email, lead_time_days=lead)
        for code, name, email, lead in SUPPLIERS
    )
    _prices(suppliers, products)
    orders = _purchase_orders(suppliers, products, locations)
    return {
        "created": True,
        "products": [p.sku for p in products],
        "locations": [x.code for x in locations],
        "suppliers": [s.code for s in suppliers],
        "stock_levels": len(levels),
        "movements": len(movements),
        "purchase_orders": orders,
    }


def _daily_mean(base: float, trend: float, share: float, age: int, day: dt.date) -> float:
    growth = 1 + trend * (age / HISTORY_DAYS)  # age 0 = a year ago
    return base * share * growth * WEEKLY[day.weekday()]


def _movements(
    rng: random.Random, products: list[Product], locations: list[Location]
) -> list[StockMovement]:
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    rows = []
    for product, (_, _, _, _, _, base, trend) in zip(products, PRODUCTS, strict=True):
        for location, (*_, share) in zip(locations, LOCATIONS, strict=True):
            offset = rng.randrange(RECEIPT_EVERY_DAYS)
            for age in range(HISTORY_DAYS):
                day = today - dt.timedelta(days=HISTORY_DAYS - age)
                at = dt.datetime.combine(day, dt.time(10 + rng.randrange(8)), tzinfo=tz)
                mean = _daily_mean(base, trend, share, age, day)
                units = round(max(0.0, rng.gauss(mean, 0.15 * mean + 0.3)))
                if units:
                    rows.append(
                        StockMovement(
                            product=product,
                            location=location,
                            kind="sale",
                            quantity=-units,
                            occurred_at=at,
                            reference="POS",
                        )
                    )
                if age % RECEIPT_EVERY_DAYS == offset:
                    qty = round(base * share * RECEIPT_EVERY_DAYS * 1.1) + 1
                    rows.append(
                        StockMovement(
                            product=product,
                            location=location,
                            kind="receipt",
                            quantity=qty,
                            occurred_at=at.replace(hour=8),
                            reference="REPLENISH",
                        )
                    )
    return rows


def _stock_levels(
    rng: random.Random, products: list[Product], locations: list[Location]
) -> list[StockLevel]:
    levels = []
    for product, (_, _, _, _, _, base, _) in zip(products, PRODUCTS, strict=True):
        for location, (*_, share) in zip(locations, LOCATIONS, strict=True):
            daily = base * share
            reorder_point = max(2, round(daily * 10))  # ten days of cover
            reorder_quantity = max(5, round(daily * 30))
            quantity = LOW_STOCK.get(
                (product.sku, location.code), round(reorder_point * rng.uniform(1.4, 3.5))
            )
            levels.append(
                StockLevel(
                    product=product,
                    location=location,
                    quantity=quantity,
                    reorder_point=reorder_point,
                    reorder_quantity=reorder_quantity,
                )
            )
    return levels


def _prices(suppliers: list[Supplier], products: list[Product]) -> None:
    by_code = {s.code: s for s in suppliers}
    by_sku = {p.sku: p for p in products}
    SupplierPrice.objects.bulk_create(
        SupplierPrice(
            supplier=by_code[code],
            product=by_sku[sku],
            unit_price=Decimal(price),
            min_order_qty=moq,
        )
        for code, sku, price, moq in PRICES
    )


def _purchase_orders(
    suppliers: list[Supplier], products: list[Product], locations: list[Location]
) -> list[str]:
    """One order already received at Busan and one submitted, still on order."""
    by_code = {s.code: s for s in suppliers}
    by_sku = {p.sku: p for p in products}
    received, _ = services.purchase_order_create(
        supplier=by_code["SUP-002"],
        lines=[
            services.LineInput(
                product=by_sku["SKU-1004"], quantity=1000, unit_price=Decimal("0.70")
            ),
            services.LineInput(
                product=by_sku["SKU-1007"], quantity=40, unit_price=Decimal("11.20")
            ),
        ],
        notes="demo: packaging restock",
    )
    services.purchase_order_submit(purchase_order=received)
    services.purchase_order_receive(purchase_order=received, location=locations[1])
    on_order, _ = services.purchase_order_create(
        supplier=by_code["SUP-003"],
        lines=[
            services.LineInput(product=by_sku["SKU-1006"], quantity=5, unit_price=Decimal("275.00"))
        ],
        notes="demo: handheld computers for Incheon",
    )
    services.purchase_order_submit(purchase_order=on_order)
    return [received.number, on_order.number]


def seed() -> dict[str, Any]:
    """The demo data command's entry point."""
    return seed_inventory()
