from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.dashboard.access import check_manager, is_manager
from apps.inventory.models import Location, PurchaseOrder, StockLevel, Supplier
from apps.inventory.services import (
    PurchaseOrderStateError,
    purchase_order_cancel,
    purchase_order_receive,
    purchase_order_submit,
)

PER_PAGE = 25
STOCK_STATES = {
    "out": {"quantity__lte": 0},
    "low": {"quantity__gt": 0, "quantity__lte": F("reorder_point")},
    "ok": {"quantity__gt": F("reorder_point")},
}


@login_required
def inventory(request: HttpRequest) -> HttpResponse:
    location = request.GET.get("location", "")
    state = request.GET.get("state", "")
    levels = StockLevel.objects.select_related("product", "location")
    if location:
        levels = levels.filter(location__code=location)
    if state in STOCK_STATES:
        levels = levels.filter(**STOCK_STATES[state])
    status = request.GET.get("status", "")
    supplier = request.GET.get("supplier", "")
    orders = (
        PurchaseOrder.objects.select_related("supplier")
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "-id")
    )
    if status:
        orders = orders.filter(status=status)
    if supplier:
        orders = orders.filter(supplier__code=supplier)
    context = {
        "stock": Paginator(levels, PER_PAGE).get_page(request.GET.get("page")),
        "orders": Paginator(orders, PER_PAGE).get_page(request.GET.get("opage")),
        "locations": Location.objects.all(),
        "suppliers": Supplier.objects.all(),
        "statuses": PurchaseOrder.Status.choices,
        "state_choices": [("low", "Low"), ("out", "Out of stock"), ("ok", "OK")],
        "location": location,
        "state": state,
        "status": status,
        "supplier": supplier,
    }
    return render(request, "dashboard/inventory.html", context)


def _order_context(request: HttpRequest, order: PurchaseOrder, error: str = "") -> dict:
    return {
        "order": order,
        "lines": order.lines.select_related("product"),
        "locations": Location.objects.all(),
        "may_act": is_manager(request.user),
        "error": error,
    }


@login_required
def purchase_order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier"), number=number)
    return render(request, "dashboard/inventory_order.html", _order_context(request, order))


def _act(order: PurchaseOrder, action: str, location_code: str) -> PurchaseOrder:
    if action == "submit":
        return purchase_order_submit(purchase_order=order)
    if action == "cancel":
        return purchase_order_cancel(purchase_order=order)
    location = Location.objects.filter(code=location_code).first()
    if location is None:
        raise PurchaseOrderStateError("choose the location that received the goods")
    return purchase_order_receive(purchase_order=order, location=location)


@login_required
@require_POST
def purchase_order_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    check_manager(request.user, "change purchase orders")
    if action not in {"submit", "receive", "cancel"}:
        raise Http404(f"No action {action}.")
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier"), number=number)
    error = ""
    try:
        order = _act(order, action, request.POST.get("location", ""))
    except PurchaseOrderStateError as exc:
        error = str(exc)
    if not request.htmx:
        return redirect("dashboard:order", number=order.number)
    context = _order_context(request, order, error)
    return render(request, "dashboard/inventory_order.html#order-state", context)
