import logging

from celery import shared_task

from apps.agents.recovery import run_claim, runs_requeue_stale
from apps.agents.services import run_execute, runs_waiting_unblock

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_agent(run_id: str) -> None:
    """Execute or resume one run; a redelivered task resumes where it stopped.
    A second delivery of a run that another worker is executing is dropped."""
    with run_claim(run_id) as claimed:
        if not claimed:
            logger.info("run %s is being executed by another worker; delivery dropped", run_id)
            return
        run_execute(run_id=run_id)


@shared_task(ignore_result=True)
def runs_recover_due() -> None:
    """Beat: queue again the runs whose messages were lost (see apps.agents.recovery)."""
    runs_waiting_unblock()
    runs_requeue_stale()
