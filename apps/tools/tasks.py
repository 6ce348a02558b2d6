from celery import shared_task

from apps.tools.approvals import approval_continue_now, approvals_expire


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def approval_continue(approval_id: int) -> None:
    """Resume the run (or finish the call) an approval decision unblocked."""
    approval_continue_now(approval_id)


@shared_task(ignore_result=True)
def approvals_expire_due() -> int:
    """Expire overdue approvals and resume runs whose decisions were not acted on."""
    from apps.agents.services import runs_waiting_unblock

    expired = approvals_expire()
    runs_waiting_unblock()
    return expired
