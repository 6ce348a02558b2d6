from __future__ import annotations

from celery import shared_task

from apps.accounts.services import revocations_prune


@shared_task(name="apps.accounts.tasks.revocations_prune_due")
def revocations_prune_due() -> int:
    """Delete expired revocation rows and refresh tokens (schedule it hourly)."""
    return revocations_prune()
