from celery import shared_task

from apps.agents.services import run_execute


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_agent(run_id: str) -> None:
    """Execute or resume one run; a redelivered task resumes where it stopped."""
    run_execute(run_id=run_id)
