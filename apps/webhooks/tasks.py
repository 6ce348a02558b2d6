from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def delivery_process_task(delivery_id: int) -> None:
    from apps.webhooks.services import delivery_process

    delivery_process(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def deliveries_due() -> int:
    """Beat, every 60 s: process accepted deliveries whose task was lost."""
    from apps.webhooks.services import deliveries_due as sweep

    return sweep()
