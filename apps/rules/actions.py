"""What a rule can do when it fires: a registry of name -> function.

Each function takes the action's context (the rule, subject, metric values and
the rule's parameters for the action) and the acting user, does the real thing
through the owning app's services, and returns a JSON-ready dict with a
"status" (done or skipped) and a "summary". Expected failures raise ToolError."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from apps.tools.registry import ToolError

Action = Callable[..., dict[str, Any]]
PRIORITY_BY_SEVERITY = {"critical": "urgent", "warning": "high", "info": "medium"}


def _message(context: dict[str, Any]) -> str:
    if context.get("message"):
        return str(context["message"])
    rule = context.get("rule") or "a business rule"
    subject = context.get("subject") or "global"
    values = ", ".join(f"{k}={v}" for k, v in (context.get("decided_by") or {}).items())
    severity = context.get("severity") or "warning"
    return f"[{severity}] Rule {rule} fired for {subject}" + (f" ({values})" if values else "")


def _done(summary: str, **fields: Any) -> dict[str, Any]:
    return {"status": "done", "summary": summary, **fields}


def _skipped(summary: str, **fields: Any) -> dict[str, Any]:
    return {"status": "skipped", "summary": summary, **fields}


def manager_emails() -> list[str]:
    """Emails of active users in the "manager" group; staff when there are none."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    managers = list(users.filter(groups__name="manager").values_list("email", flat=True))
    if not managers:
        managers = list(users.filter(is_staff=True).values_list("email", flat=True))
    return sorted(set(managers))


def _email(recipients: list[str], message: str, actor: Any, who: str) -> dict[str, Any]:
    from apps.notifications.services import notification_send

    if not recipients:
        return _skipped(f"no {who} has an email address; nothing was sent")
    notification = notification_send(
        recipients=recipients, message=message, channel="email", attachments=[], actor=actor
    )
    return _done(
        f"emailed {len(recipients)} {who}{'s' * (len(recipients) != 1)}: {', '.join(recipients)}",
        notification_id=notification.notification_id,
        recipients=recipients,
    )


def send_alert(*, context: dict[str, Any], actor: Any) -> dict[str, Any]:
    recipients = context.get("recipients") or manager_emails()
    return _email(list(recipients), "ALERT " + _message(context), actor, "recipient")


def notify_manager(*, context: dict[str, Any], actor: Any) -> dict[str, Any]:
    return _email(manager_emails(), _message(context), actor, "manager")


def _product(context: dict[str, Any]) -> Any:
    from apps.inventory.selectors import product_get, product_sample_skus

    sku = context.get("product_id")
    if not sku:
        raise ToolError("this action needs product_id (a SKU such as SKU-1001)", kind="invalid")
    product = product_get(sku=str(sku))
    if product is None:
        known = ", ".join(product_sample_skus())
        raise ToolError(f"unknown product {sku!r}; known SKUs: {known}", kind="not_found")
    return product


def _supplier(context: dict[str, Any]) -> Any:
    from apps.inventory.selectors import supplier_get, supplier_price_best

    if context.get("supplier_id"):
        supplier = supplier_get(code=str(context["supplier_id"]))
        if supplier is None:
            raise ToolError(f"unknown supplier {context['supplier_id']!r}", kind="not_found")
        return supplier
    best = supplier_price_best(product=_product(context))
    if best is None:
        raise ToolError(f"no supplier sells {context['product_id']}", kind="not_found")
    return best.supplier


def notify_supplier(*, context: dict[str, Any], actor: Any) -> dict[str, Any]:
    supplier = _supplier(context)
    if not supplier.email:
        return _skipped(f"supplier {supplier.code} has no email address; nothing was sent")
    result = _email([supplier.email], _message(context), actor, "supplier")
    return {**result, "supplier_id": supplier.code}


def _order_quantity(context: dict[str, Any], min_qty: int) -> int:
    if context.get("quantity"):
        return max(int(context["quantity"]), min_qty)
    level = int(float(context.get("inventory_level") or 0))
    point = int(float(context.get("reorder_point") or 0))
    wanted = int(float(context.get("reorder_quantity") or 0)) or max(point - level, 1)
    return max(wanted, point - level, min_qty)


