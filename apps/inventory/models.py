"""Inventory: products stocked at locations, the movements that change stock,
suppliers with their prices, and purchase orders."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models


class Product(models.Model):
    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=100, blank=True)
    unit = models.CharField(max_length=20, default="each")
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Location(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StockLevel(models.Model):
    class State(models.TextChoices):
        OK = "ok"
        LOW = "low"
        OUT = "out_of_stock"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="stock_levels")
    quantity = models.IntegerField(default=0)
    reorder_point = models.PositiveIntegerField(default=0)
    reorder_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["product__sku", "location__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "location"], name="stocklevel_product_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.quantity}"

    @property
    def state(self) -> str:
        if self.quantity <= 0:
            return self.State.OUT
        if self.quantity <= self.reorder_point:
            return self.State.LOW
        return self.State.OK


class StockMovement(models.Model):
    class Kind(models.TextChoices):
        SALE = "sale"
        RECEIPT = "receipt"
        ADJUSTMENT = "adjustment"
        TRANSFER = "transfer"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="movements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(help_text="signed: sales are negative")
    occurred_at = models.DateTimeField(db_index=True)
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["product", "kind", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} {self.product_id}@{self.location_id}"


class Supplier(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    lead_time_days = models.PositiveIntegerField(default=7)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierPrice(models.Model):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="supplier_prices")
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    min_order_qty = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["supplier__code", "product__sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "product"], name="supplierprice_supplier_product"
            )
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id}/{self.product_id} {self.unit_price} {self.currency}"


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        SUBMITTED = "submitted"
        RECEIVED = "received"
        CANCELLED = "cancelled"

    number = models.CharField(max_length=30, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, default="USD")
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="purchase_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["purchase_order", "id"]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}: {self.quantity} x {self.product_id}"
