from celery import shared_task

from apps.notifications.services import delivery_attempt


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def delivery_retry(delivery_id: int) -> None:
    """Retry one queued delivery; the service schedules the next try if needed."""
    delivery_attempt(delivery_id=delivery_id)