def generate_purchase_order(*, context: dict[str, Any], actor: Any) -> dict[str, Any]:
    """A draft order for the short product from its cheapest supplier."""
    from apps.inventory import selectors, services

    product = _product(context)
    best = selectors.supplier_price_best(product=product)
    if best is None:
        raise ToolError(f"no supplier sells {product.sku}", kind="not_found")
    quantity = _order_quantity(context, best.min_order_qty)
    on_order = selectors.product_on_order(product=product)
    key = context.get("idempotency_key")
    if key and (existing := selectors.purchase_order_get_by_key(idempotency_key=key)):
        return _done(f"purchase order {existing.number} already drafted", **_po(existing))
    if on_order >= quantity:
        return _skipped(f"{on_order} units of {product.sku} are already on order; no new order")
    order, _ = services.purchase_order_create(
        supplier=best.supplier,
        lines=[services.LineInput(product=product, quantity=quantity, unit_price=best.unit_price)],
        actor=actor,
        currency=best.currency,
        idempotency_key=key or None,
        notes=f"drafted by rule {context.get('rule', '')} for {context.get('subject', '')}",
    )
    return _done(
        f"drafted {order.number}: {quantity} x {product.sku} from {best.supplier.code} "
        f"at {best.unit_price} {best.currency} (total {order.total})",
        **_po(order),
    )


def _po(order: Any) -> dict[str, Any]:
    return {
        "purchase_order": order.number,
        "supplier_id": order.supplier.code,
        "total": str(order.total),
        "currency": order.currency,
        "order_status": order.status,
    }


def create_ticket(*, context: dict[str, Any], actor: Any) -> dict[str, Any]:
    from apps.customerservice.models import Inquiry
    from apps.customerservice.services import inquiry_record, ticket_escalate

    message = _message(context)
    detail = json.dumps(context.get("metrics") or {}, sort_keys=True, default=str)[:1500]
    inquiry, _ = inquiry_record(
        text=f"{message}\nMetrics: {detail}", channel=Inquiry.Channel.AGENT, actor=actor
    )
    priority = context.get("priority") or PRIORITY_BY_SEVERITY.get(
        str(context.get("severity")), "high"
    )
    ticket, _ = ticket_escalate(inquiry=inquiry, reason=message, priority=priority, actor=actor)
    return _done(
        f"opened ticket {ticket.code} ({ticket.priority}) in queue {ticket.queue}",
        ticket_id=ticket.code,
        inquiry_id=inquiry.code,
        priority=ticket.priority,
    )


def operations_channel() -> str:
    return str(getattr(settings, "OWM_OPERATIONS_CHANNEL", "operations"))


def _operations(action: str, context: dict[str, Any], actor: Any) -> dict[str, Any]:
    """A signed POST to the operator-configured operations webhook."""
    from apps.notifications.models import NotificationChannel
    from apps.notifications.services import notification_send

    name = operations_channel()
    channel = NotificationChannel.objects.filter(name=name, kind="webhook").first()
    if channel is None or not channel.enabled:
        state = "is disabled" if channel else "is not configured"
        return _skipped(
            f"{action} not sent: the operations webhook channel {name!r} {state}; an admin "
            "can add it under notification channels",
            channel=name,
        )
    payload = {
        "action": action,
        "rule": context.get("rule"),
        "subject": context.get("subject"),
        "severity": context.get("severity"),
        "decided_by": context.get("decided_by") or {},
        "parameters": {k: v for k, v in context.items() if k not in {"metrics", "decided_by"}},
    }
    notification = notification_send(
        recipients=[name],
        message=json.dumps(payload, default=str, sort_keys=True),
        channel="webhook",
        attachments=[],
        actor=actor,
    )
    delivery = notification.deliveries.first()
    if delivery is not None and delivery.status == "failed":
        raise ToolError(f"{action}: the operations webhook failed: {delivery.error}", kind="failed")
    state = delivery.status if delivery is not None else "queued"
    return _done(
        f"{action} requested from the operations webhook {name!r} (delivery {state})",
        notification_id=notification.notification_id,
        channel=name,
        delivery_status=state,
    )


def scale_resources(*, context: dict[str, Any], actor: Any) -> dict[str, Any]:
    return _operations("scale_resources", context, actor)


def optimize_queries(*, context: dict[str, Any], actor: Any) -> dict[str, Any]:
    return _operations("optimize_queries", context, actor)


def monitor_metrics(*, context: dict[str, Any], actor: Any) -> dict[str, Any]:
    return _operations("monitor_metrics", context, actor)


ACTIONS: dict[str, Action] = {
    "send_alert": send_alert,
    "create_ticket": create_ticket,
    "notify_manager": notify_manager,
    "generate_purchase_order": generate_purchase_order,
    "notify_supplier": notify_supplier,
    "scale_resources": scale_resources,
    "optimize_queries": optimize_queries,
    "monitor_metrics": monitor_metrics,
}
ACTION_NAMES = list(ACTIONS)
