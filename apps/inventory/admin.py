from django.contrib import admin

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


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "unit", "unit_cost"]
    list_filter = ["category"]
    search_fields = ["sku", "name"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city"]
    search_fields = ["code", "name", "city"]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ["product", "location", "quantity", "reorder_point", "reorder_quantity"]
    list_filter = ["location"]
    list_select_related = ["product", "location"]
    search_fields = ["product__sku", "product__name"]


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "product", "location", "quantity", "reference"]
    list_filter = ["kind", "location"]
    list_select_related = ["product", "location"]
    search_fields = ["product__sku", "reference"]
    date_hierarchy = "occurred_at"


class SupplierPriceInline(admin.TabularInline):
    model = SupplierPrice
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "email", "lead_time_days"]
    search_fields = ["code", "name"]
    inlines = [SupplierPriceInline]


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "supplier", "status", "total", "currency", "created_by", "created_at"]
    list_filter = ["status", "supplier"]
    search_fields = ["number", "idempotency_key"]
    readonly_fields = ["idempotency_key", "created_at"]
    inlines = [PurchaseOrderLineInline]
