"""Demo data: the service account automations act as, the "restock-check"
workflow (stock -> forecast -> decide -> order only if needed) and a nightly
schedule for it, left disabled so the demo never orders by itself."""

from __future__ import annotations

from typing import Any

from apps.workflows.models import Automation, Schedule, Workflow
from apps.workflows.services import workflow_create
from apps.workflows.triggers import automation_create, schedule_create, service_account_ensure

SERVICE_ACCOUNT = "svc-automation"
SKU = "SKU-1001"
RESTOCK_STEPS: list[dict[str, Any]] = [
    {"step_id": "stock", "action": "check_stock_levels", "parameters": {"product_ids": [SKU]}},
    {
        "step_id": "demand",
        "action": "predict_demand",
        "depends_on": ["stock"],
        "parameters": {"product_id": SKU, "forecast_period": 30},
    },
    {
        "step_id": "decide",
        "action": "evaluate_condition",
        "depends_on": ["demand"],
        "parameters": {
            "condition": "reorder == True",
            "context": {"reorder": "{{ steps.demand.reorder_advice.reorder_recommended }}"},
        },
    },
    {
        "step_id": "order",
        "action": "create_purchase_order",
        "depends_on": ["decide", "demand"],
        "condition": "steps.decide.result == True",
        "retry_policy": {"max_retries": 2},
        "parameters": {
            "supplier_id": "{{ steps.demand.reorder_advice.suggested_supplier.supplier_id }}",
            "items": [
                {
                    "product_id": SKU,
                    "quantity": "{{ steps.demand.reorder_advice.suggested_order_quantity }}",
                }
            ],
        },
    },
]


def seed() -> dict[str, Any]:
    svc = service_account_ensure(SERVICE_ACCOUNT)
    workflow = Workflow.objects.filter(slug="restock-check").first()
    if workflow is None:
        workflow = workflow_create(
            slug="restock-check",
            name="Restock check",
            description=f"Check {SKU}, forecast 30 days, and draft a purchase order only if "
            "the forecast says to reorder.",
            steps=RESTOCK_STEPS,
            execution_mode="conditional",
            service_account=svc,
        )
    automation = Automation.objects.filter(slug="restock-nightly").first() or automation_create(
        slug="restock-nightly",
        name="Nightly restock check",
        trigger_kind="schedule",
        target_kind="workflow",
        workflow=workflow,
        run_as=svc,
    )
    if not Schedule.objects.filter(automation=automation).exists():
        schedule_create(
            name="Nightly restock check", cron="0 2 * * *", automation=automation, enabled=False
        )
    return {
        "workflow": workflow.slug,
        "service_account": svc.get_username(),
        "schedule": "0 2 * * * (disabled)",
    }
