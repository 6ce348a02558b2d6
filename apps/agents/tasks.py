import logging

from celery import shared_task
from celery.signals import worker_process_shutdown

from apps.agents.events import broadcasts_drain
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


@worker_process_shutdown.connect
def _broadcasts_send_before_exit(**kwargs: object) -> None:
    """Broadcasts leave a worker in the background; let a stopping one send
    what it has queued (its clients would re-sync from the database anyway)."""
    broadcasts_drain(timeout=2.0)
